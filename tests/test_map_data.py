"""The map's data tools' maths, without Qt: selection by rectangle and lasso, the point under
the mouse, the thumbnail atlas, the selection sheet and the per-image losses."""

from __future__ import annotations

import numpy as np
import pytest

from vae_explorer.trainer.latent.per_image import normalised, robust_range, worst
from vae_explorer.trainer.maps.selection import nearest_point, pair_sheet, points_in_polygon, points_in_rect
from vae_explorer.trainer.maps.thumbnail_atlas import all_tiles, build_atlas, make_tiles, neighbour_spacing, tile_side


def test_rectangle_selects_the_points_inside_whatever_corner_the_drag_began_at():
    plane = np.array([[0, 0], [1, 1], [2, 2], [1, 3], [-1, 1]], np.float32)
    np.testing.assert_array_equal(points_in_rect(plane, (2.5, 0.5), (0.5, 3.5)), [1, 2, 3])
    np.testing.assert_array_equal(points_in_rect(plane, (0.5, 3.5), (2.5, 0.5)), [1, 2, 3])


def test_lasso_uses_even_odd_ray_casting_on_a_concave_outline():
    # a U shape: the notch between its arms (x in 1..2, y above 1) is outside
    u_shape = [(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)]
    plane = np.array([[0.5, 2.0], [1.5, 2.0], [2.5, 2.0], [1.5, 0.5], [4.0, 1.0], [-0.1, 0.5]])
    np.testing.assert_array_equal(points_in_polygon(plane, u_shape), [0, 2, 3])
    assert len(points_in_polygon(plane, u_shape[:2])) == 0  # two vertices enclose nothing


def test_lasso_agrees_with_a_brute_force_winding_count_on_random_points():
    rng = np.random.default_rng(0)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 12))
    radii = rng.uniform(0.5, 1.0, 12)
    polygon = np.c_[radii * np.cos(angles), radii * np.sin(angles)]  # star-shaped around 0
    points = rng.uniform(-1, 1, (500, 2))
    inside = set(points_in_polygon(points, polygon).tolist())
    for i, p in enumerate(points):
        winding = np.unwrap(np.arctan2(*(np.vstack([polygon, polygon[:1]]) - p).T[::-1]))
        assert (abs(winding[-1] - winding[0]) > np.pi) == (i in inside)


def test_the_point_under_the_mouse_is_measured_in_screen_pixels():
    plane = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 0.1]])
    # x: 1 unit per pixel, y: 0.01 unit per pixel: the third point is 10 px up, the second 10 px right
    assert nearest_point(plane, (0.0, 0.02), (1.0, 0.01), radius_px=5) == 0
    assert nearest_point(plane, (9.0, 0.0), (1.0, 0.01), radius_px=5) == 1
    assert nearest_point(plane, (0.0, 0.07), (1.0, 0.01), radius_px=5) == 2
    assert nearest_point(plane, (5.0, 0.05), (1.0, 0.01), radius_px=5) is None
    assert nearest_point(plane, (0.0, 0.0), (1.0, 0.01), radius_px=5, candidates=np.array([1, 2])) is None


def test_the_point_under_the_mouse_agrees_with_every_distance_measured_and_skips_most_of_them(monkeypatch):
    """Only the points inside the click's square are measured (70,000 points: 0.1 ms, 3.4 ms when
    every distance was): the answer is the brute-force one, hidden points and NaN ones never."""
    rng = np.random.default_rng(3)
    plane = rng.normal(size=(5_000, 2))
    plane[::97] = np.nan
    drawn = np.flatnonzero(rng.random(len(plane)) < 0.7)
    measured: list[int] = []
    original_argmin = np.argmin
    monkeypatch.setattr(np, "argmin", lambda d2: measured.append(len(d2)) or original_argmin(d2))
    for _ in range(200):
        target, size = rng.normal(size=2), (rng.uniform(0.005, 0.05), rng.uniform(0.005, 0.05))
        found = nearest_point(plane, tuple(target), size, 4.0, candidates=drawn)
        d2 = np.sum(((plane[drawn] - target) / size) ** 2, axis=1)
        d2 = np.where(np.isnan(d2), np.inf, d2)
        best = int(original_argmin(d2))
        assert found == (int(drawn[best]) if d2[best] <= 16.0 else None)
    assert max(measured) < 100  # of 5,000


def test_atlas_holds_each_image_in_a_frame_of_its_colour():
    rng = np.random.default_rng(1)
    images = rng.uniform(0, 1, (7, 28, 28, 1)).astype(np.float32)
    frames = rng.integers(0, 255, (7, 3)).astype(np.uint8)
    atlas, side, cols = build_atlas(images, frames)
    assert side == 30 and cols == 3 and atlas.shape == (3 * 30, 3 * 30, 3)
    for i in range(7):
        r, c = divmod(i, cols)
        tile = atlas[r * side : (r + 1) * side, c * side : (c + 1) * side]
        np.testing.assert_array_equal(tile[0, :], np.tile(frames[i], (side, 1)))
        np.testing.assert_array_equal(tile[1:-1, 1:-1, 0], (images[i, ..., 0] * 255 + 0.5).astype(np.uint8))
    colour = rng.uniform(0, 1, (2, 64, 64, 3)).astype(np.float32)
    atlas, side, _ = build_atlas(colour, np.zeros((2, 3), np.uint8))
    assert side == 34 and np.any(atlas[..., 0] != atlas[..., 1])  # subsampled to 32, still in colour


