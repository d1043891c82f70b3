"""The maths behind the map's class tools, prior holes and epoch replay (no Qt, no TensorFlow)."""

from __future__ import annotations

import numpy as np
import pytest

from vae_explorer.trainer.latent.class_tools import (
    along_direction,
    class_means,
    class_samples,
    direction,
    fit_gaussian,
    nearest_class,
    sample_gaussian,
)
from vae_explorer.trainer.latent.prior_holes import (
    grid_centres,
    grid_kde_log_density,
    kde_log_density,
    prior_holes,
    projected_prior,
)
from vae_explorer.trainer.maps.epoch_codes import EpochCodes, aligned_pca_plane, pca_plane, procrustes
from vae_explorer.trainer.maps.projection import Projection


def labelled_codes(dim=5, per_class=200, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (3, dim))
    means = np.concatenate([c + rng.normal(0, 0.5, (per_class, dim)) for c in centres])
    return means.astype(np.float32), np.repeat(np.arange(3), per_class)


# -- class directions and per-class Gaussians ----------------------------------------------
@pytest.mark.parametrize("dim", [1, 2, 16])
def test_at_one_the_direction_leads_from_the_source_mean_to_the_target_mean(dim):
    means, labels = labelled_codes(dim)
    centres = class_means(means, labels)
    vector = direction(centres, 0, 2)
    np.testing.assert_allclose(along_direction(centres[0], vector, 1.0), centres[2], atol=1e-5)
    path = along_direction(centres[0], vector, [0.0, 0.5, 1.5])
    np.testing.assert_allclose(path[1], (centres[0] + centres[2]) / 2, atol=1e-5)
    np.testing.assert_allclose(path[2] - path[0], 1.5 * vector, atol=1e-4)


def test_class_means_and_the_nearest_class():
    means, labels = labelled_codes()
    centres = class_means(means, labels)
    np.testing.assert_allclose(centres[1], means[labels == 1].mean(axis=0), atol=1e-5)
    assert nearest_class(centres[2] + 0.1, centres) == 2
    with pytest.raises(ValueError):
        class_means(means, labels[:-1])


def test_per_class_samples_have_the_fitted_mean_and_covariance():
    rng = np.random.default_rng(1)
    cov = np.array([[2.0, 0.8, 0.0], [0.8, 1.0, -0.3], [0.0, -0.3, 0.5]])
    codes = rng.multivariate_normal([1.0, -2.0, 0.5], cov, size=4000)
    labels = np.r_[np.zeros(4000, int), np.ones(10, int)]
    fitted_mean, fitted_cov = fit_gaussian(codes)
    samples = class_samples(np.r_[codes, rng.normal(size=(10, 3))], labels, 0, 20000, seed=3)
    np.testing.assert_allclose(samples.mean(axis=0), fitted_mean, atol=0.05)
    np.testing.assert_allclose(np.cov(samples, rowvar=False), fitted_cov, atol=0.06)
    np.testing.assert_allclose(fitted_cov, cov, atol=0.12)
    np.testing.assert_array_equal(
        class_samples(codes, labels[:4000], 0, 5, seed=3), class_samples(codes, labels[:4000], 0, 5, seed=3)
    )


def test_a_class_with_fewer_codes_than_dimensions_still_samples():
    mean, cov = fit_gaussian(np.ones((1, 8)))
    assert np.all(np.linalg.eigvalsh(cov) > 0)
    assert sample_gaussian(mean, cov, 4).shape == (4, 8)
    with pytest.raises(ValueError, match="label 7"):
        class_samples(np.ones((3, 2)), np.zeros(3), 7, 4)


# -- prior holes -----------------------------------------------------------------------------
def test_the_pca_projection_is_orthonormal_and_the_prior_moves_by_its_centre():
    means, _ = labelled_codes(dim=6)
    projection = Projection(means)
    np.testing.assert_allclose(projection.basis @ projection.basis.T, np.eye(2), atol=1e-10)
    mean, cov = projected_prior(projection.basis, projection.center)
    np.testing.assert_allclose(cov, np.eye(2), atol=1e-10)
    np.testing.assert_allclose(mean, projection.to_plane(np.zeros(6))[0], atol=1e-5)
    # checked against the prior itself: N(0, I) samples projected have that mean and covariance
    plane = projection.to_plane(np.random.default_rng(0).standard_normal((50000, 6)))
    np.testing.assert_allclose(plane.mean(axis=0), mean, atol=0.03)
    np.testing.assert_allclose(np.cov(plane, rowvar=False), cov, atol=0.03)


