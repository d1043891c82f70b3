"""Latent maths of the map: the legibility metric, the inverse map, t-SNE layouts (no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from vae_explorer.trainer.maps.inverse_map import InverseMap, fidelity
from vae_explorer.trainer.maps.layouts import default_layout_name, make_layout
from vae_explorer.trainer.maps.legibility import knn_accuracy, legibility, nearest_neighbours
from vae_explorer.trainer.maps.tsne import TSNELayout, median_drift


def clusters(n_per=60, classes=4, dim=6, spread=0.3, seed=0):
    """Well-separated Gaussian blobs in ``dim`` dimensions: labels a k-NN recovers exactly."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim)) * 10
    labels = np.repeat(np.arange(classes), n_per)
    return centres[labels] + rng.normal(size=(len(labels), dim)) * spread, labels


# -- legibility ---------------------------------------------------------------------------


def test_separated_clusters_are_perfectly_legible():
    points, labels = clusters()
    assert knn_accuracy(points, labels) == 1.0


def test_random_labels_are_at_chance():
    points, _ = clusters(n_per=500)
    labels = np.random.default_rng(1).integers(0, 4, len(points))
    assert abs(knn_accuracy(points, labels) - 0.25) < 0.04


def test_leave_one_out_on_a_line_by_hand():
    """Two groups of five on a line, far apart: every point's neighbours share its label."""
    x = np.array([0, 1, 2, 3, 4, 10, 11, 12, 13, 14], float)[:, None]
    labels = np.array([0] * 5 + [1] * 5)
    assert knn_accuracy(x, labels, k=1) == 1.0
    assert knn_accuracy(x, labels, k=5) == 1.0
    # a lone 1 among the 0s: its neighbours outvote it, and it does not change its neighbours' vote
    labels2 = labels.copy()
    labels2[2] = 1
    assert knn_accuracy(x, labels2, k=3) == pytest.approx(0.9)


def test_nearest_neighbours_exclude_the_point_itself_even_with_twins():
    points = np.array([[0.0, 0.0], [0.0, 0.0], [5.0, 5.0], [9.0, 9.0]])
    nn = nearest_neighbours(points, 2)
    assert nn.shape == (4, 2)
    assert all(i not in row for i, row in enumerate(nn))
    assert set(nn[0]) == {1, 2} and set(nn[1]) == {0, 2}


def test_legibility_of_unlabelled_data_is_none():
    assert legibility(np.zeros((5, 2)), None) is None


# -- the inverse map ----------------------------------------------------------------------


def test_inverse_map_is_exact_on_the_data_and_blends_between():
    plane = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    means = np.array([[0.0, 0, 0], [2.0, 0, 0], [0.0, 2, 0], [2.0, 2, 4]])
    inverse = InverseMap(plane, means, k=4)
    np.testing.assert_allclose(inverse(plane), means, atol=1e-5)
    centre = inverse([[0.5, 0.5]])[0]
    np.testing.assert_allclose(centre, means.mean(axis=0), atol=1e-5)  # equidistant: the plain mean
    assert inverse([[0.1, 0.0]])[0][0] < 1.0  # nearer the first point, nearer its code


def test_leave_one_out_never_uses_the_point_itself():
    plane = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    means = np.array([[0.0], [10.0], [20.0]])
    guessed = InverseMap(plane, means, k=2).leave_one_out()
    np.testing.assert_allclose(guessed[1], [10.0], atol=1e-5)  # the mean of its two neighbours
    assert guessed[0][0] > 5 and guessed[2][0] < 15


def test_fidelity_is_zero_for_a_perfect_inverse_and_scaled_by_random_pairs():
    plane = np.linspace(0, 1, 50)[:, None].repeat(2, axis=1)
    means = plane[:, :1] * 2

    def decode(z):
        return np.asarray(z)[:, :, None] * np.ones((1, 1, 4))

    result = fidelity(decode, InverseMap(plane, means), sample=50)
    assert result["inverse_mae"] < 0.01 < result["random_pair_mae"]


# -- layouts ------------------------------------------------------------------------------


def test_default_layout_is_the_latent_plane_in_2d_and_tsne_above():
    assert default_layout_name(2) == "latent" and default_layout_name(1) == "latent"
    assert default_layout_name(16) == "tsne"


