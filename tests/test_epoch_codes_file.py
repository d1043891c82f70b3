"""The codes of every epoch in the model file: an optional group, round-tripped; files
without it (older ones, the command line's) still load; a damaged group is one clear error."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from vae_explorer.trainer.errors import ModelFileError
from vae_explorer.trainer.files.modelfile import FORMAT_VERSION, load_model, save_model
from vae_explorer.trainer.maps.epoch_codes import EpochCodes
from vae_explorer.trainer.model.config import TrainConfig

LATENT = 3


@pytest.fixture(scope="module")
def model():
    from vae_explorer.trainer.model.vae import build_vae

    return build_vae("dense", latent_dim=LATENT, seed=0)


@pytest.fixture
def record():
    rng = np.random.default_rng(0)
    codes = EpochCodes()
    for epoch in (1, 2, 3):
        codes.add(epoch, rng.normal(0, 2, (40, LATENT)), np.arange(40) % 10)
    return codes


def save(path, model, record=None):
    config = TrainConfig(preset="dense", latent_dim=LATENT, epochs=3)
    save_model(path, model, config, [], {}, None, record)


def test_the_codes_of_every_epoch_round_trip(tmp_path, model, record):
    path = tmp_path / "m.h5"
    save(path, model, record)
    loaded = load_model(path).epoch_codes
    assert loaded.epochs == [1, 2, 3]
    for mine, theirs in zip(record.means, loaded.means, strict=True):
        np.testing.assert_allclose(theirs, mine, rtol=1e-3, atol=1e-3)  # stored as float16
    np.testing.assert_array_equal(loaded.labels, record.labels)
    with h5py.File(path, "r") as f:
        assert f.attrs["format_version"] == FORMAT_VERSION == 1  # an optional group: still version 1


def test_a_file_without_them_loads_with_none(tmp_path, model):
    path = tmp_path / "old.h5"
    save(path, model)  # as files written before epoch codes were kept (and the CLI's) are
    assert load_model(path).epoch_codes is None
    save(path, model, EpochCodes())  # nothing recorded: nothing written
    with h5py.File(path, "r") as f:
        assert "epochs" not in f


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda g: (g.__delitem__("means"), g.create_dataset("means", data=np.zeros((3, 40, 5)))), "expected E×N×3"),
        (lambda g: g.__delitem__("numbers"), "'epochs/numbers' is missing"),
        (
            lambda g: (g.__delitem__("labels"), g.create_dataset("labels", data=np.zeros(7))),
            "epoch code labels has shape",
        ),
        (lambda g: g["means"].__setitem__((0, 0, 0), np.nan), "NaN"),
    ],
)
def test_damaged_epoch_codes_are_one_line_naming_the_file(tmp_path, model, record, damage, message):
    path = tmp_path / "bad.h5"
    save(path, model, record)
    with h5py.File(path, "r+") as f:
        damage(f["epochs"])
    with pytest.raises(ModelFileError, match=message) as error:
        load_model(path)
    assert str(error.value).startswith(str(path)) and "\n" not in str(error.value)