def test_the_tiles_of_many_images_are_made_a_chunk_at_a_time_without_copying_them_all():
    """``all_tiles`` asks for the images in chunks (70,000 float images are never held at once)
    and gives the same tiles as making them in one go."""
    rng = np.random.default_rng(2)
    images = rng.uniform(0, 1, (12_000, 28, 28, 1)).astype(np.float32)
    frames = rng.integers(0, 255, (12_000, 3)).astype(np.uint8)
    asked: list[int] = []

    def images_of(rows):
        asked.append(len(rows))
        return images[rows]

    tiles = all_tiles(len(images), images_of, frames, tile_side((28, 28, 1)))
    assert max(asked) <= 5000 and sum(asked) == 12_000
    np.testing.assert_array_equal(tiles[11_999], make_tiles(images[-1:], frames[-1:], 30)[0])


def test_pair_sheet_puts_each_original_beside_its_reconstruction():
    originals = np.zeros((3, 4, 5, 1), np.float32)
    recon = np.full((3, 4, 5, 1), 0.5, np.float32)
    sheet = pair_sheet(originals, recon, cols=2, pad=1)
    assert sheet.shape == (2 * 5 + 1, 2 * 12 + 1, 1)
    np.testing.assert_array_equal(sheet[1:5, 1:6, 0], 0.0)
    np.testing.assert_array_equal(sheet[1:5, 6, 0], 1.0)  # the gap
    np.testing.assert_array_equal(sheet[1:5, 7:12, 0], 0.5)
    with pytest.raises(ValueError):
        pair_sheet(originals, recon[:2])


def test_worst_and_the_colour_scale():
    values = np.array([3.0, 9.0, 1.0, 7.0, 9.5])
    np.testing.assert_array_equal(worst(values, 2), [4, 1])
    np.testing.assert_array_equal(worst(values, 2, among=np.array([0, 2, 3])), [3, 0])
    lo, hi = robust_range(np.r_[np.linspace(0, 1, 99), 1000.0])
    assert lo < 0.05 and hi < 12  # the one outlier does not stretch the scale
    assert normalised(np.array([lo, hi, 2000.0]), (lo, hi)).tolist() == [0.0, 1.0, 1.0]


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_per_image_losses_are_the_model_loss_terms_at_the_mean_code(loss, mnist_small):
    import keras

    from vae_explorer.trainer.latent.per_image import PerImageLosses
    from vae_explorer.trainer.model.vae import build_vae

    model = build_vae("dense", 3, (28, 28, 1), reconstruction=loss, seed=0)
    x = mnist_small.x_test[:40]
    metrics = PerImageLosses(model)(x)
    mean, log_var = (t.numpy() for t in model.encoder(x))
    probs = model.decoder(mean).numpy()
    if loss == "bce":
        logits = model.decoder_logits(mean).numpy()
        expected = keras.ops.binary_crossentropy(x, logits, from_logits=True).numpy().sum(axis=(1, 2, 3))
    else:
        expected = ((x - probs) ** 2).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(metrics.reconstruction, expected, rtol=1e-4)
    kl = -0.5 * (1 + log_var - mean**2 - np.exp(log_var)).sum(axis=1)
    np.testing.assert_allclose(metrics.kl, kl, rtol=1e-4, atol=1e-5)
    assert metrics.reconstruction.shape == (40,) and (metrics.kl >= 0).all()


@pytest.mark.parametrize("n", [3_000, 40_000])
def test_the_thumbnails_neighbour_spacing_is_the_median_nearest_neighbour_distance_within_10_percent(n):
    """Measured among a sample above 5,000 points (scaled by √(sample / n)): a k-d tree over all of
    a 70,000-point map took 50 ms inside a paint."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(1)
    centres = rng.normal(0, 30, (10, 2))
    plane = np.concatenate([c + rng.normal(0, [4, 2], (n // 10, 2)) for c in centres])
    spread = plane.std(axis=0)
    distance, _ = cKDTree(plane / spread).query(plane / spread, k=2)
    exact = np.median(distance[:, 1]) * spread
    np.testing.assert_allclose(neighbour_spacing(plane), exact, rtol=0.1 if n > 5_000 else 1e-9)


def test_thumbnail_frames_take_each_image_s_class_colour_and_grey_without_labels():
    """Gathered from one colour per class (a Python loop over 70,000 labels cost an epoch's end 35 ms)."""
    from vae_explorer.explorer.map.dots import argb
    from vae_explorer.explorer.map.palettes import label_pixels
    from vae_explorer.trainer.report.colours import UNLABELLED, frame_colors, label_color

    for low in (0, -1):  # class numbers counted; any others sorted
        labels = np.random.default_rng(0).integers(low, 12, 1000)
        expected = np.array([label_color(int(v), "okabe-ito") for v in labels], np.uint8)
        np.testing.assert_array_equal(frame_colors(labels, len(labels), "okabe-ito"), expected)
        np.testing.assert_array_equal(label_pixels(labels, len(labels), "okabe-ito"), argb(expected))
    np.testing.assert_array_equal(frame_colors(None, 3), np.full((3, 3), UNLABELLED[0], np.uint8))
    assert frame_colors(labels[:0], 0).shape == (0, 3)
