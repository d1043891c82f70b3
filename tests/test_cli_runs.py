"""``train --tensorboard/--runs-dir``, ``eval --iw`` and ``runs``: the logs, records and figures
they write, read back the way TensorBoard and a user would."""

from __future__ import annotations

import datetime
import glob
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

from tests.test_cli import png_size, run
from vae_explorer.trainer.files.modelfile import load_model

EVERY = 3


@pytest.fixture(scope="module")
def logged(tmp_path_factory, small_npz):
    """One `dense` run of 2 epochs × 8 batches with TensorBoard logs: (model path, logdir, stderr)."""
    folder = tmp_path_factory.mktemp("logged")
    model, logdir = folder / "m.h5", folder / "tb"
    code, out, err = run(
        [
            "train",
            "--data",
            small_npz,
            "--preset",
            "dense",
            "--epochs",
            2,
            "--batch-size",
            32,
            "--tensorboard",
            logdir,
            "--tensorboard-every",
            EVERY,
            "--out",
            model,
        ]
    )
    assert code == 0 and out == "", err
    return model, logdir, err


def events(logdir) -> dict[str, dict[int, object]]:
    """tag → step → value (a float for scalars, the string list for images), from the event file."""
    import tensorflow as tf

    (path,) = glob.glob(str(logdir / "events.out.tfevents.*"))
    found: dict[str, dict[int, object]] = {}
    for event in tf.compat.v1.train.summary_iterator(path):
        for value in event.summary.value:
            array = tf.make_ndarray(value.tensor)
            plugin = value.metadata.plugin_data.plugin_name or found.get(value.tag, {}).get("plugin")
            found.setdefault(value.tag, {"plugin": plugin})[event.step] = (
                float(array) if array.dtype.kind == "f" and array.ndim == 0 else list(array)
            )
    return found


def test_epoch_scalars_are_the_history(logged):
    model, logdir, err = logged
    history = load_model(model).history
    found = events(logdir)
    pairs = {
        "loss": "loss",
        "reconstruction": "reconstruction_loss",
        "kl": "kl_loss",
        "val_neg_elbo": "val_neg_elbo",
        "images_per_second": "images_per_second",
    }
    for tag, key in pairs.items():
        assert found[f"epoch/{tag}"]["plugin"] == "scalars"
        assert {s: v for s, v in found[f"epoch/{tag}"].items() if s != "plugin"} == {
            row["epoch"]: pytest.approx(np.float32(row[key]), rel=1e-6) for row in history
        }, tag
    assert found["epoch/learning_rate"][1] == found["epoch/learning_rate"][2] == pytest.approx(1e-3)
    for tag in ("loss", "reconstruction", "kl"):  # 16 batches in all, one point every 3
        assert sorted(s for s in found[f"batch/{tag}"] if s != "plugin") == [3, 6, 9, 12, 15]
    assert "epoch 1/2" in err and "epoch 2/2" in err  # the progress bar still reports


def test_images_per_epoch(logged):
    import tensorflow as tf

    found = events(logged[1])
    sizes = {"images/samples_from_prior": (242, 242), "images/reconstructions": (242, 62)}
    for tag, (width, height) in sizes.items():
        assert found[tag]["plugin"] == "images"
        for step in (1, 2):
            w, h, png = found[tag][step]
            assert (int(w), int(h)) == (width, height)
            assert tf.io.decode_png(png).shape == (height, width, 1)
    assert found["images/samples_from_prior"][1] != found["images/samples_from_prior"][2]  # it learned


def test_projector_files(logged):
    model, logdir, _ = logged
    loaded = load_model(model)
    tensors = np.loadtxt(logdir / "tensors.tsv", delimiter="\t")
    np.testing.assert_allclose(tensors, loaded.latent.means, rtol=1e-6, atol=1e-6)
    labels = (logdir / "metadata.tsv").read_text().splitlines()
    assert labels == [str(v) for v in loaded.latent.labels]
    assert png_size(logdir / "sprite.png") == (8 * 28, 8 * 28, 0)  # 64 held-out images, 8 × 8
    config = (logdir / "projector_config.pbtxt").read_text()
    for line in (
        'tensor_path: "tensors.tsv"',
        'metadata_path: "metadata.tsv"',
        'image_path: "sprite.png"',
        "single_image_dim: 28",
    ):
        assert line in config


