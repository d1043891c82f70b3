"""Datasets read from disk batch by batch (``--stream``): image folders, .npz and IDX, checked
against the in-memory loaders: same split, same held-out images, every training image once per
epoch, a model file that says its held-out set is a bounded sample and reloads it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.test_cli import run
from tests.test_datasets import write_idx_folder
from vae_explorer.trainer.data import load_dataset, streaming
from vae_explorer.trainer.data.streaming import StreamedDataset
from vae_explorer.trainer.files.modelfile import load_model, read_header


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    """30 RGB 12×10 PNGs in three class folders."""
    from vae_explorer.trainer.files.imagegrid import write_png

    root = tmp_path_factory.mktemp("stream") / "pics"
    rng = np.random.default_rng(1)
    for label in ("a", "b", "c"):
        (root / label).mkdir(parents=True)
        for i in range(10):
            write_png(root / label / f"{i}.png", rng.integers(0, 256, (12, 10, 3), dtype=np.uint8))
    return root


def _epoch_images(data: StreamedDataset, epoch: int = 0) -> np.ndarray:
    return np.concatenate([b.numpy() for b in data.train_batches(7, seed=3, epoch=epoch)])


def _same_rows(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal as sets of images (the streamed epoch is shuffled)."""
    key = lambda x: x[np.lexsort(x.reshape(len(x), -1).T[::-1])]  # noqa: E731
    return a.shape == b.shape and np.array_equal(key(a), key(b))


def test_streamed_folder_holds_out_and_trains_on_what_memory_does(pictures):
    memory = load_dataset(pictures)
    streamed = load_dataset(pictures, stream=True)
    assert isinstance(streamed, StreamedDataset) and streamed.image_shape == memory.image_shape
    assert streamed.held_out_digest() == memory.held_out_digest()
    np.testing.assert_array_equal(streamed.y_test, memory.y_test)
    assert streamed.n_train == len(memory.x_train) and streamed.split == memory.split
    first, second = _epoch_images(streamed, 0), _epoch_images(streamed, 1)
    assert _same_rows(first, memory.x_train) and not np.array_equal(first, second)


@pytest.mark.parametrize("layout", ["x", "split"])
def test_streamed_npz_matches_the_in_memory_split(tmp_path, mnist_small, layout):
    path = tmp_path / "d.npz"
    pixels = np.round(mnist_small.x_train * 255).astype(np.uint8)
    if layout == "x":
        np.savez_compressed(path, x=pixels, y=mnist_small.y_train)
    else:
        np.savez(
            path,
            x_train=pixels[:200],
            y_train=mnist_small.y_train[:200],
            x_test=pixels[200:],
            y_test=mnist_small.y_train[200:],
        )
    memory, streamed = load_dataset(path), load_dataset(path, stream=True)
    assert streamed.held_out_digest() == memory.held_out_digest()
    assert streamed.split == memory.split
    assert _same_rows(_epoch_images(streamed), memory.x_train)


@pytest.mark.parametrize("gz", [False, True])
def test_streamed_idx_folder_matches_memory(tmp_path, gz):
    folder = tmp_path / "idx"
    folder.mkdir()
    write_idx_folder(folder, gz=gz, n_train=40, n_test=9)
    memory, streamed = load_dataset(folder), load_dataset(folder, stream=True)
    assert streamed.held_out_digest() == memory.held_out_digest()
    assert _same_rows(_epoch_images(streamed), memory.x_train)


def test_held_out_sample_is_bounded_and_reproducible(pictures, monkeypatch):
    monkeypatch.setattr(streaming, "HELD_OUT_SAMPLE", 4)
    one, two = load_dataset(pictures, stream=True), load_dataset(pictures, stream=True)
    assert len(one.x_test) == 4 and one.n_test == 6
    np.testing.assert_array_equal(one.x_test, two.x_test)
    assert one.describe()["held_out_sample"] == {"n": 4, "of": 6, "seed": 0}


def test_the_memory_budget_decides_when_nothing_is_forced(small_npz, monkeypatch):
    assert not isinstance(load_dataset(small_npz, stream=None), StreamedDataset)
    monkeypatch.setattr("vae_explorer.trainer.data.stream_open.memory_budget", lambda: 1000)
    assert isinstance(load_dataset(small_npz, stream=None), StreamedDataset)
    assert not isinstance(load_dataset(small_npz), StreamedDataset)  # the app's call: memory


def test_train_stream_writes_a_model_whose_held_out_set_is_the_sample(pictures, tmp_path, monkeypatch):
    monkeypatch.setattr(streaming, "HELD_OUT_SAMPLE", 5)
    out = tmp_path / "s.h5"
    code, _, err = run(
        ["train", "--data", pictures, "--stream", "--preset", "dense", "--epochs", 1, "--batch-size", 8, "--out", out]
    )
    assert code == 0, err
    loaded = load_model(out)
    assert loaded.dataset["held_out_sample"] == {"n": 5, "of": 6, "seed": 0}
    assert loaded.latent.means.shape[0] == 5 and len(loaded.history) == 1
    assert read_header(out)["dataset"]["n_train"] == 24
    code, stdout, _ = run(["info", out])
    assert code == 0 and "a sample of 5 of 6 images (seed 0)" in stdout
    code, stdout, err = run(["eval", out])  # streams again: the same sample, verified
    assert code == 0, err
    assert json.loads(stdout)["held_out"] == "verified" and json.loads(stdout)["n"] == 5
    code, _, err = run(["train", "--resume", out, "--epochs", 1, "--out", tmp_path / "r.h5"])
    assert code == 0 and "differs" not in err, err
    assert [h["epoch"] for h in load_model(tmp_path / "r.h5").history] == [1, 2]


def test_a_strategy_with_a_streamed_set_is_one_line(pictures, tmp_path):
    code, _, err = run(["train", "--data", pictures, "--stream", "--strategy", "mirrored", "--out", tmp_path / "x.h5"])
    assert code == 2 and "--in-memory" in err and len(err.strip().splitlines()) == 1


def test_the_chunked_held_out_checksum_is_the_in_memory_one():
    from vae_explorer.trainer.data.dataset import Dataset

    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1, (2500, 4, 4, 1)).astype(np.float32), rng.integers(0, 3, 2500).astype(np.int32)
    whole = Dataset("d", "", x[:2], x, y_test=y)
    streamed = StreamedDataset("d", "", (4, 4, 1), 2, 2500, x, y, train_source=None)
    assert streamed.held_out_digest() == whole.held_out_digest()


def test_a_streamed_run_stops_on_request_and_on_nan(small_npz):
    from vae_explorer.trainer.model.config import TrainConfig
    from vae_explorer.trainer.training.loop import Trainer

    data = load_dataset(small_npz, stream=True)
    first = Trainer(TrainConfig(preset="dense", epochs=1, batch_size=32, seed=2), data)
    assert first.run().status == "finished"
    good = [w.numpy() for w in first.model.weights]
    absurd = Trainer(
        TrainConfig(preset="dense", epochs=2, batch_size=32, learning_rate=1e12),
        data,
        model=first.model,
        history=first.history,
    )
    result = absurd.run()
    assert result.status == "diverged" and result.epochs_done == 1 and "lower learning rate" in result.message
    for w, g in zip(first.model.weights, good, strict=True):
        np.testing.assert_array_equal(w.numpy(), g)
    stopper = Trainer(TrainConfig(preset="dense", epochs=1, batch_size=32), data)
    stopper.request_stop()
    assert stopper.run().status == "stopped"
