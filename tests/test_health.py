"""Latent health: per-dimension KL and active units, from the command line, training and files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.test_cli import run as run_cli
from vae_explorer.trainer.latent.health import ACTIVE_VARIANCE, active_masks, collapse, latent_health


def eval_health(path) -> dict:
    code, out, err = run_cli(["eval", str(path), "--health"])
    assert code == 0, err
    return json.loads(out)


def test_eval_health_agrees_with_numpy_from_the_encoder_s_outputs(beta_models):
    """Every figure of ``eval --health``, recomputed independently from the encoder's mean and
    log-variance of each held-out image (the IWAE definition of an active unit)."""
    from vae_explorer.trainer.data import load_dataset
    from vae_explorer.trainer.files.modelfile import load_model

    path, npz = beta_models[1.0]
    result = eval_health(path)
    x = load_dataset(str(npz)).x_test
    mean, log_var = (np.asarray(t, np.float64) for t in load_model(path).model.encoder(x, training=False))
    assert len(result["health"]["kl_per_dim"]) == 8 and result["n"] == 300
    kl = (0.5 * (mean**2 + np.exp(log_var) - 1.0 - log_var)).mean(axis=0)
    np.testing.assert_allclose(result["health"]["kl_per_dim"], kl, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(result["health"]["mean_variance"], mean.var(axis=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(result["health"]["mean_sigma"], np.exp(0.5 * log_var).mean(axis=0), rtol=1e-4)
    active = np.flatnonzero(mean.var(axis=0) > 0.01)
    assert result["health"]["active"] == active.tolist()
    assert result["health"]["active_units"] == len(active)


def test_the_kl_of_the_dimensions_sums_to_the_kl_term_the_loss_reports(beta_models):
    for beta in (1.0, 8.0):
        result = eval_health(beta_models[beta][0])
        assert sum(result["health"]["kl_per_dim"]) == pytest.approx(result["kl"], rel=1e-4)


def test_a_large_beta_leaves_fewer_active_units_than_beta_one(beta_models):
    one, eight = (eval_health(beta_models[b][0])["health"]["active_units"] for b in (1.0, 8.0))
    assert eight < one


def test_a_dimension_whose_encoder_weights_are_zeroed_is_inactive(beta_models, mnist):
    """Zero the weights that make dimension d's mean: it no longer depends on the image."""
    from vae_explorer.trainer.files.modelfile import load_model
    from vae_explorer.trainer.model.space import LatentSpace

    model, x = load_model(beta_models[1.0][0]).model, mnist.x_test[:300]
    before = latent_health(*LatentSpace(model).encode(x))
    d = int(np.flatnonzero(before.active)[0])
    layer = next(layer for layer in model.encoder.layers if layer.name == "z_mean")
    kernel, bias = layer.get_weights()
    saved = kernel.copy()
    kernel[:, d] = 0.0
    layer.set_weights([kernel, bias])
    after = latent_health(*LatentSpace(model).encode(x))
    assert not np.array_equal(saved, kernel)
    assert not after.active[d] and after.mean_variance[d] == pytest.approx(0.0, abs=1e-12)
    assert after.active_units == before.active_units - 1


def test_training_records_the_figures_of_each_epoch(beta_models):
    """The history (in the model file and the run record) keeps each epoch's active units and KL."""
    from vae_explorer.trainer.files.modelfile import load_model

    history = load_model(beta_models[8.0][0]).history
    assert [row["epoch"] for row in history] == [1, 2, 3]
    for row in history:
        assert len(row["kl_per_dim"]) == 8 and row["active_units"] == len(row["active"])
        assert sum(row["kl_per_dim"]) == pytest.approx(row["val_kl_loss"], rel=1e-3)


def test_info_says_how_many_dimensions_are_active(beta_models):
    path, _ = beta_models[8.0]
    expected = eval_health(path)["health"]["active_units"]
    code, out, _ = run_cli(["info", str(path)])
    assert code == 0 and f"latent:  {expected} of 8 dimensions active" in out
    code, out, _ = run_cli(["info", str(path), "--json"])
    assert json.loads(out)["active_units"] == expected


