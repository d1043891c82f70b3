"""``vae-explorer train|export|eval|info``: in-process through ``trainer.cli.main``, plus one real run
of the installed console script. Every user mistake is one line on stderr and exit 2."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from vae_explorer.trainer.cli import main
from vae_explorer.trainer.files.modelfile import load_model, read_header


def run(argv) -> tuple[int, str, str]:
    """``main(argv)`` with its stdout and stderr captured: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def png_size(path) -> tuple[int, int, int]:
    """(width, height, colour type) from a PNG's IHDR chunk, checking the signature and CRC."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    body = data[16:29]
    assert struct.unpack(">I", data[29:33])[0] == zlib.crc32(b"IHDR" + body) & 0xFFFFFFFF
    width, height, depth, colour = struct.unpack(">IIBB", body[:10])
    assert depth == 8
    return width, height, colour


@pytest.fixture(scope="module")
def cli_model(tmp_path_factory, small_npz):
    """``train`` run once for the module: (path, exit code, stdout, stderr)."""
    path = tmp_path_factory.mktemp("cli") / "m.h5"
    code, out, err = run(
        ["train", "--data", small_npz, "--preset", "tutorial", "--epochs", 1, "--batch-size", 32, "--out", path]
    )
    return path, code, out, err


# -- the commands ---------------------------------------------------------------------------


def test_train_writes_a_model_that_loads(cli_model, small_npz):
    path, code, out, err = cli_model
    assert code == 0, err
    assert out == ""  # progress goes to stderr; stdout stays clean for pipes
    assert "training 'tutorial' (latent 2) on small: 256 train / 64 held-out images 28×28×1" in err
    assert f"saved {path}: 1 epoch(s)" in err
    assert "Traceback" not in err
    loaded = load_model(path)
    assert loaded.config.preset == "tutorial" and loaded.config.batch_size == 32 and loaded.config.epochs == 1
    assert [h["epoch"] for h in loaded.history] == [1]
    assert loaded.dataset["source"] == str(small_npz) and loaded.dataset["n_test"] == 64
    assert loaded.latent.means.shape == (64, 2)
    assert int(loaded.model.optimizer.iterations.numpy()) == 8
    assert [n for n in os.listdir(path.parent) if n.startswith(".tmp-")] == []


# scale 2 (the default): every tile is 28 px + 2 px padding, plus a 2 px border, doubled
def _tiles(cols, rows, pad=2):
    return (2 * (cols * (28 + pad) + pad), 2 * (rows * (28 + pad) + pad))


EXPORTS = {
    "grid": ([], _tiles(15, 15, pad=0)),
    "grid-quantiles": (["--n", 4, "--quantiles", "--scale", 1], (4 * 28, 4 * 28)),
    "samples": (["--count", 10], _tiles(4, 3)),
    "interpolate": (["--from", "-2,0.5", "--to", "1.5,-1", "--steps", 7], _tiles(7, 1)),
    "interpolate-spherical": (["--from", "1,1", "--to", "-1,1", "--steps", 5, "--method", "spherical"], _tiles(5, 1)),
    "traverse": (["--steps", 5, "--at", "-0.5,0", "--span", 2], _tiles(5, 2)),  # a point may start with '-'
    "reconstructions": (["--count", 16], _tiles(8, 4)),
}


@pytest.mark.parametrize("name", list(EXPORTS))
def test_export_images(cli_model, tmp_path, name):
    from vae_explorer.trainer.tf_runtime import import_tensorflow

    extra, (width, height) = EXPORTS[name]
    out = tmp_path / f"{name}.png"
    code, stdout, err = run(["export", cli_model[0], "--what", name.split("-")[0], "--out", out, *extra])
    assert code == 0, err
    assert err.strip() == f"wrote {out} ({width}×{height})"
    assert png_size(out) == (width, height, 0)  # grey
    pixels = import_tensorflow().io.decode_png(out.read_bytes()).numpy()
    assert pixels.shape == (height, width, 1)
    assert pixels.std() > 0  # not a blank sheet
    assert os.listdir(tmp_path) == [out.name]


def test_interpolate_defaults_to_two_encoded_images(cli_model, tmp_path):
    code, _, err = run(["export", cli_model[0], "--what", "interpolate", "--out", tmp_path / "i.png"])
    assert code == 0, err
    assert png_size(tmp_path / "i.png")[:2] == _tiles(10, 1)


@pytest.mark.parametrize("what", ["keras", "keras-decoder"])
def test_export_keras(cli_model, tmp_path, what):
    import keras

    out = tmp_path / f"{what}.keras"
    code, _, err = run(["export", cli_model[0], "--what", what, "--out", out])
    assert code == 0, err
    assert err.strip() == f"wrote {out}"
    reloaded = keras.saving.load_model(out)
    decoder = reloaded.decoder if what == "keras" else reloaded
    z = np.random.default_rng(0).standard_normal((6, 2)).astype(np.float32)
    np.testing.assert_array_equal(
        decoder(z, training=False).numpy(), load_model(cli_model[0]).model.decoder(z, training=False).numpy()
    )


def test_eval_prints_one_json_line(cli_model):
    code, out, err = run(["eval", cli_model[0]])
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result["model"] == str(cli_model[0]) and result["data"] == "small" and result["n"] == 64
    for key in ("neg_elbo", "reconstruction", "kl", "loss"):
        assert isinstance(result[key], float) and np.isfinite(result[key])
    assert result["neg_elbo"] == pytest.approx(result["reconstruction"] + result["kl"], rel=1e-5)
    assert 50 < result["neg_elbo"] < 600  # nats per 28×28 image, after a single short epoch


def test_with_squared_error_eval_and_history_do_not_call_the_sum_an_elbo(small_npz, tmp_path, cli_model):
    """BCE + KL is the negative ELBO of a Bernoulli decoder; squared error + KL is no ELBO."""
    model = tmp_path / "mse.h5"
    code, _, err = run(
        [
            "train",
            "--data",
            small_npz,
            "--preset",
            "dense",
            "--reconstruction",
            "mse",
            "--epochs",
            1,
            "--batch-size",
            64,
            "--out",
            model,
        ]
    )
    assert code == 0 and "held-out SSE+KL" in err and "ELBO" not in err, err
    code, out, err = run(["eval", model])
    result = json.loads(out)
    assert code == 0 and result["objective"] == "sse_plus_kl" and "neg_elbo" not in result
    assert result["sse_plus_kl"] == pytest.approx(result["reconstruction"] + result["kl"], rel=1e-5)
    assert load_model(model).history[0]["objective"] == "sse_plus_kl"
    assert "held-out SSE+KL" in run(["info", model])[1]
    assert json.loads(run(["eval", cli_model[0]])[1])["objective"] == "neg_elbo"
    assert load_model(cli_model[0]).history[0]["objective"] == "neg_elbo"


def test_info_text_and_json(cli_model, small_npz):
    path = cli_model[0]
    code, out, err = run(["info", path])
    assert code == 0 and err == ""
    assert out.startswith(f"{path}: vae-explorer-model v1, written by vae-explorer 0.1.0")
    for fragment in (
        "preset 'tutorial', latent dim 2, image 28×28×1",
        "trained: 1 epoch(s), batch 32",
        "loss:    bce + β=1.0·KL",
        f"from {small_npz}",
        "map:     64 encoded held-out images",
    ):
        assert fragment in out, fragment
    code, out, err = run(["info", path, "--json"])
    assert code == 0 and len(out.splitlines()) == 1
    header = json.loads(out)
    health = {k: header.pop(k) for k in ("health", "active_units")}  # the checks' figures, besides the header
    assert header == {**json.loads(json.dumps(read_header(path))), "ok": True, "error": None}
    assert health["active_units"] == health["health"]["active_units"] <= 2
    assert header["config"]["preset"] == "tutorial" and header["latent_codes"] == 64
    # every stored number: the 26,345 trainable parameters, BatchNorm moving statistics, kl_weight
    assert header["parameters"] == sum(int(np.prod(w.shape)) for w in load_model(path).model.weights)
    assert header["parameters"] > 26_345


def test_resume_continues_the_epoch_count(cli_model, tmp_path):
    out = tmp_path / "more.h5"
    code, _, err = run(["train", "--resume", cli_model[0], "--epochs", 1, "--out", out])
    assert code == 0, err
    assert "training 'tutorial' (latent 2) on small" in err  # the model's own dataset, found again
    first, second = load_model(cli_model[0]), load_model(out)
    assert [h["epoch"] for h in second.history] == [1, 2]
    assert second.history[0] == first.history[0]
    assert int(second.model.optimizer.iterations.numpy()) == 2 * int(first.model.optimizer.iterations.numpy())
    assert second.config.batch_size == 32  # kept from the model
    code, _, err = run(["train", "--resume", cli_model[0], "--preset", "dense", "--out", out])
    assert code == 2 and "a resumed model keeps its architecture" in err


@pytest.fixture(scope="module")
def unsplit_model(tmp_path_factory, mnist_small):
    """An x-only .npz (so we split it) and a model trained on it by the CLI with seed 7."""
    folder = tmp_path_factory.mktemp("unsplit")
    data, model = folder / "unsplit.npz", folder / "m.h5"
    np.savez(data, x=np.concatenate([mnist_small.x_train, mnist_small.x_test]))
    code, _, err = run(
        ["train", "--data", data, "--preset", "dense", "--epochs", 1, "--batch-size", 32, "--seed", 7, "--out", model]
    )
    assert code == 0, err
    return data, model


def scored_images(monkeypatch) -> list[np.ndarray]:
    """The arrays HeldOutEvaluator is called on from now on (it then returns dummy terms)."""
    from vae_explorer.trainer.training import compiled

    seen = []
    monkeypatch.setattr(
        compiled.HeldOutEvaluator,
        "__call__",
        lambda self, x: (
            seen.append(np.asarray(x)) or {"neg_elbo": 1.0, "reconstruction_loss": 1.0, "kl_loss": 0.0, "loss": 1.0}
        ),
    )
    return seen


def test_app_and_cli_hold_out_the_same_images_whatever_the_seed(unsplit_model):
    """The app loads with ``load_dataset(spec)``; a CLI model trained with --seed 7 held out the
    same images, so the map, eval and the app agree on what was never trained on."""
    from vae_explorer.trainer.data import load_dataset
    from vae_explorer.trainer.data.pixels import SPLIT_SEED
    from vae_explorer.trainer.model.space import LatentSpace

    data, model = unsplit_model
    loaded = load_model(model)
    app_view = load_dataset(str(data))
    np.testing.assert_allclose(LatentSpace(loaded.model).encode(app_view.x_test)[0], loaded.latent.means, atol=1e-5)
    assert loaded.dataset["split"] == {"method": "random", "seed": SPLIT_SEED, "fraction": 0.2}
    assert loaded.dataset["held_out_sha256"] == app_view.describe()["held_out_sha256"]


def test_eval_export_and_resume_use_the_held_out_split_of_training(unsplit_model, tmp_path, monkeypatch):
    from vae_explorer.trainer.data import load_dataset
    from vae_explorer.trainer.files.imagegrid import to_uint8
    from vae_explorer.trainer.model.space import LatentSpace
    from vae_explorer.trainer.tf_runtime import import_tensorflow

    data, model = unsplit_model
    loaded = load_model(model)
    held_out = load_dataset(str(data)).x_test
    seen = scored_images(monkeypatch)
    code, out, err = run(["eval", model])
    assert code == 0 and err == "", err
    np.testing.assert_array_equal(seen[0], held_out)
    assert json.loads(out)["held_out"] == "verified"
    code, _, err = run(["train", "--resume", model, "--epochs", 1, "--out", tmp_path / "m2.h5"])
    assert code == 0 and "warning" not in err, err
    resumed = load_model(tmp_path / "m2.h5")
    assert resumed.dataset["held_out_sha256"] == loaded.dataset["held_out_sha256"]
    np.testing.assert_allclose(LatentSpace(resumed.model).encode(held_out)[0], resumed.latent.means, atol=1e-5)
    sheet = tmp_path / "r.png"
    code, _, err = run(["export", model, "--what", "reconstructions", "--count", 8, "--scale", 1, "--out", sheet])
    assert code == 0 and "warning" not in err, err
    first_tile = import_tensorflow().io.decode_png(sheet.read_bytes()).numpy()[2:30, 2:30]
    np.testing.assert_array_equal(first_tile, to_uint8(held_out[0]))


def test_a_changed_dataset_is_reported_in_one_line(unsplit_model, tmp_path, monkeypatch, mnist_small):
    data, model = unsplit_model
    changed = tmp_path / "changed.npz"
    with np.load(data) as npz:
        np.savez(changed, x=npz["x"][::-1])  # same images, another order: another held-out set
    scored_images(monkeypatch)
    code, out, err = run(["eval", model, "--data", changed])
    assert code == 0
    assert err.count("\n") == 1 and err.startswith(f"vae-explorer: warning: {changed}: ")
    assert "not the images" in err and str(model) in err
    assert json.loads(out)["held_out"] == "differs"


def test_a_model_file_without_a_recorded_split_is_unverified(unsplit_model, tmp_path, monkeypatch):
    import h5py

    data, model = unsplit_model
    old = tmp_path / "old.h5"
    shutil.copyfile(model, old)
    with h5py.File(old, "r+") as f:
        described = json.loads(f.attrs["dataset"])
        f.attrs["dataset"] = json.dumps({k: v for k, v in described.items() if k not in ("split", "held_out_sha256")})
    scored_images(monkeypatch)
    code, out, err = run(["eval", old])
    assert code == 0 and err.count("\n") == 1 and "records no held-out checksum" in err
    assert json.loads(out)["held_out"] == "unverified"


@pytest.fixture(scope="module")
def folder_model(tmp_path_factory):
    """A folder of 20×12 RGB PNGs in two classes, and a model trained on it at --image-size 16x8."""
    from vae_explorer.trainer.files.imagegrid import write_png

    root = tmp_path_factory.mktemp("folder")
    rng = np.random.default_rng(0)
    for label in ("a", "b"):
        (root / "pics" / label).mkdir(parents=True)
        for i in range(12):
            write_png(root / "pics" / label / f"{i}.png", rng.integers(0, 256, (20, 12, 3), dtype=np.uint8))
    model = root / "m.h5"
    code, _, err = run(
        [
            "train",
            "--data",
            root / "pics",
            "--image-size",
            "16x8",
            "--preset",
            "dense",
            "--epochs",
            1,
            "--batch-size",
            8,
            "--out",
            model,
        ]
    )
    assert code == 0, err
    return root / "pics", model


def test_eval_and_reconstructions_reload_an_image_folder_at_the_models_size(folder_model, tmp_path):
    data, model = folder_model
    assert load_model(model).model.image_shape == (16, 8, 3)
    code, out, err = run(["eval", model])
    assert code == 0 and err == "", err
    assert json.loads(out)["n"] == 5 and json.loads(out)["held_out"] == "verified"
    code, _, err = run(["eval", model, "--image-size", "16x8"])
    assert code == 0 and err == "", err
    sheet = tmp_path / "r.png"
    code, _, err = run(["export", model, "--what", "reconstructions", "--count", 4, "--scale", 1, "--out", sheet])
    assert code == 0, err
    code, _, err = run(["train", "--resume", model, "--epochs", 1, "--out", tmp_path / "more.h5"])
    assert code == 0 and "warning" not in err, err
    code, _, err = run(["eval", model, "--image-size", "20x12"])
    assert code == 2 and err.count("\n") == 1 and "but the model takes (16, 8, 3)" in err


def test_installed_console_script(tmp_path, small_npz):
    # Beside this interpreter, not on PATH: `python -m pytest` from a venv that is not activated.
    exe = os.path.join(os.path.dirname(sys.executable), "vae-explorer")
    assert os.path.isfile(exe), f"no vae-explorer console script beside {sys.executable} (pip install -e .)"
    script = (
        f'"{exe}" train --data "{small_npz}" --preset dense --epochs 1 --batch-size 32 --out m.h5 '
        f'&& "{exe}" export m.h5 --what samples --count 4 --out s.png '
        f'&& "{exe}" eval m.h5'
    )
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=150)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "saved m.h5: 1 epoch(s)" in proc.stderr and "wrote s.png (124×124)" in proc.stderr
    assert png_size(tmp_path / "s.png") == (124, 124, 0)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["model"] == "m.h5" and result["n"] == 64 and np.isfinite(result["neg_elbo"])
    assert load_model(tmp_path / "m.h5").config.preset == "dense"


# -- mistakes: exit 2, one line, no traceback -----------------------------------------------


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory, mnist_small):
    folder = tmp_path_factory.mktemp("bad")
    rnd = folder / "random.h5"
    rnd.write_bytes(np.random.default_rng(0).bytes(2048))
    x = mnist_small.x_train[:40].copy()
    x[3, 5, 5, 0] = np.nan
    np.savez(folder / "nan.npz", x=x)
    np.savez(folder / "wide.npz", x=np.zeros((5, 4, 1100), np.uint8))
    return folder


def _bad_cases():
    # each: argv (with {m} the trained model, {d} the small npz, {b} the folder of bad inputs,
    # {t} an empty folder) and fragments the one line must contain
    return {
        "unknown option": (["info", "{m}", "--bogus"], ["unrecognized arguments: --bogus"]),
        "unknown command": (["fly"], ["invalid choice: 'fly'"]),
        "no command": ([], ["required: command"]),
        "missing --out": (["train", "--data", "{d}"], ["required: --out"]),
        "missing --what": (["export", "{m}", "--out", "{t}/x.png"], ["required: --what"]),
        "bad --what": (["export", "{m}", "--what", "movie", "--out", "{t}/x.png"], ["invalid choice: 'movie'"]),
        "bad number": (
            ["train", "--data", "{d}", "--epochs", "many", "--out", "{t}/m.h5"],
            ["expected a whole number ≥ 1, got 'many'"],
        ),
        "model path missing": (
            ["export", "{t}/none.h5", "--what", "grid", "--out", "{t}/g.png"],
            ["{t}/none.h5: no such file"],
        ),
        "eval missing model": (["eval", "{t}/none.h5"], ["{t}/none.h5: no such file"]),
        "resume missing model": (
            ["train", "--resume", "{t}/none.h5", "--out", "{t}/m.h5"],
            ["{t}/none.h5: no such file"],
        ),
        "random-bytes model (info)": (["info", "{b}/random.h5"], ["{b}/random.h5: is not an HDF5 file"]),
        "random-bytes model (eval)": (["eval", "{b}/random.h5"], ["{b}/random.h5: is not an HDF5 file"]),
        "random-bytes model (export)": (
            ["export", "{b}/random.h5", "--what", "samples", "--out", "{t}/s.png"],
            ["{b}/random.h5: is not an HDF5 file"],
        ),
        "bad --data path": (
            ["train", "--data", "{t}/nothing.npz", "--preset", "tutorial", "--out", "{t}/m.h5"],
            ["{t}/nothing.npz: no such file or folder"],
        ),
        "npz with NaN": (
            ["train", "--data", "{b}/nan.npz", "--preset", "tutorial", "--out", "{t}/m.h5"],
            ["nan.npz: 'x' has NaN or infinite pixels in 1 image(s)"],
        ),
        "images too large": (
            ["train", "--data", "{b}/wide.npz", "--out", "{t}/m.h5"],
            ["{b}/wide.npz: images of 4×1100 px are too large", "at most 1024 px"],
        ),
        "eval on other images": (["eval", "{m}", "--data", "{b}/nan.npz"], ["NaN or infinite pixels"]),
        "latent dim 0": (
            ["train", "--data", "{d}", "--preset", "tutorial", "--latent-dim", 0, "--out", "{t}/m.h5"],
            ["latent dimension must be 1–512 (got 0)"],
        ),
        "negative lr": (["train", "--data", "{d}", "--lr", "-1", "--out", "{t}/m.h5"], ["learning rate must be > 0"]),
        "unknown preset": (
            ["train", "--data", "{d}", "--preset", "huge", "--out", "{t}/m.h5"],
            ["unknown preset 'huge'"],
        ),
        "--from wrong dims": (
            ["export", "{m}", "--what", "interpolate", "--from", "1,2,3", "--to", "0,0", "--out", "{t}/i.png"],
            ["--from needs 2 comma-separated numbers", "got 3"],
        ),
        "--to wrong dims": (
            ["export", "{m}", "--what", "interpolate", "--to", "1", "--out", "{t}/i.png"],
            ["--to needs 2 comma-separated numbers", "got 1"],
        ),
        "--from without a value": (
            ["export", "{m}", "--what", "interpolate", "--from", "--to", "1,1", "--out", "{t}/i.png"],
            ["argument --from: expected one argument"],
        ),
        "--at not numbers": (
            ["export", "{m}", "--what", "traverse", "--at", "a,b", "--out", "{t}/t.png"],
            ["expected comma-separated numbers, got 'a,b'"],
        ),
        "--n too big": (
            ["export", "{m}", "--what", "grid", "--n", 1000, "--out", "{t}/g.png"],
            ["--n must be between 1 and 256"],
        ),
        "train into a missing folder": (
            ["train", "--data", "{d}", "--out", "{t}/no/such/m.h5"],
            ["{t}/no/such: folder does not exist"],
        ),
        "export into a missing folder": (
            ["export", "{m}", "--what", "grid", "--out", "{t}/no/g.png"],
            ["{t}/no: folder does not exist"],
        ),
        "keras export into a missing folder": (
            ["export", "{m}", "--what", "keras", "--out", "{t}/no/m.keras"],
            ["{t}/no/m.keras: cannot write here"],
        ),
        "export to a non-png name": (
            ["export", "{m}", "--what", "grid", "--out", "{t}/grid.jpg"],
            ["{t}/grid.jpg: image exports are PNG files"],
        ),
        "keras export to a non-keras name": (
            ["export", "{m}", "--what", "keras-decoder", "--out", "{t}/d.h5"],
            ["must end in .keras"],
        ),
        "bad image size": (
            ["train", "--data", "{d}", "--image-size", "2x2", "--out", "{t}/m.h5"],
            ["expected a size like 64 or 64x48"],
        ),
    }


@pytest.mark.parametrize("case", list(_bad_cases()))
def test_mistakes_are_one_line_and_exit_2(case, cli_model, small_npz, bad_inputs, tmp_path, capsys):
    argv, fragments = _bad_cases()[case]
    names = {"m": str(cli_model[0]), "d": str(small_npz), "b": str(bad_inputs), "t": str(tmp_path)}
    code = main([str(a).format(**names) for a in argv])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("vae-explorer: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment.format(**names) in lines[0], lines[0]
    assert os.listdir(tmp_path) == []  # nothing half-written


def test_help_exits_zero(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "train" in capsys.readouterr().out


@pytest.mark.parametrize(
    "damage, problem",
    [
        (lambda f: f.__delitem__("weights/z_mean/kernel"), "lacks weight(s) z_mean/kernel"),
        (
            lambda f: (
                f.__delitem__("weights/z_mean/bias"),
                f.create_dataset("weights/z_mean/bias", data=np.zeros(3, np.float32)),
            ),
            "weight 'z_mean/bias' has shape (3,), expected (2,)",
        ),
    ],
)
def test_info_refuses_a_file_that_loading_refuses(cli_model, tmp_path, damage, problem):
    """`info` is how a user learns whether a file is sound: it runs the checks loading runs."""
    import h5py

    path = tmp_path / "damaged.h5"
    shutil.copy(cli_model[0], path)
    with h5py.File(path, "a") as f:
        damage(f)
    code, out, err = run(["info", path])
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"vae-explorer: error: {path}: {problem} for preset 'tutorial'"
        if "lacks" in problem
        else f"vae-explorer: error: {path}: {problem}"
    ]
    code, out, err = run(["info", path, "--json"])
    assert code == 2 and err == ""
    report = json.loads(out)
    assert report["ok"] is False and report["error"].startswith(f"{path}: {problem}")
    assert run(["eval", path])[0] == 2  # the same verdict as the commands that load it