def test_linear_layouts_are_exact():
    means, _ = clusters(dim=2)
    latent = make_layout("latent", means)
    np.testing.assert_allclose(latent.to_plane(means), means, atol=1e-5)
    wide = clusters(dim=6)[0]
    pca = make_layout("pca", wide)
    plane = np.random.default_rng(0).normal(size=(20, 2))
    np.testing.assert_allclose(pca.to_plane(pca.from_plane(plane)), plane, atol=1e-4)  # every plane point is one code
    np.testing.assert_allclose(latent.from_plane(plane), plane, atol=1e-6)
    with pytest.raises(ValueError):
        make_layout("latent", clusters(dim=6)[0])
    with pytest.raises(ValueError):
        make_layout("spiral", means)


@pytest.fixture(scope="module")
def tsne_pair():
    means, labels = clusters(n_per=50, dim=8)
    first = TSNELayout(means, seed=0)
    moved = means + np.random.default_rng(3).normal(size=means.shape) * 0.05
    return means, labels, first, moved


def test_tsne_layout_separates_clusters_that_pca_mixes():
    """Ten blobs in 30 dimensions: the latent space keeps them apart (5-NN 100%), PCA's plane
    overlays several of them, t-SNE's plane keeps them apart as the space does."""
    means, labels = clusters(n_per=30, classes=10, dim=30, spread=4.0)
    pca, tsne = make_layout("pca", means), make_layout("tsne", means)
    assert knn_accuracy(means, labels) == 1.0
    assert legibility(pca.to_plane(means), labels) < 0.9
    assert tsne.plane.shape == (len(means), 2) and legibility(tsne.plane, labels) == 1.0


def test_tsne_inverse_decodes_data_points_to_their_own_codes(tsne_pair):
    means, _, first, _ = tsne_pair
    np.testing.assert_allclose(first.from_plane(first.plane[:5]), means[:5], atol=1e-3)


def test_tsne_places_new_codes_near_their_cluster(tsne_pair):
    means, labels, first, _ = tsne_pair
    placed = first.to_plane(means[:3] + 0.01)
    nearest = nearest_neighbours(first.plane, 5, placed)
    assert all((labels[row] == labels[i]).mean() >= 0.8 for i, row in enumerate(nearest))


def test_warm_start_keeps_points_in_place(tsne_pair):
    means, _, first, moved = tsne_pair
    warm = TSNELayout(moved, previous=first, seed=1)
    cold = TSNELayout(moved, seed=1)
    assert warm.warm_started and not cold.warm_started
    assert median_drift(first.plane, warm.plane) < 0.05
    assert median_drift(first.plane, warm.plane) < median_drift(first.plane, cold.plane)


def test_a_cancelled_layout_stops_early():
    from vae_explorer.trainer.maps.tsne import LayoutCancelled

    means, _ = clusters(n_per=50, dim=8)
    polls = []
    with pytest.raises(LayoutCancelled):
        TSNELayout(means, should_stop=lambda: polls.append(1) or len(polls) >= 2)
    assert len(polls) == 2  # stopped at the second poll, 25 iterations in, not after 750


def test_a_map_s_two_figures_share_one_search_of_its_plane(monkeypatch):
    """Legibility (5 neighbours) and neighbours kept (10) read one 10-neighbour search of the
    plane: the same figures as two searches, in 0.21 s instead of 0.33 s at 70,000 points."""
    from vae_explorer.trainer.maps import figures
    from vae_explorer.trainer.maps.legibility import knn_accuracy, neighbour_recall

    rng = np.random.default_rng(4)
    plane, labels = rng.normal(size=(3_000, 2)), rng.integers(0, 4, 3_000)
    lists = rng.integers(0, 3_000, (3_000, 45))
    searches: list[int] = []
    original = figures.nearest_neighbours
    monkeypatch.setattr(figures, "nearest_neighbours", lambda p, k: searches.append(k) or original(p, k))
    shown = figures.plane_figures(plane, labels, lists)
    assert searches == [10]
    assert shown == {"legibility": knn_accuracy(plane, labels), "recall": round(neighbour_recall(plane, lists), 4)}
