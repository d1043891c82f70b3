"""Which images the map shows, and the t-SNE settings that lay out up to 100,000 of them."""

from __future__ import annotations

import numpy as np
import pytest

from vae_explorer.trainer.maps.points import SETS, choose_points, stratified_sample


def codes(n, dim=4, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, dim)).astype(np.float32), rng.normal(size=(n, dim)), rng.integers(0, classes, n)


def test_all_points_are_the_held_out_images_then_the_training_images():
    held, train = codes(30, seed=1), codes(70, seed=2)
    points = choose_points("all", held, train)
    assert len(points) == 100 and points.sample is None
    assert points.sets.tolist() == [0] * 30 + [1] * 70
    assert points.index.tolist() == list(range(30)) + list(range(70))
    np.testing.assert_array_equal(points.means[30:], train[0])
    np.testing.assert_array_equal(points.labels[:30], held[2])
    assert points.find("train", 5) == 35 and points.find("held-out", 5) == 5 and points.find("train", 70) is None
    assert choose_points("train", held, train).sets.tolist() == [1] * 70
    with pytest.raises(ValueError, match="training images"):
        choose_points("all", held, None)


def test_the_next_epoch_s_codes_of_the_same_images_are_the_same_images():
    held, train = codes(30, seed=1), codes(70, seed=2)
    points = choose_points("all", held, train)
    next_epoch = choose_points("all", codes(30, seed=3), codes(70, seed=4))
    assert points.same_images(next_epoch) and next_epoch.same_images(points)
    assert not points.same_images(choose_points("train", held, train)) and not points.same_images(None)
    assert not choose_points("held-out", held, train).same_images(choose_points("held-out", codes(29), train))


def test_above_the_cap_a_seeded_sample_keeps_each_set_and_class_in_proportion():
    held, train = codes(2000, seed=3), codes(8000, seed=4)
    points = choose_points("all", held, train, cap=1000)
    again = choose_points("all", held, train, cap=1000)
    assert len(points) == 1000 and points.sample == {"n": 1000, "of": 10_000, "seed": 0}
    np.testing.assert_array_equal(points.index, again.index)  # seeded: the same sample every time
    assert abs(int((points.sets == 0).sum()) - 200) <= 10  # 20% held out, as in the whole
    for c in range(10):
        whole = np.mean(np.r_[held[2], train[2]] == c)
        assert abs(np.mean(points.labels == c) - whole) <= 0.012
    assert points.describe() == "1,000 of 10,000 images (a stratified sample, seed 0)"


def test_a_stratified_sample_has_exactly_n_rows_each_group_by_its_share():
    groups = np.repeat(np.arange(3), [500, 300, 200])
    rows = stratified_sample(groups, 100, seed=1)
    assert len(rows) == 100 and len(set(rows)) == 100 and np.all(np.diff(rows) > 0)
    assert np.bincount(groups[rows]).tolist() == [50, 30, 20]


def test_the_images_of_points_come_from_their_own_sets():
    held, train = codes(3, seed=5), codes(4, seed=6)
    x_test, x_train = np.zeros((3, 2, 2, 1)), np.ones((4, 2, 2, 1))
    x_train[2] = 7
    points = choose_points("all", held, train)
    images = points.images(x_test, x_train, np.array([5, 0]))
    assert images[0, 0, 0, 0] == 7 and images[1, 0, 0, 0] == 0
    assert points.images(x_test, None, np.array([5])) is None and SETS == ("held-out", "train")


def test_a_large_map_reuses_its_neighbour_lists_on_a_warm_update_and_finds_them_again_when_asked():
    """From 5,000 codes: Annoy neighbours and FFT gradients; a warm start keeps the lists (their
    distances measured on the new codes), a refresh searches again."""
    from vae_explorer.trainer.maps import tsne

    rng = np.random.default_rng(7)
    centres = rng.normal(scale=6, size=(10, 8))
    labels = rng.integers(0, 10, 5200)
    means = centres[labels] + rng.normal(size=(5200, 8))
    searches = []
    from openTSNE import nearest_neighbors

    original = nearest_neighbors.Annoy.build

    def counted(self):
        searches.append(1)
        return original(self)

    nearest_neighbors.Annoy.build = counted
    try:
        first = tsne.TSNELayout(means, seed=0)
        warm = tsne.TSNELayout(means + rng.normal(scale=0.05, size=means.shape), previous=first, seed=0)
        refreshed = tsne.TSNELayout(means, previous=warm, seed=0, refresh=True)
    finally:
        nearest_neighbors.Annoy.build = original
    assert len(searches) == 2  # the first layout and the refresh; the warm update reused the lists
    assert first.neighbours.shape == (5200, 45) and warm.neighbours is not None
    np.testing.assert_array_equal(np.sort(warm.neighbours, axis=1), np.sort(first.neighbours, axis=1))
    assert warm.warm_started and refreshed.warm_started
    from vae_explorer.trainer.maps.legibility import legibility

    assert legibility(warm.plane, labels) > 0.95  # ten well separated clusters stay apart


def test_neighbour_distances_are_the_euclidean_ones_of_the_lists():
    from vae_explorer.trainer.maps.tsne import neighbour_distances

    rng = np.random.default_rng(8)
    means = rng.normal(size=(50, 3))
    lists = rng.integers(0, 50, (50, 4))
    expected = np.linalg.norm(means[lists] - means[:, None, :], axis=2)
    np.testing.assert_allclose(neighbour_distances(means, lists, chunk=7), expected)


def test_search_finds_an_image_by_its_index_in_a_set_or_by_part_of_its_file_name():
    from vae_explorer.explorer.map.search import find_point

    points = choose_points("all", (np.zeros((3, 2), np.float32), None, None), (np.ones((4, 2), np.float32), None, None))
    files = {(0, i): f"held/img_{i}.png" for i in range(3)} | {(1, i): f"train/img_{i + 10}.png" for i in range(4)}
    files_of = lambda s, i: files[(s, i)]  # noqa: E731
    assert find_point(points, "train 2", files_of) == 5 and find_point(points, "1", files_of) == 1
    assert find_point(points, "held-out 2", files_of) == 2 and find_point(points, "train 9", files_of) is None
    assert find_point(points, "IMG_12", files_of) == 5 and find_point(points, "nothing", files_of) is None


def test_a_selection_list_names_each_image_s_set_index_label_and_file(tmp_path):
    import csv

    from vae_explorer.trainer.files.exports import write_selection_csv

    path = tmp_path / "chosen.csv"
    write_selection_csv(path, np.array([1, 0]), np.array([7, 3]), np.array([2, 5]), ["a", "b", "c"], ["x.png", "y.png"])
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows == [
        {"set": "train", "index": "7", "label": "2", "label_name": "c", "file": "x.png"},
        {"set": "held-out", "index": "3", "label": "5", "label_name": "5", "file": "y.png"},
    ]