def test_the_run_record_and_the_runs_table_have_the_active_units(tmp_path, small_npz):
    code, _, err = run_cli(
        ["train", "--data", str(small_npz), "--preset", "dense", "--epochs", "2", "--out", str(tmp_path / "m.h5")]
    )
    assert code == 0, err
    record = json.loads((tmp_path / "m.h5.run.json").read_text())
    last = record["history"][-1]
    assert record["final"]["active_units"] == last["active_units"] and len(last["kl_per_dim"]) == 10
    code, out, _ = run_cli(["runs", str(tmp_path)])
    header, row = out.splitlines()[:2]
    assert "active" in header.split() and f"{last['active_units']}/10" in row.split()


def test_tensorboard_gets_active_units_and_a_kl_per_dimension_histogram(tmp_path, small_npz):
    """Read back with TensorFlow's own record reader: the scalar and the histogram plugin's k×3
    buckets (dimension d spans [d, d+1) and holds its KL)."""
    from tensorflow.core.util import event_pb2

    from vae_explorer.trainer.tf_runtime import import_tensorflow

    tf, logs = import_tensorflow(), tmp_path / "tb"
    args = ["train", "--data", str(small_npz), "--preset", "dense", "--epochs", "2", "--tensorboard", str(logs)]
    assert run_cli([*args, "--out", str(tmp_path / "m.h5")])[0] == 0
    found: dict[str, list] = {}
    for record in tf.data.TFRecordDataset([str(p) for p in logs.glob("events.*")]):
        event = event_pb2.Event.FromString(record.numpy())
        for value in event.summary.value:
            if value.tag.startswith("health/"):
                found.setdefault(value.tag, []).append((value.metadata.plugin_data.plugin_name, value.tensor))
    assert [p for p, _ in found["health/active_units"]] == ["scalars", "scalars"]
    plugin, tensor = found["health/kl_per_dim"][-1]
    buckets = tf.make_ndarray(tensor)
    assert plugin == "histograms" and buckets.shape == (10, 3)
    np.testing.assert_array_equal(buckets[:, 0], np.arange(10))
    history = json.loads((tmp_path / "m.h5.run.json").read_text())["history"]
    np.testing.assert_allclose(buckets[:, 2], history[-1]["kl_per_dim"], rtol=1e-4)


def test_a_collapse_is_dated_from_the_epoch_since_which_all_its_dimensions_stayed_inactive():
    a = np.array
    masks = [a([1, 1, 1, 1]), a([1, 0, 1, 1]), a([1, 0, 0, 1]), a([1, 0, 0, 1])]
    found = collapse([m.astype(bool) for m in masks], share=0.5)
    assert (found.inactive, found.latent_dim, found.since_epoch) == (2, 4, 3)
    assert found.warning() == "2 of 4 dimensions inactive since epoch 3: try a lower β or KL warm-up"
    assert collapse([a([1, 0, 1, 1]).astype(bool)], share=0.5) is None  # one of four: below the share
    assert collapse([], share=0.5) is None


def test_active_masks_come_from_the_rows_that_record_them():
    history = [{"epoch": 1}, {"epoch": 2, "active": [0, 2]}, {"epoch": 3, "active": [2]}]
    masks = active_masks(history, 3)
    assert [m.tolist() for m in masks] == [[True, False, True], [False, False, True]]


def test_the_threshold_is_the_iwae_one():
    means = np.zeros((100, 2))
    means[:, 0] = np.linspace(-1, 1, 100) * np.sqrt(3 * 0.02)  # variance 0.02: active
    means[:, 1] = np.linspace(-1, 1, 100) * np.sqrt(3 * 0.005)  # variance 0.005: not
    health = latent_health(means, np.zeros((100, 2)))
    assert ACTIVE_VARIANCE == 0.01 and health.active.tolist() == [True, False]
