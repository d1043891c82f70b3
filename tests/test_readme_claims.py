"""README claims of the core and the set-up that no other test checked: what CI runs, what the
package installs, the code layout, the presets' sizes and the defaults of ``train``, its progress
lines, ``--strategy auto``, the streamed shuffle's bounds, the manifold grid's region, ``eval
--iw --yes``, and a failed ``train`` recorded as failed."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.test_cli import run
from vae_explorer.trainer.errors import UserError

ROOT = Path(__file__).resolve().parent.parent


# -- Set-up ------------------------------------------------------------------------------------


def test_ci_runs_the_linters_the_type_checker_and_the_readme_s_test_command_in_a_fresh_venv():
    """README: CI runs ``.ci/run`` in a new venv: ``pip install -e ".[test]"``, then ``ruff check .``,
    ``ruff format --check .``, ``python tests/tools/typecheck.py`` and ``python -m pytest -q``."""
    script = (ROOT / ".ci" / "run").read_text()
    assert os.access(ROOT / ".ci" / "run", os.X_OK) and "set -euo pipefail" in script  # any failure fails CI
    lines = [line.strip() for line in script.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    steps = [
        'python3 -m venv "$work/venv"',
        'pip install --quiet -e ".[test]"',
        "ruff check .",
        "ruff format --check .",
        "python tests/tools/typecheck.py",
        "python -m pytest -q",
    ]
    assert [line for line in lines if line in steps] == steps  # each once, in this order
    assert lines[-1] == "python -m pytest -q"
    readme = (ROOT / "README.md").read_text()
    assert "python -m pytest -q\nruff check . && ruff format --check . && python tests/tools/typecheck.py" in readme


def test_the_package_needs_python_3_10_and_installs_what_the_readme_lists():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.10" and sys.version_info >= (3, 10)
    names = {re.split(r"[<>=!;\[ ]", r, maxsplit=1)[0].lower() for r in project["dependencies"]}
    assert {"tensorflow", "keras", "pyside6-essentials", "pyqtgraph", "h5py", "opentsne", "scipy"} <= names
    tools = {re.split(r"[<>=!;\[ ]", r, maxsplit=1)[0] for r in project["optional-dependencies"]["test"]}
    assert {"pytest", "pytest-qt", "ruff", "mypy"} <= tools
    assert project["scripts"] == {"vae-explorer": "vae_explorer.explorer.launcher:main"}


def test_the_embedded_mnist_ships_with_its_licence():
    licence = (ROOT / "assets" / "DATA_LICENSE.md").read_text()
    assert "CC BY-SA 3.0" in licence and "MNIST" in licence
    assert (ROOT / "assets" / "mnist_10k.npz").is_file()


def test_the_code_is_laid_out_as_the_readme_says():
    parts = {
        "trainer": ("model", "training", "data", "maps", "latent", "files", "cli"),
        "explorer": ("core", "training", "files", "map", "tools", "draw", "runs", "widgets"),
    }
    for root, packages in parts.items():
        for package in packages:
            assert (ROOT / root / package / "__init__.py").is_file(), f"{root}/{package}"
    tools = {p.stem for p in (ROOT / "explorer" / "tools").glob("*.py")}
    for tool in ("point", "interpolate", "traverse", "grid", "direction", "class_samples", "worst", "selection"):
        assert tool in tools, tool  # one module per tool
    for path in ("tests/gui", "tests/benchmarks", "tests/tools/screenshots.py", "tests/CLAIMS.md", "assets"):
        assert (ROOT / path).exists(), path


# -- Models ------------------------------------------------------------------------------------


def count(vae) -> int:
    return vae.encoder.count_params() + vae.decoder.count_params()


def layer_sizes(model, kind: str, attribute: str) -> list:
    return [getattr(layer, attribute) for layer in model.layers if type(layer).__name__ == kind]


def test_the_presets_have_the_readme_s_architectures_and_parameter_counts_at_28x28x1():
    from vae_explorer.trainer.model.vae import build_vae

    dense = build_vae("dense", 10, (28, 28, 1))
    assert f"{count(dense) / 1000:.0f} k" == "220 k"
    assert layer_sizes(dense.encoder, "Dense", "units") == [128, 64, 10, 10]  # → mean and log-variance
    assert layer_sizes(dense.decoder, "Dense", "units")[:2] == [64, 128]
    default = build_vae("default", 16, (28, 28, 1))
    assert f"{count(default) / 1000:.0f} k" == "250 k"
    assert layer_sizes(default.encoder, "Conv2D", "filters") == [16, 32]
    assert layer_sizes(default.encoder, "Conv2D", "strides") == [(2, 2), (2, 2)]
    assert layer_sizes(default.encoder, "Dense", "units") == [128, 16, 16]
    dcgan = build_vae("dcgan", 2, (28, 28, 1))
    assert f"{count(dcgan) / 1e6:.1f} M" == "60.8 M"
    assert layer_sizes(dcgan.encoder, "Conv2D", "kernel_size") == [(5, 5)] * 4


def test_any_image_up_to_1024_px_a_side_with_1_or_3_channels_and_latent_dimensions_1_to_512():
    from vae_explorer.trainer.model.config import TrainConfig
    from vae_explorer.trainer.model.vae import build_vae

    for latent in (1, 512):
        assert TrainConfig(preset="dense", latent_dim=latent).latent_dim == latent
    with pytest.raises(UserError, match="latent dimension must be 1–512"):
        TrainConfig(preset="dense", latent_dim=513)
    for shape in ((1024, 8, 1), (8, 1024, 3)):
        vae = build_vae("tutorial", 1, shape)
        assert vae.decoder(np.zeros((1, 1), np.float32)).shape == (1, *shape)
    for shape in ((1025, 8, 1), (8, 8, 2)):
        with pytest.raises(UserError):
            build_vae("tutorial", 1, shape)


def test_train_with_no_options_trains_default_with_batch_64_lr_2e_3_for_15_epochs_on_the_embedded_mnist(
    tmp_path, monkeypatch
):
    """The config ``train --out m.h5`` builds, caught before it trains its 15 epochs."""
    from vae_explorer.trainer.training import strategies

    seen = {}

    def caught(scaling, config, dataset, **kwargs):
        seen.update(config=config, dataset=dataset, scaling=scaling)
        raise UserError("caught by the test before training")

    monkeypatch.setattr(strategies, "make_trainer", caught)
    code, _, err = run(["train", "--out", tmp_path / "m.h5"])
    assert code == 2 and "caught by the test" in err
    config, dataset = seen["config"], seen["dataset"]
    assert (config.preset, config.latent_dim, config.batch_size, config.epochs) == ("default", 16, 64, 15)
    assert config.learning_rate == pytest.approx(2e-3) and config.beta == 1.0 and config.reconstruction == "bce"
    assert dataset.name == "mnist-10k" and (len(dataset.x_train), len(dataset.x_test)) == (8000, 2000)
    assert seen["scaling"].strategy is None  # --strategy auto, no GPUs: one process


# -- The command line -----------------------------------------------------------------------


class Terminal(io.StringIO):
    """stderr as a terminal: the progress bar redraws itself in place."""

    def isatty(self) -> bool:
        return True


def test_train_prints_a_progress_bar_with_the_loss_terms_and_eta(small_npz, tmp_path):
    from vae_explorer.trainer.cli import main

    terminal = Terminal()
    args = ["train", "--data", small_npz, "--preset", "dense", "--epochs", 2, "--batch-size", 32]
    with contextlib.redirect_stderr(terminal):
        assert main([str(a) for a in [*args, "--out", tmp_path / "m.h5"]]) == 0
    text = terminal.getvalue()
    number = r"([\d.]+)"
    bars = re.findall(
        rf"\repoch (\d) \[[#-]+\] (\d+)/8  loss {number}  rec {number}  kl {number}  [\d,]+ img/s  ETA (\d+:\d\d)", text
    )
    assert {(epoch, batch) for epoch, batch, *_ in bars} >= {("1", "8"), ("2", "8")}  # each epoch's last batch
    for *_, loss, rec, kl, _eta in bars:
        assert float(loss) == pytest.approx(float(rec) + float(kl), abs=0.011)  # β = 1: the terms add up
    epochs = re.findall(
        rf"epoch (\d)/2  loss {number} \(rec {number}, kl {number}\)  held-out -ELBO {number}  .* ETA (\d+:\d\d)\n",
        text,
    )
    assert [e[0] for e in epochs] == ["1", "2"] and epochs[-1][-1] == "0:00"


def test_export_grid_is_15_by_15_decodes_over_minus_4_to_4(trained_file, tmp_path):
    from vae_explorer.trainer.files.imagegrid import to_uint8
    from vae_explorer.trainer.files.modelfile import load_model
    from vae_explorer.trainer.model.space import LatentSpace
    from vae_explorer.trainer.tf_runtime import import_tensorflow

    out = tmp_path / "g.png"
    code, _, err = run(["export", trained_file[0], "--what", "grid", "--scale", 1, "--out", out])
    assert code == 0, err
    sheet = import_tensorflow().io.decode_png(out.read_bytes()).numpy()
    assert sheet.shape == (15 * 28, 15 * 28, 1)
    space = LatentSpace(load_model(trained_file[0]).model)
    for row, col, z in ((0, 0, (-4, 4)), (0, 14, (4, 4)), (7, 7, (0, 0)), (14, 0, (-4, -4)), (14, 14, (4, -4))):
        tile = sheet[row * 28 : (row + 1) * 28, col * 28 : (col + 1) * 28]
        expected = to_uint8(space.decode(np.array([z], np.float32))[0])
        assert np.abs(tile.astype(int) - expected.astype(int)).max() <= 1, (row, col)


def test_eval_iw_says_how_long_first_and_yes_runs_a_long_one(trained_file, monkeypatch):
    from vae_explorer.trainer.latent import likelihood

    monkeypatch.setattr(likelihood, "LONG_SECONDS", 0.0)  # any evaluation counts as long
    code, out, err = run(["eval", trained_file[0], "--iw", 5, "--data", "mnist-10k", "--yes"])
    assert code == 0, err
    assert re.search(r"^eval --iw 5: about \d+ (s|min) \([\d,]+ compiled calls\)$", err, re.M), err
    result = json.loads(out)
    assert result["iw_k"] == 5 and np.isfinite(result["iw_nll"])


# -- Runs -------------------------------------------------------------------------------------


def test_a_train_whose_training_fails_is_recorded_as_failed(small_npz, tmp_path, monkeypatch):
    """README: a run record's status is running, then finished, stopped, diverged or failed. Here
    the save after epoch 1 (``--save-every 1``) fails as a full disk does."""
    from vae_explorer.trainer.training import periodic_save

    def disk_full(self):
        raise UserError("cannot write here (No space left on device)", self.path)

    monkeypatch.setattr(periodic_save.PeriodicSave, "_save", disk_full)
    model = tmp_path / "m.h5"
    args = ["--preset", "dense", "--epochs", 3, "--batch-size", 64, "--save-every", 1, "--out", model]
    code, _, err = run(["train", "--data", small_npz, *args])
    assert code == 2 and "No space left on device" in err and "Traceback" not in err
    record = json.loads(Path(f"{model}.run.json").read_text())
    assert record["status"] == "failed" and "No space left on device" in record["message"]
    assert [row["epoch"] for row in record["history"]] == [1]


# -- Scaling ----------------------------------------------------------------------------------


def test_strategy_auto_trains_in_one_process_with_fewer_than_two_gpus(small_npz, tmp_path, monkeypatch):
    from vae_explorer.trainer.cli.args import build_parser
    from vae_explorer.trainer.tf_runtime import import_tensorflow
    from vae_explorer.trainer.training.strategies import make_scaling

    assert build_parser().parse_args(["train", "--out", "m.h5"]).strategy == "auto"  # the default
    args = ["--preset", "dense", "--epochs", 1, "--batch-size", 64, "--strategy", "auto"]
    code, _, err = run(["train", "--data", small_npz, *args, "--out", tmp_path / "m.h5"])
    assert code == 0 and "28×28×1 (one process)" in err, err
    tf = import_tensorflow()
    mirrored = object()
    monkeypatch.setattr(tf.distribute, "MirroredStrategy", lambda *a, **k: mirrored)
    for gpus, strategy in ((0, None), (1, None), (2, mirrored), (4, mirrored)):
        monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind, n=gpus: [f"GPU:{i}" for i in range(n)])
        scaling = make_scaling("auto")
        assert scaling.strategy is strategy and scaling.chief, gpus
        assert scaling.name == ("mirrored" if strategy else "default")


def test_the_shuffle_buffer_holds_10000_images_and_at_most_128_mb():
    from vae_explorer.trainer.data.streaming import float_bytes, held_out_sample, shuffle_buffer

    mb = 1 << 20
    assert shuffle_buffer(float_bytes((28, 28, 1))) == 10_000  # 31 MB: the image count bounds it
    for shape in ((64, 64, 3), (256, 256, 3), (1024, 1024, 3)):
        size = float_bytes(shape)
        n = shuffle_buffer(size)
        assert n * size <= 128 * mb < (n + 1) * size, shape  # the bytes bound it, as many as fit
    assert shuffle_buffer(float_bytes((64, 64, 3))) == 2730
    # the held-out sample: at most 10,000 images and 192 MB
    assert len(held_out_sample(50_000, float_bytes((28, 28, 1)))) == 10_000
    assert len(held_out_sample(50_000, float_bytes((64, 64, 3)))) == 192 * mb // float_bytes((64, 64, 3)) == 4096
    assert len(held_out_sample(3_000, float_bytes((28, 28, 1)))) == 3_000  # all of them when they fit


def _streamed_positions(data, memory_rows: np.ndarray) -> np.ndarray:
    """Which row of the file each image of a streamed epoch is, in the order they came."""
    where = {row.tobytes(): i for i, row in enumerate(np.round(memory_rows * 255).astype(np.uint8))}
    epoch = np.concatenate([b.numpy() for b in data.train_batches(16, seed=0, epoch=0)])
    return np.array([where[row.tobytes()] for row in np.round(epoch * 255).astype(np.uint8)])


@pytest.mark.parametrize("source", ["npz", "idx"])
@pytest.mark.parametrize("bound", ["images", "bytes"])
def test_the_streamed_shuffle_of_an_npz_or_idx_file_is_a_bounded_buffer(
    tmp_path, mnist_small, monkeypatch, source, bound
):
    """With a buffer of B images, the image at place p of an epoch is one of the file's first p + B
    (a whole-epoch shuffle would draw from anywhere): the bound is what the stream really uses."""
    from tests.test_datasets import idx_bytes
    from vae_explorer.trainer.data import load_dataset, streaming

    pixels = np.round(mnist_small.x_train * 255).astype(np.uint8)
    if source == "npz":
        path = tmp_path / "d.npz"
        np.savez(path, x_train=pixels, x_test=np.round(mnist_small.x_test * 255).astype(np.uint8))
    else:
        path = tmp_path / "idx"
        path.mkdir()
        (path / "train-images-idx3-ubyte").write_bytes(idx_bytes(pixels[..., 0]))
        (path / "t10k-images-idx3-ubyte").write_bytes(
            idx_bytes(np.round(mnist_small.x_test[..., 0] * 255).astype(np.uint8))
        )
    buffer = 4
    if bound == "images":
        monkeypatch.setattr(streaming, "SHUFFLE_IMAGES", buffer)
    else:
        monkeypatch.setattr(streaming, "SHUFFLE_BYTES", buffer * streaming.float_bytes((28, 28, 1)))
    data = load_dataset(path, stream=True)
    assert isinstance(data, streaming.StreamedDataset)
    order = _streamed_positions(data, pixels / 255.0)
    assert sorted(order) == list(range(len(pixels)))  # every training image once
    assert (order <= np.arange(len(order)) + buffer - 1).all()  # never from beyond the buffer
    assert not np.array_equal(order, np.arange(len(order)))  # and shuffled within it


# -- Your own images ----------------------------------------------------------------------------


def test_an_opened_image_is_converted_as_the_image_folder_loader_converts(tmp_path):
    """Grey and RGB files of another size, read by both paths: the same decoding, channels and
    resizing (the user's image is then only inverted when its polarity differs)."""
    from vae_explorer.trainer.data import load_dataset
    from vae_explorer.trainer.data.user_image import fit_to_shape, read_image
    from vae_explorer.trainer.files.imagegrid import write_png

    rng = np.random.default_rng(3)
    folder = tmp_path / "pics"
    (folder / "a").mkdir(parents=True)
    for i in range(10):
        shape = (40, 40, 3) if i % 2 else (40, 40, 1)
        write_png(folder / "a" / f"{i}.png", rng.integers(0, 256, shape, dtype=np.uint8))
    data = load_dataset(folder, image_size=(28, 28))
    assert data.image_shape == (28, 28, 3)  # grey and RGB together: RGB
    opened = [fit_to_shape(read_image(str(path)), (28, 28, 3)) for path in sorted((folder / "a").iterdir())]
    loaded = np.concatenate([data.x_train, data.x_test])
    assert len(loaded) == len(opened) == 10
    for image in loaded:  # each image the loader made is one the user's path makes of some file
        assert min(np.abs(image - o).max() for o in opened) < 1e-6


# -- What is guaranteed ---------------------------------------------------------------------------


def _writers(trained_file, tmp_path) -> dict:
    """Each kind of file vae-explorer writes: (path, a writer of its version v)."""
    from vae_explorer.trainer.files.exports import write_latent_csv
    from vae_explorer.trainer.files.imagegrid import write_png
    from vae_explorer.trainer.files.modelfile import load_model, save_model
    from vae_explorer.trainer.files.run_record import RunRecord, write_record
    from vae_explorer.trainer.model.keras_export import export_keras

    loaded = load_model(trained_file[0])
    codes = loaded.latent

    def model(path, v):
        save_model(path, loaded.model, loaded.config, loaded.history[:v])

    def png(path, v):
        write_png(path, np.full((4, 4), v / 4, np.float32))

    def csv(path, v):
        write_latent_csv(path, type(codes)(codes.means[:v], None, None))

    def record(path, v):
        started = "2026-01-01T00:00:00+00:00"
        write_record(RunRecord(started, "running", "", {}, {}, wall_time=float(v)), path)

    def keras_file(path, v):
        export_keras(path, loaded.model, "decoder" if v == 1 else "encoder")

    return {
        "model file": (tmp_path / "m.h5", model),
        "PNG": (tmp_path / "g.png", png),
        "CSV": (tmp_path / "codes.csv", csv),
        "run record": (tmp_path / "m.h5.run.json", record),
        ".keras": (tmp_path / "d.keras", keras_file),
    }


@pytest.mark.parametrize("kind", ["model file", "PNG", "CSV", "run record", ".keras"])
def test_every_file_is_written_to_a_temporary_file_fsynced_and_moved_into_place(
    trained_file, tmp_path, monkeypatch, kind
):
    """README: a model file, PNG, CSV, run record or .keras: a temporary file, fsynced, moved into
    place; a full disk at the last step leaves the previous file as it was."""
    import errno

    path, write = _writers(trained_file, tmp_path)[kind]
    write(str(path), 1)
    before = path.read_bytes()
    events: list[tuple[str, str]] = []
    fsync, replace = os.fsync, os.replace

    def watched_fsync(fd):
        events.append(("fsync", os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))))
        return fsync(fd)

    def watched_replace(src, dst):
        events.append(("replace", f"{os.path.basename(src)} -> {os.path.basename(dst)}"))
        return replace(src, dst)

    monkeypatch.setattr(os, "fsync", watched_fsync)
    monkeypatch.setattr(os, "replace", watched_replace)
    write(str(path), 2)
    (moved,) = [i for i, (what, _) in enumerate(events) if what == "replace"]
    temp = events[moved][1].split(" -> ")[0]
    assert temp.startswith(".tmp-") and events[moved][1].endswith(f" -> {path.name}")
    assert ("fsync", temp) in events[:moved]  # the data reached the disk before the move
    assert path.read_bytes() != before

    def disk_full(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    now = path.read_bytes()
    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(UserError, match="No space left on device"):
        write(str(path), 1)
    assert path.read_bytes() == now and [f for f in os.listdir(tmp_path) if f.startswith(".tmp")] == []


# -- tests/CLAIMS.md ---------------------------------------------------------------------------------


def test_every_test_claims_md_names_exists():
    """The table maps each README claim to tests by name: a renamed or deleted test must not
    leave a claim pointing at nothing."""
    table = (ROOT / "tests" / "CLAIMS.md").read_text()
    missing, named = [], 0
    for row in (line for line in table.splitlines() if line.startswith("| ") and "`" in line):
        current = None
        for token in re.findall(r"`([^`]+)`", row.split(" | ", 1)[-1]):
            match = re.fullmatch(r"([\w/]+\.py)?::(\w+)", token)
            if token.endswith(".py") and (ROOT / "tests" / token).is_file():
                current = token
            if not match:
                continue
            current = match.group(1) or current
            source = (ROOT / "tests" / current).read_text() if current else ""
            named += 1
            if not re.search(rf"^(def|async def) {match.group(2)}\(|^def {match.group(2)}\b", source, re.M):
                missing.append(f"{current}::{match.group(2)}")
    assert named > 150 and not missing, missing