def test_prior_holes_are_high_where_the_prior_has_mass_and_no_data():
    rng = np.random.default_rng(0)
    data = rng.normal([2.0, 0.0], 0.3, (500, 2))  # all data sits right of the origin
    holes = prior_holes(data, np.eye(2), np.zeros(2), 40, (-4, 4), (-4, 4))
    assert holes.shape == (40, 40)
    cell = lambda x, y: holes[int((y + 4) / 8 * 40), int((x + 4) / 8 * 40)]  # noqa: E731 (row 0 = lowest y)
    assert cell(-1.0, 0.0) > 0.9 and cell(0.0, -1.0) > 0.9  # the prior's mass, no data
    assert cell(2.0, 0.0) == 0.0  # the data is there
    assert cell(-3.9, 3.9) == 0.0  # beyond 3σ of the prior: nothing to shade


def test_the_kde_is_a_density():
    rng = np.random.default_rng(0)
    data = rng.normal(0, 1, (300, 2))
    xs = np.linspace(-6, 6, 121)
    gx, gy = np.meshgrid(xs, xs)
    density = np.exp(kde_log_density(data, np.c_[gx.ravel(), gy.ravel()]))
    assert density.sum() * (xs[1] - xs[0]) ** 2 == pytest.approx(1.0, abs=0.01)
    assert np.isfinite(kde_log_density(np.zeros((5, 2)), np.array([[50.0, 50.0]]))).all()


def test_the_binned_kde_on_the_grid_matches_the_exact_sum():
    data = np.random.default_rng(0).normal([1, 0], [1, 0.5], (2000, 2)) @ np.array([[1, 0.5], [0, 1]])
    for n, r in ((64, 4.0), (64, 1.0), (40, 6.0)):
        binned = np.exp(grid_kde_log_density(data, n, (-r, r), (-r + 0.3, r + 0.3)))
        exact = np.exp(kde_log_density(data, grid_centres(n, (-r, r), (-r + 0.3, r + 0.3))))
        assert np.abs(binned - exact).max() < 0.03 * exact.max()
    assert grid_kde_log_density(data, 64, (0, 1e-3), (0, 1e-3)) is None  # zoomed far in: the exact sum


def test_a_one_dimensional_latent_has_no_prior_plane():
    with pytest.raises(ValueError, match="latent dim 1"):
        prior_holes(np.zeros((5, 2)), np.array([[1.0], [0.0]]), np.zeros(1), 8, (-1, 1), (-1, 1))


# -- epoch replay ------------------------------------------------------------------------------
@pytest.mark.parametrize("flip", [False, True])
def test_procrustes_recovers_a_rotated_and_flipped_copy(flip):
    target = np.random.default_rng(0).normal(size=(100, 2))
    angle = 1.1
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = target @ rotation + [3.0, -2.0]
    if flip:
        moved[:, 0] *= -1
    np.testing.assert_allclose(procrustes(moved, target), target, atol=1e-5)
    np.testing.assert_allclose(procrustes(moved * 2.5, target, scale=True), target, atol=1e-5)


def test_an_epoch_pca_plane_aligned_to_the_final_map_does_not_flip():
    means, _ = labelled_codes(dim=4)
    final = Projection(means).to_plane(means)
    aligned = aligned_pca_plane(means * [1, -1, 1, -1], final)  # same cloud, axes flipped
    np.testing.assert_allclose(aligned, final, atol=1e-4)
    assert pca_plane(means[:, :1]).shape == (len(means), 2)


def test_epoch_codes_thin_out_beyond_the_cap_keeping_the_first_and_the_newest():
    record = EpochCodes(max_epochs=10)
    for epoch in range(1, 26):
        record.add(epoch, np.full((3, 2), epoch))
    assert len(record) <= 10 and record.epochs[0] == 1 and record.epochs[-1] == 25
    assert record.epochs == sorted(record.epochs)
    np.testing.assert_array_equal(record.means[-1], np.full((3, 2), 25))
    record.add(26, np.zeros((4, 2)))  # another held-out set: a new record
    assert record.epochs == [26]


def test_epoch_codes_also_stay_within_their_memory_cap(monkeypatch):
    from vae_explorer.trainer.maps import epoch_codes

    monkeypatch.setattr(epoch_codes, "MAX_BYTES", 5 * 40 * 4 * 4)  # five epochs of 40 × 4 float32 codes
    record = EpochCodes()
    for epoch in range(1, 31):
        record.add(epoch, np.zeros((40, 4)), np.arange(40))
    assert len(record) <= 5 and record.epochs[0] == 1 and record.epochs[-1] == 30
    np.testing.assert_array_equal(record.labels, np.arange(40))
