"""Latent-space maths (decode, encode, grids, interpolation, traversal, PCA) and PNG writing."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest

from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.files import exports, imagegrid
from vae_explorer.trainer.latent.paths import grid_axes, grid_points, interpolate, prior_samples, traverse
from vae_explorer.trainer.maps.projection import Projection
from vae_explorer.trainer.model.space import DECODE_BATCH, LatentSpace


@pytest.fixture(scope="module")
def space():
    from vae_explorer.trainer.model.vae import build_vae

    return LatentSpace(build_vae("tutorial", latent_dim=2, seed=0))


@pytest.fixture(scope="module")
def space8():
    from vae_explorer.trainer.model.vae import build_vae

    return LatentSpace(build_vae("dense", latent_dim=8, image_shape=(12, 10, 3), seed=0))


# -- LatentSpace ----------------------------------------------------------------------------


def test_decode_one_point_and_a_batch(space):
    one = space.decode(np.array([0.5, -1.0]))
    assert one.shape == (1, 28, 28, 1) and one.dtype == np.float32
    batch = space.decode(np.array([[0.5, -1.0], [0.0, 0.0], [3.0, 3.0]]))
    assert batch.shape == (3, 28, 28, 1)
    assert batch.min() >= 0.0 and batch.max() <= 1.0
    np.testing.assert_allclose(batch[0], one[0], atol=1e-6)
    # the same point decodes the same way, whatever else is in the batch
    np.testing.assert_allclose(space.decode([[0.5, -1.0], [9.0, 9.0]])[0], one[0], atol=1e-6)


def test_decode_empty_and_wrong_width(space):
    assert space.decode(np.zeros((0, 2))).shape == (0, 28, 28, 1)
    with pytest.raises(ValueError, match="3 dims, the model has 2"):
        space.decode(np.zeros((4, 3)))


def test_decode_a_15x15_grid_and_more_than_one_batch(space):
    z = grid_points(15)
    images = space.decode(z)
    assert images.shape == (225, 28, 28, 1)
    sheet = exports.manifold_grid(space, Projection(np.zeros((1, 2))), n=15)
    assert sheet.shape == (15 * 28, 15 * 28, 1)
    np.testing.assert_allclose(sheet[:28, :28], images[0], atol=1e-6)  # top-left tile is the first point
    np.testing.assert_allclose(sheet[-28:, -28:], images[-1], atol=1e-6)
    many = prior_samples(DECODE_BATCH + 37, 2, seed=1)
    out = space.decode(many)
    assert out.shape == (DECODE_BATCH + 37, 28, 28, 1)
    np.testing.assert_allclose(out[-37:], space.decode(many[-37:]), atol=1e-6)


def test_encode_codes_and_reconstruct(space, mnist_small):
    x = mnist_small.x_test[:20]
    means, log_vars = space.encode(x)
    assert means.shape == log_vars.shape == (20, 2) and means.dtype == np.float32
    direct = space.model.encoder(x, training=False)
    np.testing.assert_allclose(means, direct[0].numpy(), atol=1e-6)
    codes = space.codes(x, mnist_small.y_test[:20])
    np.testing.assert_array_equal(codes.means, means)
    assert codes.labels.dtype == np.int32 and list(codes.labels) == list(mnist_small.y_test[:20])
    assert space.codes(x).labels is None
    recon = space.reconstruct(x)
    assert recon.shape == x.shape
    np.testing.assert_allclose(recon, space.decode(means), atol=1e-6)
    empty_m, empty_v = space.encode(np.zeros((0, 28, 28, 1)))
    assert empty_m.shape == empty_v.shape == (0, 2)


def test_any_image_shape_and_latent_dim(space8):
    z = prior_samples(5, 8)
    assert space8.decode(z).shape == (5, 12, 10, 3)
    means, _ = space8.encode(np.random.default_rng(0).random((4, 12, 10, 3)))
    assert means.shape == (4, 8)


# -- grids, interpolation, traversal, prior -------------------------------------------------


def test_grid_points_read_like_the_plot():
    n = 5
    pts = grid_points(n, (-4, 4), (-2, 2))
    assert pts.shape == (n * n, 2) and pts.dtype == np.float32
    rows = pts.reshape(n, n, 2)
    np.testing.assert_array_equal(rows[0, :, 1], np.full(n, 2.0))  # first row: the largest y
    np.testing.assert_array_equal(rows[-1, :, 1], np.full(n, -2.0))
    np.testing.assert_array_equal(rows[0, :, 0], np.linspace(-4, 4, n, dtype=np.float32))  # x grows along a row
    assert (np.diff(rows[:, 0, 1]) < 0).all()
    np.testing.assert_array_equal(pts[0], [-4, 2])
    np.testing.assert_array_equal(pts[n - 1], [4, 2])
    np.testing.assert_array_equal(pts[-1], [4, -2])


def test_quantile_grid():
    axes = grid_axes(7, quantiles=True)
    np.testing.assert_allclose(axes, -axes[::-1], atol=1e-6)
    assert axes[0] == pytest.approx(-1.6448536, abs=1e-5) and axes[3] == pytest.approx(0, abs=1e-6)
    pts = grid_points(7, quantiles=True)
    np.testing.assert_array_equal(pts[0], [axes[0], axes[-1]])


def test_linear_interpolation_endpoints_and_midpoints():
    a = np.array([1.0, -2.0, 0.25], np.float32)
    b = np.array([-3.0, 4.0, 0.75], np.float32)
    path = interpolate(a, b, 5)
    assert path.shape == (5, 3) and path.dtype == np.float32
    np.testing.assert_array_equal(path[0], a)
    np.testing.assert_array_equal(path[-1], b)
    np.testing.assert_allclose(path[2], (a + b) / 2, atol=1e-7)
    np.testing.assert_allclose(path[1], 0.75 * a + 0.25 * b, atol=1e-7)
    assert interpolate(a, b, 1).shape == (2, 3)  # at least the two ends
    with pytest.raises(ValueError, match="unknown interpolation"):
        interpolate(a, b, 3, "cubic")


def test_spherical_interpolation_keeps_the_norm():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal(8), rng.standard_normal(8)
    b *= np.linalg.norm(a) / np.linalg.norm(b)
    path = interpolate(a, b, 11, "spherical")
    np.testing.assert_allclose(path[0], a, atol=1e-6)
    np.testing.assert_allclose(path[-1], b, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), np.linalg.norm(a), rtol=1e-5)
    # a straight line would pass closer to the origin
    assert np.linalg.norm(interpolate(a, b, 11)[5]) < np.linalg.norm(path[5]) - 1e-3
    # unequal norms: every norm lies between the two
    c = 3 * b
    norms = np.linalg.norm(interpolate(a, c, 11, "spherical"), axis=1)
    lo, hi = sorted((np.linalg.norm(a), np.linalg.norm(c)))
    assert (norms >= lo * (1 - 1e-5)).all() and (norms <= hi * (1 + 1e-5)).all()
    # degenerate cases fall back to a straight line
    np.testing.assert_allclose(interpolate(np.zeros(3), np.ones(3), 3, "spherical")[1], [0.5] * 3)
    np.testing.assert_allclose(interpolate(a, 2 * a, 3, "spherical")[1], 1.5 * a, rtol=1e-5)


def _angle_pair(omega: float, dim: int, na: float = 1.5, nb: float = 0.5):
    """Endpoints with norms ``na`` and ``nb`` at angle ``omega`` in the plane of the first two axes."""
    a, b = np.zeros(dim), np.zeros(dim)
    a[0] = na
    b[0], b[1] = nb * np.cos(omega), nb * np.sin(omega)
    return a, b


@pytest.mark.parametrize(
    "omega", [0.0, 1e-9, 1e-3, 0.5, np.pi / 2, 2.5, np.pi - 1e-3, np.pi - 1e-6, np.pi - 1e-9, np.pi]
)
@pytest.mark.parametrize("dim", [2, 5])
def test_spherical_interpolation_over_the_whole_range_of_angles(omega, dim):
    """Finite everywhere, exact endpoints, and the norm moves monotonically from |a| to |b|,
    also for (near-)antipodal endpoints, where sin ω ≈ 0 used to blow the path up to ~1e16."""
    a, b = _angle_pair(omega, dim)
    path = interpolate(a, b, 9, "spherical").astype(np.float64)
    assert np.isfinite(path).all()
    np.testing.assert_array_equal(path[0], a.astype(np.float32))
    np.testing.assert_array_equal(path[-1], b.astype(np.float32))
    norms = np.linalg.norm(path, axis=1)
    np.testing.assert_allclose(norms, np.linspace(1.5, 0.5, 9), rtol=1e-6)
    assert (np.diff(norms) < 0).all()


def test_antipodal_spherical_interpolation_turns_through_a_fixed_orthogonal_direction():
    path = interpolate([1, 0], [-2, 0], 5, "spherical")
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), [1, 1.25, 1.5, 1.75, 2], rtol=1e-6)
    assert abs(path[2, 0]) < 1e-6 and abs(path[2, 1]) == pytest.approx(1.5)  # half-way: ⟂ to a
    np.testing.assert_array_equal(path, interpolate([1, 0], [-2, 0], 5, "spherical"))  # deterministic
    # in 8-D too, the midpoint is orthogonal to both ends
    a = np.random.default_rng(1).standard_normal(8)
    mid = interpolate(a, -a, 3, "spherical")[1].astype(np.float64)
    assert abs(mid @ a) < 1e-5 * np.linalg.norm(a) ** 2
    assert np.linalg.norm(mid) == pytest.approx(np.linalg.norm(a), rel=1e-6)


@pytest.mark.parametrize("b", [[3.0], [-2.0], [0.0]])
def test_spherical_interpolation_in_one_dimension_is_linear(b):
    """A 1-D latent has no direction orthogonal to a: the path is the straight line."""
    np.testing.assert_allclose(interpolate([1.0], b, 5, "spherical"), interpolate([1.0], b, 5), atol=1e-7)


def test_traverse_changes_one_coordinate_per_block():
    z = np.array([0.5, -1.0, 2.0], np.float32)
    steps, span = 7, 3.0
    rows = traverse(z, steps, span)
    assert rows.shape == (3 * steps, 3)
    offsets = np.linspace(-span, span, steps, dtype=np.float32)
    for d in range(3):
        block = rows[d * steps : (d + 1) * steps]
        others = [k for k in range(3) if k != d]
        np.testing.assert_array_equal(block[:, others], np.repeat(z[None, others], steps, axis=0))
        np.testing.assert_allclose(block[:, d], z[d] + offsets)
        changed = (block != z[None, :]).sum(axis=1)
        assert (changed <= 1).all()
    sheet = exports.traversal_sheet(LatentSpaceStub(3), z, steps, span)
    assert sheet.shape == (3 * (4 + 2) + 2, steps * (4 + 2) + 2, 1)


class LatentSpaceStub:
    """Decodes a point to a 4×4 image of its first coordinate: exports need nothing more."""

    def __init__(self, latent_dim):
        self.latent_dim = latent_dim

    def decode(self, z):
        z = np.asarray(z, np.float32)
        return np.repeat(z[:, :1, None, None], 4, 1).repeat(4, 2).clip(0, 1)


def test_prior_samples_are_seeded():
    a, b, c = prior_samples(2000, 3, seed=5), prior_samples(2000, 3, seed=5), prior_samples(2000, 3, seed=6)
    assert a.shape == (2000, 3) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert abs(a.mean()) < 0.1 and 0.9 < a.std() < 1.1


# -- Projection -----------------------------------------------------------------------------


def test_projection_is_the_identity_in_two_dimensions():
    means = np.random.default_rng(0).standard_normal((50, 2)) + 3
    p = Projection(means)
    assert p.kind == "identity"
    z = np.array([[1.5, -2.0], [0.0, 7.0]], np.float32)
    np.testing.assert_array_equal(p.to_plane(z), z)
    np.testing.assert_array_equal(p.from_plane(z), z)


def _anisotropic(n=500, dim=8, seed=0):
    """Points whose variance is largest along a known (rotated) direction."""
    rng = np.random.default_rng(seed)
    scales = np.array([5.0, 2.0] + [0.3] * (dim - 2))
    rotation, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    points = (rng.standard_normal((n, dim)) * scales) @ rotation.T + rng.standard_normal(dim)
    return points, rotation[:, 0], rotation[:, 1]


def test_projection_pca_in_eight_dimensions():
    means, first, second = _anisotropic()
    p = Projection(means)
    assert p.kind == "pca" and p.basis.shape == (2, 8)
    np.testing.assert_allclose(p.basis @ p.basis.T, np.eye(2), atol=1e-9)
    assert abs(p.basis[0] @ first) > 0.99 and abs(p.basis[1] @ second) > 0.98
    plane = p.to_plane(means)
    var = plane.var(axis=0)
    assert var[0] > var[1]
    # the first component captures more variance than any other unit direction tried
    directions = np.random.default_rng(1).standard_normal((200, 8))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    assert var[0] >= ((means - means.mean(0)) @ directions.T).var(axis=0).max() * (1 - 1e-4)
    # round trips: plane → latent → plane, and latent (in the plane) → plane → latent
    pts = np.array([[0.0, 0.0], [1.5, -2.0], [-4.0, 3.0]], np.float32)
    np.testing.assert_allclose(p.to_plane(p.from_plane(pts)), pts, atol=1e-5)
    in_plane = p.from_plane(pts)
    np.testing.assert_allclose(p.from_plane(p.to_plane(in_plane)), in_plane, atol=1e-5)
    np.testing.assert_allclose(p.from_plane([[0, 0]])[0], means.mean(axis=0), atol=1e-5)


def test_projection_on_chosen_dimensions():
    means, _, _ = _anisotropic()
    p = Projection(means, dims=(3, 5))
    assert p.kind == "dims"
    z = means[:4]
    np.testing.assert_allclose(p.to_plane(z), (z - means.mean(0))[:, [3, 5]], atol=1e-5)
    back = p.from_plane([[1.0, -1.0]])[0]
    center = means.mean(0)
    np.testing.assert_allclose(back[[3, 5]], center[[3, 5]] + [1.0, -1.0], atol=1e-5)
    others = [k for k in range(8) if k not in (3, 5)]
    np.testing.assert_allclose(back[others], center[others], atol=1e-5)
    swapped = Projection(np.zeros((3, 2)), dims=(1, 0))
    np.testing.assert_allclose(swapped.to_plane([[1.0, 2.0]]), [[2.0, 1.0]])


def test_projection_of_a_one_dimensional_latent_space():
    means = np.array([[1.0], [3.0], [5.0]])
    p = Projection(means)
    plane = p.to_plane(means)
    np.testing.assert_allclose(plane, [[-2, 0], [0, 0], [2, 0]])
    back = p.from_plane([[1.0, 99.0]])
    assert back.shape == (1, 1)
    np.testing.assert_allclose(back, [[4.0]])


def test_projection_with_too_few_points():
    for means in (np.zeros((0, 8)), np.ones((1, 8))):
        p = Projection(means)
        assert p.basis.shape == (2, 8)
        np.testing.assert_allclose(p.to_plane(p.from_plane([[1.0, 2.0]])), [[1.0, 2.0]], atol=1e-6)


# -- image grids and PNG --------------------------------------------------------------------


def test_tile_sizes_and_placement():
    images = np.stack([np.full((28, 28, 1), i / 10, np.float32) for i in range(5)])
    sheet = imagegrid.tile(images)  # 3 columns, 2 rows, 2-pixel padding
    assert sheet.shape == (2 * 30 + 2, 3 * 30 + 2, 1)
    assert sheet[0, 0, 0] == 1.0 and sheet[2, 2, 0] == 0.0
    assert sheet[2 + 30, 2 + 30, 0] == pytest.approx(0.4)  # 5th image: row 1, column 1
    assert (sheet[32:, 62:] == 1.0).all()  # the empty sixth slot is padding
    assert imagegrid.tile(images, cols=5, pad=0).shape == (28, 140, 1)
    assert imagegrid.tile(images[..., 0], cols=1, pad=1).shape == (5 * 29 + 1, 30, 1)
    rgb = np.random.default_rng(0).random((7, 9, 11, 3))
    assert imagegrid.tile(rgb, cols=4, pad=3).shape == (2 * 12 + 3, 4 * 14 + 3, 3)
    assert imagegrid.upscale(sheet, 3).shape == (62 * 3, 92 * 3, 1)
    assert imagegrid.upscale(sheet, 1) is sheet


@pytest.mark.parametrize("shape", [(7, 13), (7, 13, 1), (5, 9, 3), (1, 1), (64, 3, 3)])
@pytest.mark.parametrize("kind", ["float", "uint8"])
def test_encode_png_decodes_to_the_same_pixels(shape, kind):
    from vae_explorer.trainer.tf_runtime import import_tensorflow

    tf = import_tensorflow()
    rng = np.random.default_rng(sum(shape))
    if kind == "float":
        image = rng.random(shape).astype(np.float32)
        image.flat[0], image.flat[-1] = -0.5, 1.5  # clipped
        expected = (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)
    else:
        image = expected = rng.integers(0, 256, shape, dtype=np.uint8)
    data = imagegrid.encode_png(image)
    channels = 3 if len(shape) == 3 and shape[2] == 3 else 1
    decoded = tf.io.decode_png(data, channels=0).numpy()
    assert decoded.shape == (shape[0], shape[1], channels)
    np.testing.assert_array_equal(decoded, expected.reshape(decoded.shape))
    assert int.from_bytes(data[16:20], "big") == shape[1] and int.from_bytes(data[20:24], "big") == shape[0]


def test_encode_png_refuses_other_shapes():
    for shape in [(4, 4, 2), (4, 4, 4), (4,), (2, 4, 4, 1)]:
        with pytest.raises(ValueError, match="cannot write an image"):
            imagegrid.encode_png(np.zeros(shape))


def test_write_png_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "sheet.png"
    first = np.random.default_rng(0).random((20, 30, 3))
    imagegrid.write_png(path, first)
    assert path.read_bytes() == imagegrid.encode_png(first)
    before = path.read_bytes()
    for exc in (OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), PermissionError(errno.EACCES, "Permission denied")):
        monkeypatch.setattr(os, "replace", lambda *a, exc=exc: (_ for _ in ()).throw(exc))
        with pytest.raises(UserError, match="previous file is intact") as info:
            imagegrid.write_png(path, np.zeros((8, 8)))
        assert info.value.path == str(path)
        monkeypatch.undo()
        assert path.read_bytes() == before
        assert [n for n in os.listdir(tmp_path) if n != "sheet.png"] == []
    # a failure while encoding happens before anything is touched
    with pytest.raises(ValueError):
        imagegrid.write_png(path, np.zeros((4, 4, 2)))
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["sheet.png"]
    with pytest.raises(UserError, match="cannot write here"):
        imagegrid.write_png(tmp_path / "missing" / "x.png", first)


def test_the_pca_plane_of_many_codes_is_fitted_to_a_sample_with_the_same_axes(monkeypatch):
    """Above PCA_SAMPLE codes the axes are fitted to every k-th code (the app refits them at each
    epoch on the GUI thread): the same plane as the fit to all, within 3% of its extent."""
    from vae_explorer.trainer.maps import projection

    rng = np.random.default_rng(0)
    means = (rng.normal(size=(70_000, 16)) * np.linspace(3, 0.1, 16)).astype(np.float32)
    fitted: list[int] = []
    original = projection._principal_axes
    monkeypatch.setattr(projection, "_principal_axes", lambda c: fitted.append(len(c)) or original(c))
    sampled = projection.Projection(means)
    assert fitted == [10_000]
    full = original(means - means.mean(axis=0, dtype=np.float64))
    np.testing.assert_allclose(np.abs(np.sum(sampled.basis * full, axis=1)), 1.0, atol=1e-3)
    exact = (means - means.mean(axis=0)) @ full.T
    assert np.abs(sampled.to_plane(means) - exact).max() < 0.03 * np.ptp(exact)
