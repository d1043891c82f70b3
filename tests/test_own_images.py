"""Your own images, without Qt: an image file made into the model's input, its polarity matched,
its nearest held-out codes, and the posterior ellipse on a linear map."""

from __future__ import annotations

import numpy as np
import pytest

from vae_explorer.trainer.data.user_image import border_mean, is_white_on_black, prepare_image
from vae_explorer.trainer.errors import ImageFileError, UserError
from vae_explorer.trainer.files.imagegrid import write_png
from vae_explorer.trainer.latent.encoded_image import nearest_codes, neighbour_labels
from vae_explorer.trainer.maps.posterior import plane_covariance, posterior_ellipse
from vae_explorer.trainer.maps.projection import Projection
from vae_explorer.trainer.model.space import LatentCodes


def dark_seven_on_white(height=90, width=60) -> np.ndarray:
    """A dark '7' on white paper, H×W×3 uint8, wider strokes than MNIST's."""
    image = np.full((height, width, 3), 245, np.uint8)
    top, bottom, left, right = height * 2 // 9, height * 5 // 6, width // 6, width * 5 // 6
    stroke = max(1, height // 12)
    image[top : top + stroke, left:right] = 20
    for row in range(top + stroke, bottom):
        col = right - 1 - (row - top - stroke) * (right - left) // (2 * (bottom - top))
        image[row, col - stroke // 2 - 1 : col + stroke // 2 + 1] = 20
    return image


def test_a_dark_on_light_rgb_photo_becomes_a_white_on_black_grey_28x28(tmp_path):
    path = tmp_path / "seven.png"
    write_png(path, dark_seven_on_white())
    prepared = prepare_image(path, (28, 28, 1), white_on_black=True)
    assert prepared.pixels.shape == (28, 28, 1) and prepared.pixels.dtype == np.float32
    assert prepared.pixels.min() >= 0.0 and prepared.pixels.max() <= 1.0
    assert prepared.inverted and prepared.note == "inverted to match a white-on-black dataset"
    assert border_mean(prepared.pixels) < 0.1 and prepared.pixels.max() > 0.6  # ink is bright now
    # padded to square with the paper's colour, not squashed: the ink stays in the middle columns
    ink_columns = np.flatnonzero(prepared.pixels[..., 0].max(axis=0) > 0.5)
    assert ink_columns.min() >= 5 and ink_columns.max() <= 22


def test_an_image_of_the_data_s_own_polarity_is_left_as_it_is(tmp_path):
    path = tmp_path / "white.png"
    write_png(path, 255 - dark_seven_on_white(28, 28))
    prepared = prepare_image(path, (28, 28, 3), white_on_black=True)
    assert prepared.pixels.shape == (28, 28, 3) and not prepared.inverted and prepared.note == ""
    expected = (255 - dark_seven_on_white(28, 28)).astype(np.float32) / 255
    np.testing.assert_allclose(prepared.pixels, expected, atol=1e-6)


@pytest.mark.parametrize("content", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_a_file_that_is_no_image_is_one_line_naming_it(tmp_path, content):
    path = tmp_path / "broken.png"
    path.write_bytes(content)
    with pytest.raises(ImageFileError) as info:
        prepare_image(path, (28, 28, 1), True)
    assert isinstance(info.value, UserError) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_a_missing_file_and_a_folder_are_refused_by_name(tmp_path):
    for path in (tmp_path / "nowhere.png", tmp_path):
        with pytest.raises(ImageFileError, match=str(path)):
            prepare_image(path, (28, 28, 1), True)


def test_mnist_is_white_on_black(mnist_small):
    assert is_white_on_black(mnist_small.x_test) and not is_white_on_black(1 - mnist_small.x_test)


def test_nearest_codes_are_the_k_nearest_by_euclidean_distance():
    rng = np.random.default_rng(0)
    means = rng.normal(size=(200, 6))
    z = rng.normal(size=6)
    index = nearest_codes(z, means, 5)
    distance = np.linalg.norm(means - z, axis=1)
    np.testing.assert_array_equal(index, np.argsort(distance)[:5])
    codes = LatentCodes(means.astype(np.float32), None, np.arange(200) % 10)
    _, labels = neighbour_labels(z, codes)
    assert labels == [int(i) % 10 for i in np.argsort(distance)[:5]]
    assert neighbour_labels(z, LatentCodes(means, None, None))[1] == []


def test_the_ellipse_of_a_2d_latent_has_the_posterior_sigmas_as_semi_axes():
    projection = Projection(np.zeros((5, 2)))
    ellipse = posterior_ellipse(np.array([1.0, -2.0]), np.log([0.25, 0.04]), projection)
    np.testing.assert_allclose(ellipse.center, [1.0, -2.0])
    np.testing.assert_allclose(ellipse.semi_axes, [0.5, 0.2])
    assert abs(np.cos(ellipse.angle)) == pytest.approx(1.0)  # the long axis is along x
    outline = ellipse.outline(100)
    np.testing.assert_allclose(((outline[:, 0] - 1) / 0.5) ** 2 + ((outline[:, 1] + 2) / 0.2) ** 2, 1.0, atol=1e-9)


def test_the_pca_ellipse_is_the_projected_covariance():
    rng = np.random.default_rng(1)
    means = rng.normal(size=(300, 5)) * [3, 2, 1, 0.5, 0.1]
    projection = Projection(means)
    log_var = rng.normal(size=5)
    ellipse = posterior_ellipse(means[0], log_var, projection)
    cov = projection.basis @ np.diag(np.exp(log_var)) @ projection.basis.T
    np.testing.assert_allclose(plane_covariance(log_var, projection.basis), cov, atol=1e-12)
    np.testing.assert_allclose(np.sort(ellipse.semi_axes**2), np.sort(np.linalg.eigvalsh(cov)), atol=1e-12)
    np.testing.assert_allclose(ellipse.center, projection.to_plane(means[0])[0], atol=1e-5)
    # sampling check: the 1σ ellipse holds 39% of the projected posterior's mass
    samples = rng.normal(size=(20000, 5)) * np.exp(0.5 * log_var) + means[0]
    offsets = projection.to_plane(samples) - ellipse.center
    inside = np.einsum("ni,ij,nj->n", offsets, np.linalg.inv(cov), offsets) <= 1
    assert inside.mean() == pytest.approx(1 - np.exp(-0.5), abs=0.02)


def test_a_t_sne_map_has_no_ellipse():
    class Layout:  # what a TSNELayout offers: no basis, not exact
        exact, kind, latent_dim = False, "tsne", 4

    assert posterior_ellipse(np.zeros(4), np.zeros(4), Layout()) is None


def test_dark_strokes_on_a_transparent_page_are_not_lost_with_the_alpha(tmp_path):
    """Drawing apps export black strokes on transparent pixels that are black too: dropping the
    alpha would leave one black square; flattened on white, the strokes come back (then inverted)."""
    import tensorflow as tf

    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[8:32, 18:22] = (0, 0, 0, 255)  # a black 1, everything else transparent black
    path = tmp_path / "transparent.png"
    path.write_bytes(tf.io.encode_png(rgba).numpy())
    prepared = prepare_image(path, (28, 28, 1), white_on_black=True)
    assert prepared.inverted and border_mean(prepared.pixels) < 0.05
    column = prepared.pixels[14, :, 0]
    assert column[12:16].max() > 0.9 and column[:8].max() < 0.05  # bright stroke in the middle only
