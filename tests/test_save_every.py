"""``train --save-every N``: a loadable model file after every N epochs, written atomically."""

from __future__ import annotations

import os

from tests.test_cli import run
from vae_explorer.trainer.files.modelfile import load_model
from vae_explorer.trainer.training import periodic_save


def test_the_file_is_saved_every_epoch_and_each_version_loads(tmp_path, small_npz, monkeypatch):
    out = tmp_path / "m.h5"
    versions: list[tuple[int, bool]] = []  # (epochs in the file, held-out codes in it) after each periodic save
    histories: list[list[dict]] = []
    real_save = periodic_save.save_model

    def save_and_reload(path, *args, **kwargs):
        real_save(path, *args, **kwargs)
        loaded = load_model(path)
        versions.append((len(loaded.history), loaded.latent is not None))
        histories.append(loaded.history)
        assert [n for n in os.listdir(tmp_path) if n.startswith(".tmp-")] == []

    monkeypatch.setattr(periodic_save, "save_model", save_and_reload)
    code, _, err = run(
        [
            "train",
            "--data",
            str(small_npz),
            "--preset",
            "tutorial",
            "--epochs",
            "3",
            "--batch-size",
            "64",
            "--save-every",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0, err
    assert versions == [(1, True), (2, True)]  # the third epoch is the final save's
    final = load_model(out)
    assert len(final.history) == 3
    assert final.history[:1] == histories[0] and final.history[:2] == histories[1]  # the run the saves showed


def test_every_two_epochs_on_a_resumed_model_counts_its_epochs(tmp_path, small_npz, monkeypatch):
    out = tmp_path / "m.h5"
    assert (
        run(
            [
                "train",
                "--data",
                str(small_npz),
                "--preset",
                "tutorial",
                "--epochs",
                "1",
                "--batch-size",
                "64",
                "--out",
                str(out),
            ]
        )[0]
        == 0
    )
    saved: list[int] = []
    real_save = periodic_save.save_model
    monkeypatch.setattr(
        periodic_save,
        "save_model",
        lambda path, model, config, history, *a: (
            saved.append(len(history)),
            real_save(path, model, config, history, *a),
        ),
    )
    code, _, err = run(
        [
            "train",
            "--resume",
            str(out),
            "--data",
            str(small_npz),
            "--epochs",
            "3",
            "--save-every",
            "2",
            "--out",
            str(out),
        ]
    )
    assert code == 0, err
    assert saved == [2]  # epochs 2, 3, 4 of the model: epoch 4 is the final save
    assert len(load_model(out).history) == 4


def test_save_every_must_be_a_positive_whole_number(tmp_path):
    code, _, err = run(["train", "--save-every", "0", "--out", str(tmp_path / "m.h5")])
    assert code == 2
    assert err.strip().splitlines() == [
        "vae-explorer: error: vae-explorer train: argument --save-every: "
        "expected a whole number ≥ 1, got '0' (see --help)"
    ]
    assert not (tmp_path / "m.h5").exists()