def test_the_run_record_beside_the_model(logged, small_npz):
    model, logdir, _ = logged
    record = json.loads(Path(f"{model}.run.json").read_text())
    loaded = load_model(model)
    assert record["format"] == "vae-explorer-run" and record["status"] == "finished"
    assert record["model_path"] == str(model) and os.path.isabs(record["model_path"])
    assert record["config"] == {**loaded.config.to_dict()}
    assert record["dataset"] == loaded.dataset and record["dataset"]["source"] == str(small_npz)
    assert record["history"] == loaded.history
    assert record["final"]["val_neg_elbo"] == loaded.history[-1]["val_neg_elbo"]
    assert set(record["versions"]) == {"python", "tensorflow", "keras", "numpy", "vae-explorer"}
    assert 0 < record["wall_time"] < 120 and record["tensorboard"] == str(logdir)
    started = datetime.datetime.fromisoformat(record["started"])
    assert abs((datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()) < 600


def test_eval_iw_adds_figures_to_the_line_and_the_record(logged):
    model = logged[0]
    code, out, err = run(["eval", model, "--iw", 50, "--per-class", "--seed", 4])
    assert code == 0, err
    (line,) = out.splitlines()
    result = json.loads(line)
    assert result["iw_k"] == 50 and result["likelihood"] == "bernoulli-on-grey"
    assert result["iw_bits_per_dim"] == pytest.approx(result["iw_nll"] / (784 * math.log(2)))
    assert 0 < result["iw_nll"] < result["neg_elbo"]  # 50 samples: a tighter bound than the ELBO
    per_class = result["iw_per_class"]
    assert sum(c["n"] for c in per_class.values()) == 64
    assert sum(c["iw_nll"] * c["n"] for c in per_class.values()) / 64 == pytest.approx(result["iw_nll"])
    assert f"added the likelihood figures to {model}.run.json" in err
    record = json.loads(Path(f"{model}.run.json").read_text())
    assert record["likelihood"][-1]["iw_nll"] == result["iw_nll"] and record["likelihood"][-1]["seed"] == 4
    again = json.loads(run(["eval", model, "--iw", 50, "--per-class", "--seed", 4])[1])
    assert again["iw_nll"] == result["iw_nll"]  # the same seed, the same figure
    assert len(json.loads(Path(f"{model}.run.json").read_text())["likelihood"]) == 1  # replaced, not duplicated
    code, out, _ = run(["runs", f"{model}.run.json"])  # a record file works as well as a folder
    assert code == 0 and out.splitlines()[1].split()[11:13] == [f"{result['iw_nll']:.2f}", "(K=50)"]


def test_eval_binarized(logged):
    code, out, err = run(["eval", logged[0], "--iw", 10, "--binarize"])
    assert code == 0, err
    result = json.loads(out)
    assert result["likelihood"] == "bernoulli-binarized" and "iw_per_class" not in result
    grey = json.loads(run(["eval", logged[0]])[1])
    assert result["neg_elbo"] != grey["neg_elbo"]  # the ELBO too is of the binarised images


def test_runs_dir_table_json_and_a_damaged_record(tmp_path, small_npz, monkeypatch):
    runs_dir = tmp_path / "runs"
    for seed in (1, 2):
        code, _, err = run(
            [
                "train",
                "--data",
                small_npz,
                "--preset",
                "dense",
                "--epochs",
                1,
                "--batch-size",
                64,
                "--seed",
                seed,
                "--runs-dir",
                runs_dir,
                "--out",
                tmp_path / "m.h5",
            ]
        )
        assert code == 0, err
    assert not os.path.exists(f"{tmp_path / 'm.h5'}.run.json")
    names = sorted(os.listdir(runs_dir))
    assert len(names) == 2 and all(n.startswith("m.h5-") and n.endswith(".run.json") for n in names)
    (runs_dir / "broken.run.json").write_text("{not json")
    code, out, err = run(["runs", runs_dir])
    assert code == 0
    assert err.strip() == (
        f"vae-explorer: warning: {runs_dir / 'broken.run.json'}: is not valid JSON "
        "(line 1: Expecting property name enclosed in double quotes) (skipped)"
    )
    header, *rows = out.splitlines()
    assert header.split() == [
        "date",
        "model",
        "status",
        "dataset",
        "preset",
        "latent",
        "beta",
        "epochs",
        "active",
        "held-out",
        "-ELBO",
        "IW",
        "NLL",
        "time",
    ]
    assert len(rows) == 2
    for row in rows:  # date and time, then the rest; the IW column is empty until eval --iw
        cells = row.split()
        assert cells[2:11] == ["m.h5", "finished", "small", "dense", "10", "1.0", "1", cells[9], cells[10]]
        assert re.fullmatch(r"\d+/10", cells[9])  # the active dimensions, of 10
        assert 0 < float(cells[10]) < 800 and cells[11] == "-" and row.endswith(" s")
    lines = [json.loads(line) for line in run(["runs", runs_dir, "--json"])[1].splitlines()]
    assert [r["config"]["seed"] for r in lines] == [1, 2]
    assert {r["record"] for r in lines} == {str(runs_dir / n) for n in names}
    monkeypatch.chdir(runs_dir)  # the default place is the current folder
    assert len(run(["runs", "--json"])[1].splitlines()) == 2


def test_diverged_run_is_recorded(tmp_path, small_npz):
    model = tmp_path / "m.h5"
    code, _, err = run(
        [
            "train",
            "--data",
            small_npz,
            "--preset",
            "dense",
            "--epochs",
            2,
            "--batch-size",
            32,
            "--lr",
            1e12,
            "--out",
            model,
        ]
    )
    assert code == 1, err
    record = json.loads(Path(f"{model}.run.json").read_text())
    assert record["status"] == "diverged" and "try a lower learning rate" in record["message"]
    assert record["history"] == load_model(model).history


def test_interrupted_run_is_recorded_as_stopped(tmp_path, small_npz, monkeypatch):
    """Ctrl-C in the second epoch: the record says stopped, with the one finished epoch."""
    import signal

    from vae_explorer.trainer.training.progress import ProgressBar

    def interrupt(self, report):
        if report.epoch == 2:
            os.kill(os.getpid(), signal.SIGINT)  # the handler train installs asks the trainer to stop

    monkeypatch.setattr(ProgressBar, "on_batch", interrupt)
    model = tmp_path / "m.h5"
    code, _, err = run(
        [
            "train",
            "--data",
            small_npz,
            "--preset",
            "dense",
            "--epochs",
            3,
            "--batch-size",
            32,
            "--tensorboard",
            tmp_path / "tb",
            "--out",
            model,
        ]
    )
    assert code == 130, err
    record = json.loads(Path(f"{model}.run.json").read_text())
    assert record["status"] == "stopped" and "during epoch 2" in record["message"]
    assert [row["epoch"] for row in record["history"]] == [1]
    assert (tmp_path / "tb" / "projector_config.pbtxt").exists()  # the logs are closed all the same


@pytest.fixture(scope="module")
def mse_model(tmp_path_factory, small_npz):
    path = tmp_path_factory.mktemp("mse") / "mse.h5"
    code, _, err = run(
        [
            "train",
            "--data",
            small_npz,
            "--preset",
            "dense",
            "--epochs",
            1,
            "--batch-size",
            64,
            "--reconstruction",
            "mse",
            "--out",
            path,
        ]
    )
    assert code == 0, err
    return path


def _mistakes():
    # {m}: the logged model, {s}: an mse model, {t}: an empty folder, {n}: an npz without labels
    return {
        "mse has no likelihood": (
            ["eval", "{s}", "--iw", 10],
            ["{s}: the importance-weighted bound needs a likelihood", "'mse' reconstruction"],
        ),
        "K of 0": (["eval", "{m}", "--iw", 0], ["--iw K must be between 1 and 1,000,000 (got 0)"]),
        "--per-class alone": (["eval", "{m}", "--per-class"], ["--per-class and --record go with --iw K"]),
        "--per-class without labels": (
            ["eval", "{m}", "--iw", 2, "--per-class", "--data", "{n}"],
            ["{n}: has no labels, which --per-class needs"],
        ),
        "record missing": (
            ["eval", "{m}", "--iw", 2, "--record", "{t}/none.run.json"],
            ["{t}/none.run.json: no such file"],
        ),
        "record of another run": (
            ["eval", "{m}", "--iw", 2, "--record", "{s}.run.json"],
            ["{s}.run.json: describes another training run than {m}"],
        ),
        "record not a record": (
            ["eval", "{m}", "--iw", 2, "--record", "{n}.json"],
            ["{n}.json: is not a vae-explorer run record"],
        ),
        "runs of a missing folder": (["runs", "{t}/nowhere"], ["{t}/nowhere: no such folder or record file"]),
        "tensorboard every 0": (
            [
                "train",
                "--data",
                "{n}",
                "--preset",
                "dense",
                "--tensorboard",
                "{t}/tb",
                "--tensorboard-every",
                0,
                "--out",
                "{t}/m.h5",
            ],
            ["--tensorboard-every must be ≥ 1"],
        ),
        "runs-dir is a file": (
            ["train", "--data", "{n}", "--preset", "dense", "--epochs", 1, "--runs-dir", "{n}", "--out", "{t}/m.h5"],
            ["{n}: cannot be created"],
        ),
    }


@pytest.mark.parametrize("case", list(_mistakes()))
def test_mistakes_are_one_line_and_exit_2(case, logged, mse_model, mnist_small, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    unlabelled = other / "unlabelled.npz"
    np.savez(unlabelled, x=np.concatenate([mnist_small.x_train, mnist_small.x_test]))
    (other / "unlabelled.npz.json").write_text('{"some": "json"}')
    empty = tmp_path_factory.mktemp("empty")
    names = {"m": str(logged[0]), "s": str(mse_model), "t": str(empty), "n": str(unlabelled)}
    argv, fragments = _mistakes()[case]
    code, out, err = run([str(a).format(**names) for a in argv])
    assert code == 2 and out == "", err
    # one error line (a dataset that is not the model's own also gets its warning line first)
    errors = [line for line in err.splitlines() if not line.startswith("vae-explorer: warning: ")]
    assert len(errors) == 1 and errors[0].startswith("vae-explorer: error: ") and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment.format(**names) in err, err
    assert os.listdir(empty) == []
