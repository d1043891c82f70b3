"""``vae-explorer encode MODEL.h5 IMAGE... [--json]``: each image's latent mean, σ and 5 nearest
held-out labels; a file that is not an image is one line on stderr naming it, exit 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.test_cli import run
from tests.test_own_images import dark_seven_on_white
from vae_explorer.trainer.files.imagegrid import write_png


@pytest.fixture(scope="module")
def model(trained_file):
    """The saved `tutorial` model (latent 2) and what it holds, loaded once."""
    from vae_explorer.trainer.files.modelfile import load_model
    from vae_explorer.trainer.model.space import LatentSpace

    loaded = load_model(trained_file[0])
    return trained_file[0], loaded, LatentSpace(loaded.model)


@pytest.fixture(scope="module")
def images(tmp_path_factory, mnist_small):
    """A held-out MNIST digit as a 28×28 grey PNG, and a dark '7' photographed on white, 60×90 RGB."""
    folder = tmp_path_factory.mktemp("images")
    digit, photo = folder / "digit.png", folder / "photo seven.png"
    write_png(digit, mnist_small.x_test[3])
    write_png(photo, dark_seven_on_white())
    return digit, photo


def test_json_lines_hold_the_encoder_s_mean_sigma_and_nearest_labels(model, images):
    from vae_explorer.trainer.latent.encoded_image import ImageEncoder, nearest_codes

    path, loaded, space = model
    code, out, err = run(["encode", path, *images, "--json"])
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["file"] for line in lines] == [str(p) for p in images]
    encoder = ImageEncoder(space, loaded.latent)
    assert encoder.white_on_black  # the model's reconstructions of MNIST have dark borders
    for line, image in zip(lines, images, strict=True):
        assert {"file", "mean", "sigma", "neighbours", "inverted"} <= set(line)
        pixels = encoder.prepare(image).pixels
        mean, log_var = space.encode(pixels[None])
        np.testing.assert_allclose(line["mean"], mean[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(line["sigma"], np.exp(0.5 * log_var[0]), rtol=1e-5)
        nearest = nearest_codes(mean[0], loaded.latent.means)
        assert line["neighbours"] == [int(loaded.latent.labels[i]) for i in nearest] and len(nearest) == 5
    assert [line["inverted"] for line in lines] == [False, True]


def test_the_held_out_digit_lands_on_its_own_code(model, images, mnist_small):
    """The PNG round trip loses nothing a model sees: the mean is the stored code of that image."""
    path, loaded, _ = model
    _, out, _ = run(["encode", path, images[0], "--json"])
    np.testing.assert_allclose(json.loads(out)["mean"], loaded.latent.means[3], atol=2e-3)
    assert 3 in json.loads(out)["neighbour_indices"]


def test_plain_output_is_one_line_per_image(model, images):
    code, out, err = run(["encode", model[0], *images])
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"{images[0]}: mean (")
    assert "sigma (" in lines[1] and "nearest held-out: " in lines[1]
    assert lines[1].endswith("[inverted to match a white-on-black dataset]")


def test_a_bad_image_is_one_line_naming_it_and_exit_2(model, images, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("this is not a picture")
    code, out, err = run(["encode", model[0], images[0], bad, "--json"])
    assert code == 2
    assert len(out.splitlines()) == 1  # the good image before it was printed
    assert err.count("\n") == 1 and str(bad) in err and err.startswith("vae-explorer: error: ")
    assert "Traceback" not in err


def test_a_missing_image_and_no_image_at_all(model, tmp_path):
    code, _, err = run(["encode", model[0], tmp_path / "gone.jpg"])
    assert code == 2 and str(tmp_path / "gone.jpg") in err and err.count("\n") == 1
    code, _, err = run(["encode", model[0]])
    assert code == 2 and "IMAGE" in err
