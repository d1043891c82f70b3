"""Tests for the dataset loaders in ``trainer/data``: embedded MNIST, .npz, IDX, image folders.

Every input file is built here in ``tmp_path``; nothing binary lives in the repository.
"""

from __future__ import annotations

import builtins
import gzip
import io
import os
import pickle
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from vae_explorer.trainer.data import DEFAULT_DATASET, Dataset, known_datasets, load_dataset
from vae_explorer.trainer.data.idx import FASHION_LABELS, is_idx_folder, load_idx_folder, read_idx
from vae_explorer.trainer.data.image_folder import DEFAULT_SIZE, MAX_PIXELS, load_image_folder
from vae_explorer.trainer.data.npz import load_npz
from vae_explorer.trainer.errors import DatasetError, UserError

DIGITS = [str(d) for d in range(10)]


# --------------------------------------------------------------------------- helpers


def raises_dataset_error(func, *args, path=None, words=(), **kwargs) -> DatasetError:
    """Call ``func``; it must raise DatasetError naming ``path``, with every word in its problem."""
    with pytest.raises(DatasetError) as info:
        func(*args, **kwargs)
    err = info.value
    text = str(err)
    assert isinstance(err, UserError)
    if path is not None:
        assert os.fspath(path) in text, text
        assert err.path == os.fspath(path)
    for word in words:  # in the problem, not just in the file name
        assert word.lower() in err.problem.lower(), f"{word!r} not in {err.problem!r}"
    assert "\n" not in text  # one line for the command line and the dialog
    return err


def save_npz(path, **arrays) -> str:
    np.savez(path, **arrays)
    return os.fspath(path)


def images(n, h=28, w=28, c=None, dtype=np.uint8, hi=255, seed=0) -> np.ndarray:
    """``n`` random images in 0..``hi``; each one's last pixel is ``hi``, the top of the range."""
    rng = np.random.default_rng(seed)
    shape = (n, h, w) if c is None else (n, h, w, c)
    x = rng.uniform(0, hi, size=shape).astype(dtype)
    x[:, -1, -1] = hi
    return x


def labelled(n, classes=10, h=28, w=28):
    """uint8 images whose first pixel equals their label, so label/image alignment is checkable."""
    y = (np.arange(n) % classes).astype(np.uint8)
    x = images(n, h, w)
    x.reshape(n, -1)[:, 0] = y
    return x, y


def assert_unit_float(x: np.ndarray, shape=None):
    assert x.dtype == np.float32
    assert x.min() >= 0.0 and x.max() <= 1.0
    if shape is not None:
        assert x.shape[1:] == shape


def assert_aligned(x: np.ndarray, y: np.ndarray):
    """Images from ``labelled``: the first pixel (×255) is the label."""
    first = np.rint(x.reshape(len(x), -1)[:, 0] * 255).astype(int)
    np.testing.assert_array_equal(first, y)


# --------------------------------------------------------------------------- embedded MNIST


@pytest.fixture(scope="module")
def embedded():
    return load_dataset()


def test_embedded_default_shapes_and_scale(embedded):
    d = embedded
    assert isinstance(d, Dataset)
    assert d.name == DEFAULT_DATASET == "mnist-10k"
    assert d.x_train.shape == (8000, 28, 28, 1)
    assert d.x_test.shape == (2000, 28, 28, 1)
    assert_unit_float(d.x_train)
    assert_unit_float(d.x_test)
    assert d.x_train.max() == 1.0  # rescaled from 0–255, not left at 0–255 nor squashed
    assert d.image_shape == (28, 28, 1)


def test_embedded_default_labels(embedded):
    d = embedded
    assert d.has_labels
    assert d.y_train.dtype == np.int32 and d.y_test.dtype == np.int32
    assert len(d.y_train) == 8000 and len(d.y_test) == 2000
    assert list(d.y_train[:5]) == [5, 0, 4, 1, 9]
    assert d.label_names == DIGITS
    assert set(np.unique(d.y_train)) == set(range(10))
    assert "embedded" in d.source.lower()
    assert d.warnings == []


def test_embedded_by_name_is_the_default(embedded):
    assert DEFAULT_DATASET in known_datasets()
    d = load_dataset(DEFAULT_DATASET)
    np.testing.assert_array_equal(d.y_test, embedded.y_test)


def test_dataset_helpers(embedded):
    small = embedded.subset(10, 3)
    assert small.x_train.shape == (10, 28, 28, 1) and small.y_test.shape == (3,)
    assert small.label_names == DIGITS
    desc = small.describe()
    assert desc == {
        "name": "mnist-10k",
        "source": embedded.source,
        "image_shape": [28, 28, 1],
        "n_train": 10,
        "n_test": 3,
        "label_names": DIGITS,
        "split": {"method": "given"},
        "held_out_sha256": small.held_out_digest(),
    }
    assert small.label_name(7) == "7"
    assert small.label_name(42) == "42"
    assert small.label_name(-1) == "-1"


def test_the_held_out_checksum_is_computed_once_per_held_out_images(embedded, monkeypatch):
    """A Start and each saved model ask for it on the GUI thread: computed once (the dataset
    chooser does it as the dataset loads), again only for other held-out images."""
    import hashlib

    from vae_explorer.trainer.data import dataset as module

    small = embedded.subset(10, 2000)
    whole = hashlib.sha256(repr(small.x_test.shape).encode())  # the whole array at once, as files recorded
    whole.update(np.round(small.x_test * 255.0).astype(np.uint8).tobytes())
    whole.update(small.y_test.astype("<i4").tobytes())
    computed = []
    checksum = module.held_out_checksum
    monkeypatch.setattr(module, "held_out_checksum", lambda x, y: computed.append(1) or checksum(x, y))
    assert small.held_out_digest() == small.held_out_digest() == whole.hexdigest()
    assert len(computed) == 1
    small.y_test = small.y_test[::-1].copy()
    assert small.held_out_digest() != whole.hexdigest() and len(computed) == 2


# --------------------------------------------------------------------------- names and paths


def test_missing_path_is_a_dataset_error(tmp_path):
    raises_dataset_error(load_dataset, "no/such/path", path="no/such/path", words=["no such file"])
    missing = tmp_path / "missing.npz"
    raises_dataset_error(load_dataset, missing, path=missing, words=["no such file"])


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "fashion-mnist"])
def test_keras_names_without_cache(tmp_path, monkeypatch, name):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty-keras"))
    assert set(known_datasets()) == {DEFAULT_DATASET}
    err = raises_dataset_error(load_dataset, name, words=[name, "keras cache"])
    assert str(tmp_path / "empty-keras") in str(err)


def test_keras_mnist_from_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    x, y = labelled(30)
    save_npz(tmp_path / "datasets" / "mnist.npz", x_train=x[:20], y_train=y[:20], x_test=x[20:], y_test=y[20:])
    assert "mnist" in known_datasets()
    d = load_dataset("mnist")
    assert d.name == "mnist"
    assert d.label_names == DIGITS
    assert d.x_train.shape == (20, 28, 28, 1)


def test_keras_fashion_mnist_from_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    folder = tmp_path / "datasets" / "fashion-mnist"
    write_idx_folder(folder, gz=True)
    assert known_datasets()["fashion_mnist"] == str(folder)
    d = load_dataset("fashion_mnist")
    assert d.name == "fashion_mnist"
    assert d.label_names == FASHION_LABELS


@pytest.mark.parametrize("suffix", [".txt", ".npy", ".h5", ""])
def test_file_that_is_not_a_dataset(tmp_path, suffix):
    path = tmp_path / f"data{suffix}"
    if suffix == ".npy":
        np.save(path, images(5))
    else:
        path.write_bytes(b"hello")
    raises_dataset_error(load_dataset, path, path=path, words=["not a dataset"])


# --------------------------------------------------------------------------- npz: good files


def test_npz_keras_layout_uint8(tmp_path):
    x, y = labelled(40)
    path = save_npz(tmp_path / "digits.npz", x_train=x[:30], y_train=y[:30], x_test=x[30:], y_test=y[30:])
    d = load_dataset(path)
    assert d.name == "digits"
    assert d.source == os.path.abspath(path)
    assert d.x_train.shape == (30, 28, 28, 1) and d.x_test.shape == (10, 28, 28, 1)
    assert_unit_float(d.x_train)
    np.testing.assert_allclose(d.x_train[..., 0], x[:30] / 255.0, atol=1e-6)
    assert d.y_train.dtype == np.int32
    np.testing.assert_array_equal(d.y_train, y[:30])
    np.testing.assert_array_equal(d.y_test, y[30:])
    assert d.label_names is None  # only the embedded set and 'mnist' get digit names
    assert d.warnings == []


def test_npz_float_unit_kept(tmp_path):
    x = images(20, dtype=np.float32, hi=1.0)
    path = save_npz(tmp_path / "unit.npz", x_train=x[:15], x_test=x[15:])
    d = load_npz(path)
    assert_unit_float(d.x_train)
    np.testing.assert_array_equal(d.x_train[..., 0], x[:15])  # not divided by 255 again


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int64, np.uint16])
def test_npz_0_255_rescaled_not_rejected(tmp_path, dtype):
    x = images(20, dtype=np.float64, hi=255.0).round().astype(dtype)
    path = save_npz(tmp_path / "wide.npz", x_train=x[:15], x_test=x[15:])
    d = load_npz(path)
    assert_unit_float(d.x_train)
    assert_unit_float(d.x_test)
    assert d.x_train.max() == pytest.approx(1.0)
    np.testing.assert_allclose(d.x_test[..., 0], x[15:].astype(np.float64) / 255.0, atol=1e-3)


def test_npz_binary_masks_stay_binary(tmp_path):
    x = (images(10) > 127).astype(np.uint8)  # 0/1 values: already in [0, 1]
    d = load_npz(save_npz(tmp_path / "mask.npz", x=x))
    assert set(np.unique(d.x_train)) <= {0.0, 1.0}
    assert d.x_train.max() == 1.0


def test_npz_x_y_only_gets_held_out_split(tmp_path):
    x, y = labelled(50)
    path = save_npz(tmp_path / "xy.npz", x=x, y=y)
    d = load_npz(path)
    assert len(d.x_train) == 40 and len(d.x_test) == 10
    assert len(d.y_train) == 40 and len(d.y_test) == 10
    assert_aligned(d.x_train, d.y_train)
    assert_aligned(d.x_test, d.y_test)
    # every image lands in exactly one split
    firsts = np.concatenate([d.x_train, d.x_test]).reshape(50, -1)
    assert len({row.tobytes() for row in firsts}) == 50
    # the split is reproducible and follows the seed
    again = load_npz(path)
    np.testing.assert_array_equal(again.y_test, d.y_test)
    other = load_npz(path, split_seed=1)
    assert not np.array_equal(other.x_test, d.x_test)
    assert d.split == {"method": "random", "seed": 0, "fraction": 0.2}


def test_held_out_checksum_follows_the_held_out_images_only(tmp_path):
    from vae_explorer.trainer.data.dataset import held_out_status

    x, y = labelled(50)
    d = load_npz(save_npz(tmp_path / "xy.npz", x=x, y=y))
    recorded = d.describe()
    assert len(recorded["held_out_sha256"]) == 64
    assert held_out_status(load_npz(tmp_path / "xy.npz"), recorded) == "verified"
    assert held_out_status(load_npz(tmp_path / "xy.npz", split_seed=1), recorded) == "differs"
    relabelled = load_npz(save_npz(tmp_path / "relabelled.npz", x=x, y=(y + 1) % 10))
    assert held_out_status(relabelled, recorded) == "differs"
    assert held_out_status(d, {k: v for k, v in recorded.items() if k != "held_out_sha256"}) == "unverified"


def test_npz_x_train_only_gets_held_out_split(tmp_path):
    x, y = labelled(25)
    d = load_npz(save_npz(tmp_path / "train_only.npz", x_train=x, y_train=y))
    assert len(d.x_train) == 20 and len(d.x_test) == 5
    assert_aligned(d.x_train, d.y_train)
    assert_aligned(d.x_test, d.y_test)


def test_npz_small_split_keeps_two_for_training(tmp_path):
    d = load_npz(save_npz(tmp_path / "three.npz", x=images(3)))
    assert len(d.x_train) == 2 and len(d.x_test) == 1


@pytest.mark.parametrize(
    "arrays",
    [lambda x: {"x_train": x[:8], "x_test": x[8:]}, lambda x: {"x": x}, lambda x: {"x_train": x}],
    ids=["train_test", "x", "x_train"],
)
def test_npz_labels_optional(tmp_path, arrays):
    d = load_npz(save_npz(tmp_path / "nolabels.npz", **arrays(images(10))))
    assert d.y_train is None and d.y_test is None
    assert not d.has_labels
    assert d.label_names is None
    assert d.label_name(3) == "3"


def test_npz_labels_on_one_side_only_are_dropped(tmp_path):
    x, y = labelled(10)
    d = load_npz(save_npz(tmp_path / "half.npz", x_train=x[:8], y_train=y[:8], x_test=x[8:]))
    assert d.y_train is None and d.y_test is None


def test_npz_rgb(tmp_path):
    x = images(12, 16, 16, c=3)
    d = load_npz(save_npz(tmp_path / "rgb.npz", x_train=x[:10], x_test=x[10:]))
    assert d.image_shape == (16, 16, 3)
    assert d.x_test.shape == (2, 16, 16, 3)
    np.testing.assert_allclose(d.x_train, x[:10] / 255.0, atol=1e-6)


@pytest.mark.parametrize("channels, expected", [(4, 3), (2, 1), (1, 1)])
def test_npz_alpha_is_dropped(tmp_path, channels, expected):
    x = images(6, 8, 8, c=channels)
    d = load_npz(save_npz(tmp_path / "alpha.npz", x=x))
    assert d.image_shape == (8, 8, expected)


def test_npz_odd_size(tmp_path):
    x, y = labelled(10, h=30, w=25)
    d = load_npz(save_npz(tmp_path / "odd.npz", x_train=x[:7], y_train=y[:7], x_test=x[7:], y_test=y[7:]))
    assert d.image_shape == (30, 25, 1)
    assert d.x_train.shape == (7, 30, 25, 1)
    assert_aligned(d.x_train, d.y_train)


def test_npz_label_names(tmp_path):
    x, y = labelled(10, classes=3)
    d = load_dataset(save_npz(tmp_path / "named.npz", x=x, y=y, label_names=np.array(["cat", "dog", "eel"])))
    assert d.label_names == ["cat", "dog", "eel"]
    assert d.label_name(2) == "eel"
    assert d.describe()["label_names"] == ["cat", "dog", "eel"]


@pytest.mark.parametrize(
    "y, expected",
    [
        (np.array([[0], [1], [2], [1]], dtype=np.int64), [0, 1, 2, 1]),  # N×1
        (np.eye(3, dtype=np.uint8)[[0, 1, 2, 1]], [0, 1, 2, 1]),  # one-hot
        (np.array([0.0, 1.0, 2.0, 1.0]), [0, 1, 2, 1]),  # whole floats
    ],
    ids=["column", "one_hot", "float"],
)
def test_npz_label_layouts(tmp_path, y, expected):
    x = images(4)
    d = load_npz(save_npz(tmp_path / "lab.npz", x_train=x[:3], y_train=y[:3], x_test=x[3:], y_test=y[3:]))
    assert d.y_train.dtype == np.int32
    assert list(d.y_train) + list(d.y_test) == expected


def test_npz_accepts_pathlike(tmp_path):
    path = tmp_path / "p.npz"
    save_npz(path, x=images(5))
    assert load_npz(path).name == "p"
    assert load_dataset(path).name == "p"


# --------------------------------------------------------------------------- npz: bad files


def test_npz_missing_keys(tmp_path):
    path = save_npz(tmp_path / "keys.npz", images=images(5), labels=np.arange(5))
    raises_dataset_error(load_dataset, path, path=path, words=["x_train", "images", "labels"])


def test_npz_empty_archive(tmp_path):
    path = save_npz(tmp_path / "empty.npz")
    raises_dataset_error(load_npz, path, path=path, words=["found: nothing"])


class _WritesMarker:
    """Unpickling this creates the marker file: proof that something was unpickled."""

    def __init__(self, marker):
        self.marker = os.fspath(marker)

    def __reduce__(self):
        return (builtins.open, (self.marker, "w"))


def test_marker_payload_works_when_unpickled(tmp_path):
    marker = tmp_path / "canary"
    pickle.loads(pickle.dumps(_WritesMarker(marker))).close()
    assert marker.exists()  # so the next test's check means something


@pytest.mark.parametrize("key", ["x_train", "y_train", "label_names", "notes"])
def test_npz_object_arrays_are_never_unpickled(tmp_path, key):
    marker = tmp_path / "unpickled.marker"
    arrays = {"x_train": images(8), "y_train": np.arange(8) % 2}
    payload = np.empty(8 if key != "notes" else 1, dtype=object)
    payload[:] = [_WritesMarker(marker)] * len(payload)
    arrays[key] = payload
    path = tmp_path / "evil.npz"
    np.savez(path, allow_pickle=True, **arrays)
    assert not marker.exists()
    raises_dataset_error(load_dataset, path, path=path, words=["object", "pickle"])
    assert not marker.exists()


def test_npy_with_object_array_named_npz(tmp_path):
    marker = tmp_path / "unpickled.marker"
    path = tmp_path / "evil.npz"
    with open(path, "wb") as f:
        np.save(f, np.array([_WritesMarker(marker)], dtype=object), allow_pickle=True)
    raises_dataset_error(load_dataset, path, path=path, words=[".npy"])
    assert not marker.exists()


def test_plain_pickle_named_npz(tmp_path):
    marker = tmp_path / "unpickled.marker"
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(_WritesMarker(marker)))
    raises_dataset_error(load_dataset, path, path=path, words=["not an .npz"])
    assert not marker.exists()


@pytest.mark.parametrize(
    "x, dtype_word",
    [
        (np.full((5, 8, 8), "a"), "<U1"),
        (np.full((5, 8, 8), b"a"), "S1"),
        (np.zeros((5, 8, 8), dtype=bool), "bool"),
        (np.zeros((5, 8, 8), dtype=np.complex64), "complex64"),
    ],
    ids=["str", "bytes", "bool", "complex"],
)
def test_npz_wrong_pixel_dtypes(tmp_path, x, dtype_word):
    path = save_npz(tmp_path / "dtype.npz", x_train=x)
    raises_dataset_error(load_npz, path, path=path, words=["x_train", dtype_word, "numeric"])


def test_npz_wrong_label_dtype(tmp_path):
    path = save_npz(tmp_path / "ydtype.npz", x=images(5), y=np.array(list("abcde")))
    raises_dataset_error(load_npz, path, path=path, words=["'y'", "integer labels"])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("key", ["x_train", "x_test"])
def test_npz_non_finite_pixels(tmp_path, bad, key):
    arrays = {"x_train": images(6, dtype=np.float32, hi=1.0), "x_test": images(3, dtype=np.float32, hi=1.0)}
    arrays[key][1, 3, 4] = bad
    arrays[key][2, 0, 0] = bad
    path = save_npz(tmp_path / "nan.npz", **arrays)
    raises_dataset_error(load_npz, path, path=path, words=[key, "nan or infinite", "2 image(s)"])


@pytest.mark.parametrize("dtype", [np.float32, np.int16])
def test_npz_negative_pixels(tmp_path, dtype):
    x = images(6).astype(dtype)
    x[0, 0, 0] = -3
    path = save_npz(tmp_path / "neg.npz", x=x)
    raises_dataset_error(load_npz, path, path=path, words=["negative pixel", "-3"])


def test_npz_pixels_above_255(tmp_path):
    x = images(6).astype(np.uint16)
    x[0, 0, 0] = 4095
    path = save_npz(tmp_path / "12bit.npz", x=x)
    raises_dataset_error(load_npz, path, path=path, words=["4095", "0–255"])


@pytest.mark.parametrize(
    "arrays, words",
    [
        (lambda: {"x": images(10), "y": np.arange(9)}, ["'y'", "9 labels for 10 images"]),
        (lambda: {"x_train": images(10), "y_train": np.arange(11)}, ["'y_train'", "11 labels for 10"]),
        (
            lambda: {"x_train": images(10), "y_train": np.arange(10), "x_test": images(4), "y_test": np.arange(3)},
            ["'y_test'", "3 labels for 4"],
        ),
    ],
    ids=["x_y", "train", "test"],
)
def test_npz_length_mismatch(tmp_path, arrays, words):
    path = save_npz(tmp_path / "mismatch.npz", **arrays())
    raises_dataset_error(load_npz, path, path=path, words=words)


@pytest.mark.parametrize(
    "arrays, words",
    [
        (lambda: {"x": images(0)}, ["holds 0 image(s)"]),
        (lambda: {"x_train": images(0)}, ["holds 0 image(s)"]),
        (lambda: {"x_train": images(0), "x_test": images(5)}, ["0 training image(s)"]),
        (lambda: {"x_train": images(5), "x_test": images(0)}, ["no held-out images"]),
        (lambda: {"x": images(0), "y": np.zeros(0, np.uint8)}, ["holds 0 image(s)"]),
    ],
    ids=["x", "x_train", "train_empty", "test_empty", "x_y"],
)
def test_npz_zero_images(tmp_path, arrays, words):
    path = save_npz(tmp_path / "zero.npz", **arrays())
    raises_dataset_error(load_dataset, path, path=path, words=words)


@pytest.mark.parametrize(
    "arrays, words",
    [
        (lambda: {"x": images(1)}, ["holds 1 image(s)", "at least 3"]),
        (lambda: {"x": images(2)}, ["holds 2 image(s)", "at least 3"]),
        (lambda: {"x_train": images(1), "x_test": images(1)}, ["1 training image(s)", "at least 2"]),
    ],
    ids=["x1", "x2", "train1"],
)
def test_npz_too_few_images(tmp_path, arrays, words):
    path = save_npz(tmp_path / "one.npz", **arrays())
    raises_dataset_error(load_npz, path, path=path, words=words)


@pytest.mark.parametrize(
    "y, words",
    [
        (np.array([0, 1, -1, 2, 0, 1]), ["negative label", "-1"]),
        (np.array([0, 1, 2, 1_000_000, 0, 1]), ["out of range", "1000000"]),
        (np.array([0, 1, 2.5, 0, 1, 2]), ["non-integer"]),
        (np.array([0, 1, np.nan, 0, 1, 2]), ["non-integer"]),
    ],
    ids=["negative", "huge", "fraction", "nan"],
)
def test_npz_bad_labels(tmp_path, y, words):
    path = save_npz(tmp_path / "labels.npz", x=images(6), y=y)
    raises_dataset_error(load_npz, path, path=path, words=["'y'", *words])


def test_npz_labels_out_of_range_for_label_names(tmp_path):
    x, y = labelled(10, classes=4)  # labels 0..3
    path = save_npz(tmp_path / "names.npz", x=x, y=y, label_names=np.array(["a", "b", "c"]))
    raises_dataset_error(load_dataset, path, path=path, words=["label 3", "3 label names"])


def test_npz_train_test_shapes_disagree(tmp_path):
    path = save_npz(tmp_path / "shapes.npz", x_train=images(5, 28, 28), x_test=images(2, 32, 32))
    raises_dataset_error(load_npz, path, path=path, words=["held-out"])


@pytest.mark.parametrize(
    "x, words",
    [
        (np.zeros((5, 1, 28, 28), np.uint8), ["28 channels"]),
        (np.zeros((5, 3, 3), np.uint8), ["3×3", "4×4"]),
        (np.zeros((5, 784), np.uint8), ["shape (5, 784)"]),
        (np.zeros((2, 5, 8, 8, 1), np.uint8), ["shape"]),
    ],
    ids=["channels_first", "tiny", "flat", "5d"],
)
def test_npz_bad_image_layouts(tmp_path, x, words):
    path = save_npz(tmp_path / "layout.npz", x=x)
    raises_dataset_error(load_npz, path, path=path, words=["'x'", *words])


def test_npz_random_bytes(tmp_path):
    path = tmp_path / "random.npz"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    err = raises_dataset_error(load_dataset, path, path=path, words=["not an .npz archive"])
    assert "pickle" not in err.problem.lower() and "object" not in err.problem.lower()


def test_npz_zero_byte_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    raises_dataset_error(load_dataset, path, path=path, words=["not an .npz archive"])


def test_npy_named_npz(tmp_path):
    path = tmp_path / "array.npz"
    with open(path, "wb") as f:
        np.save(f, images(5))
    raises_dataset_error(load_dataset, path, path=path, words=[".npy", "not an .npz"])


def test_npz_truncated(tmp_path):
    good = save_npz(tmp_path / "good.npz", x=images(20))
    path = tmp_path / "truncated.npz"
    path.write_bytes(Path(good).read_bytes()[:3000])
    raises_dataset_error(load_dataset, path, path=path, words=["not a readable .npz"])


def test_npz_corrupt_compressed_member(tmp_path):
    path = tmp_path / "corrupt.npz"
    np.savez_compressed(path, x=np.zeros((50, 28, 28), np.uint8))
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("x.npy")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)  # the deflate stream
    data[start : start + info.compress_size] = b"\xff" * info.compress_size
    path.write_bytes(bytes(data))
    with pytest.raises(zlib.error), np.load(path) as npz:  # the case the loader must turn into a DatasetError
        npz["x"]
    raises_dataset_error(load_dataset, path, path=path, words=["not a readable .npz"])


def test_npz_header_claiming_huge_array(tmp_path):
    """A 100-byte member whose .npy header claims 10^12 pixels: an error, not a MemoryError."""
    from numpy.lib import format as npy_format

    member = io.BytesIO()
    npy_format.write_array_header_1_0(
        member, {"descr": "|u1", "fortran_order": False, "shape": (1_000_000, 1000, 1000)}
    )
    member.write(bytes(100))
    path = tmp_path / "claims.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x.npy", member.getvalue())
    err = raises_dataset_error(load_dataset, path, path=path)
    # "too large" where the allocation is refused; with unlimited overcommit it succeeds
    # (untouched) and the missing bytes are reported instead
    assert "too large" in err.problem or "but holds 100" in err.problem


# --------------------------------------------------------------------------- IDX


def idx_bytes(array: np.ndarray, code: int = 0x08, dims=None) -> bytes:
    dims = array.shape if dims is None else dims
    header = struct.pack(">BBBB", 0, 0, code, len(dims)) + struct.pack(f">{len(dims)}I", *dims)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path, data: bytes, gz: bool):
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def write_idx_folder(folder, gz=False, n_train=12, n_test=4, labels=True, h=28, w=28, classes=10):
    folder.mkdir(parents=True, exist_ok=True)
    x, y = labelled(n_train + n_test, classes=classes, h=h, w=w)
    files = {"train-images-idx3-ubyte": idx_bytes(x[:n_train]), "t10k-images-idx3-ubyte": idx_bytes(x[n_train:])}
    if labels:
        files["train-labels-idx1-ubyte"] = idx_bytes(y[:n_train])
        files["t10k-labels-idx1-ubyte"] = idx_bytes(y[n_train:])
    paths = {name: write_idx(folder / name, data, gz) for name, data in files.items()}
    return x, y, paths


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_idx_folder(tmp_path, gz):
    folder = tmp_path / "digits"
    x, y, _ = write_idx_folder(folder, gz=gz)
    assert is_idx_folder(str(folder))
    d = load_dataset(folder)
    assert d.name == "digits"
    assert d.source == str(folder)
    assert d.x_train.shape == (12, 28, 28, 1) and d.x_test.shape == (4, 28, 28, 1)
    assert_unit_float(d.x_train)
    np.testing.assert_allclose(d.x_train[..., 0], x[:12] / 255.0, atol=1e-6)
    np.testing.assert_array_equal(d.y_train, y[:12])
    np.testing.assert_array_equal(d.y_test, y[12:])
    assert d.y_train.dtype == np.int32
    assert d.label_names is None


def test_idx_folder_without_labels(tmp_path):
    folder = tmp_path / "nolabels"
    write_idx_folder(folder, labels=False)
    d = load_idx_folder(folder)
    assert not d.has_labels and d.y_train is None


def test_idx_odd_size(tmp_path):
    folder = tmp_path / "odd"
    write_idx_folder(folder, h=30, w=25)
    assert load_dataset(folder).image_shape == (30, 25, 1)


@pytest.mark.parametrize("name", ["fashion", "Fashion-MNIST", "my_fashion_data"])
def test_idx_fashion_label_names(tmp_path, name):
    folder = tmp_path / name
    write_idx_folder(folder, gz=True)
    d = load_dataset(folder)
    assert d.label_names == FASHION_LABELS
    assert d.label_name(9) == "Ankle boot"


def test_idx_fashion_without_labels_has_no_names(tmp_path):
    folder = tmp_path / "fashion"
    write_idx_folder(folder, labels=False)
    assert load_dataset(folder).label_names is None


def test_idx_fashion_label_out_of_range(tmp_path):
    folder = tmp_path / "fashion"
    write_idx_folder(folder, classes=11, n_train=12, n_test=4)  # label 10 appears in train
    raises_dataset_error(load_dataset, folder, path=folder, words=["label 10", "10 label names"])


def test_idx_folder_name_with_glob_characters(tmp_path):
    folder = tmp_path / "mnist [v1]"
    write_idx_folder(folder)
    assert is_idx_folder(str(folder))
    assert load_dataset(folder).x_train.shape == (12, 28, 28, 1)


def test_idx_mixed_plain_and_gz(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    x, y = labelled(10)
    write_idx(folder / "train-images-idx3-ubyte", idx_bytes(x[:8]), gz=True)
    write_idx(folder / "t10k-images-idx3-ubyte", idx_bytes(x[8:]), gz=False)
    write_idx(folder / "train-labels-idx1-ubyte", idx_bytes(y[:8]), gz=False)
    write_idx(folder / "t10k-labels-idx1-ubyte", idx_bytes(y[8:]), gz=True)
    d = load_dataset(folder)
    np.testing.assert_array_equal(d.y_test, y[8:])


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize(
    "magic",
    [b"\x08\x03\x00\x00", b"\x00\x00\x07\x03", b"\x00\x01\x08\x03", b"PK\x03\x04"],
    ids=["swapped", "bad_type", "nonzero", "zip"],
)
def test_idx_wrong_magic(tmp_path, gz, magic):
    folder = tmp_path / "magic"
    _, _, paths = write_idx_folder(folder, gz=gz)
    bad = paths["train-images-idx3-ubyte"]
    raw = bytearray(read_plain(bad))
    raw[:4] = magic
    write_back(bad, bytes(raw))
    raises_dataset_error(load_dataset, folder, path=bad, words=["not an IDX file", "magic number", magic.hex()])


def read_plain(path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def write_back(path, data: bytes):
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("change", [-1, +1, -784], ids=["short", "long", "one_image_short"])
def test_idx_size_disagrees_with_header(tmp_path, gz, change):
    folder = tmp_path / "size"
    _, _, paths = write_idx_folder(folder, gz=gz)
    bad = paths["t10k-images-idx3-ubyte"]
    raw = read_plain(bad)
    raw = raw[:change] if change < 0 else raw + b"\x00" * change
    write_back(bad, raw)
    held = 4 * 28 * 28
    found = f"more than {held} bytes" if gz and change > 0 else f"{held + change} bytes"
    raises_dataset_error(load_dataset, folder, path=bad, words=["header says 4×28×28", f"{held} bytes", found])


def test_idx_gz_that_inflates_far_past_its_header_is_refused_without_reading_it(tmp_path):
    """A 100 MB body behind a 4×28×28 header: refused after reading one byte past the claim."""
    import tracemalloc

    folder = tmp_path / "bomb"
    _, _, paths = write_idx_folder(folder, gz=True)
    bad = paths["t10k-images-idx3-ubyte"]
    write_back(bad, read_plain(bad) + bytes(100 << 20))
    assert bad.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        raises_dataset_error(load_dataset, folder, path=bad, words=["header says 4×28×28", "more than"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"peak {peak / 2**20:.1f} MB while refusing a gzip bomb"


def test_idx_label_file_size_disagrees(tmp_path):
    folder = tmp_path / "labels"
    _, _, paths = write_idx_folder(folder)
    bad = paths["train-labels-idx1-ubyte"]
    bad.write_bytes(bad.read_bytes()[:-2])
    raises_dataset_error(load_dataset, folder, path=bad, words=["header says 12", "10 bytes"])


def test_idx_label_count_disagrees_with_images(tmp_path):
    folder = tmp_path / "count"
    _, y, paths = write_idx_folder(folder)
    bad = paths["train-labels-idx1-ubyte"]
    bad.write_bytes(idx_bytes(y[:11]))
    raises_dataset_error(load_dataset, folder, path=bad, words=["11 labels for 12 images"])


def test_idx_header_dims_overflow(tmp_path):
    folder = tmp_path / "overflow"
    _, _, paths = write_idx_folder(folder)
    bad = paths["train-images-idx3-ubyte"]
    # 2^31 × 2^31 × 4 = 2^64 wraps to 0 in int64: the empty body must not pass as "expected"
    bad.write_bytes(struct.pack(">BBBBIII", 0, 0, 8, 3, 2**31, 2**31, 4))
    raises_dataset_error(load_dataset, folder, path=bad, words=["header says"])


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", ["magic number missing"]),
        (b"\x00\x00", ["magic number"]),
        (b"\x00\x00\x08\x00", ["truncated IDX header"]),
        (b"\x00\x00\x08\x03\x00\x00\x00\x05", ["truncated IDX header"]),
    ],
    ids=["empty", "two_bytes", "zero_dims", "short_header"],
)
def test_idx_truncated_headers(tmp_path, data, words):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(data)
    raises_dataset_error(read_idx, str(path), path=path, words=words)


def test_idx_truncated_gzip(tmp_path):
    folder = tmp_path / "gz"
    _, _, paths = write_idx_folder(folder, gz=True)
    bad = paths["train-images-idx3-ubyte"]
    bad.write_bytes(bad.read_bytes()[:-30])
    raises_dataset_error(load_dataset, folder, path=bad, words=["cannot be read"])


def test_idx_corrupt_gzip_stream(tmp_path):
    folder = tmp_path / "gz"
    write_idx_folder(folder, gz=True)
    bad = folder / "train-images-idx3-ubyte.gz"
    blob = gzip.compress(idx_bytes(np.zeros((12, 28, 28), np.uint8)))
    blob = blob[:12] + b"\xff" * (len(blob) - 20) + blob[-8:]  # deflate stream destroyed
    bad.write_bytes(blob)
    with pytest.raises(zlib.error):
        gzip.decompress(blob)  # the case the loader must turn into a DatasetError
    raises_dataset_error(load_dataset, folder, path=bad, words=["cannot be read"])


def test_idx_not_gzip_despite_name(tmp_path):
    folder = tmp_path / "gz"
    _, _, paths = write_idx_folder(folder)
    bad = folder / "train-images-idx3-ubyte.gz"
    paths["train-images-idx3-ubyte"].rename(bad)
    raises_dataset_error(load_dataset, folder, path=bad, words=["cannot be read"])


def test_idx_float_images(tmp_path):
    folder = tmp_path / "float"
    folder.mkdir()
    x = images(8, dtype=np.float32, hi=1.0)
    write_idx(folder / "train-images-idx3-ubyte", idx_bytes(x[:6], code=0x0D), gz=False)
    write_idx(folder / "t10k-images-idx3-ubyte", idx_bytes(x[6:], code=0x0D), gz=False)
    d = load_dataset(folder)
    np.testing.assert_array_equal(d.x_train[..., 0], x[:6])


def test_idx_missing_test_images(tmp_path):
    folder = tmp_path / "half"
    _, _, paths = write_idx_folder(folder)
    paths["t10k-images-idx3-ubyte"].unlink()
    raises_dataset_error(load_dataset, folder, path=folder, words=["t10k-images-idx3"])


def test_idx_images_file_with_labels_shape(tmp_path):
    folder = tmp_path / "flat"
    _, _, paths = write_idx_folder(folder)
    bad = paths["train-images-idx3-ubyte"]
    bad.write_bytes(idx_bytes(np.zeros(12 * 784, np.uint8)))
    raises_dataset_error(load_dataset, folder, path=bad, words=["shape"])


# --------------------------------------------------------------------------- image folders


@pytest.fixture(scope="module")
def tf():
    from vae_explorer.trainer.tf_runtime import import_tensorflow

    return import_tensorflow()


@pytest.fixture
def write_png(tf):
    def write(path, h=8, w=8, c=1, value=None, seed=0):
        path.parent.mkdir(parents=True, exist_ok=True)
        if value is None:
            array = np.random.default_rng(seed).integers(0, 256, (h, w, c), dtype=np.uint8)
        else:
            array = np.full((h, w, c), value, dtype=np.uint8)
        path.write_bytes(tf.io.encode_png(array).numpy())
        return array

    return write


def png_header(width: int, height: int) -> bytes:
    """A PNG signature and a valid IHDR chunk only: the claimed size is never allocated."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    chunk += struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk


def test_image_folder_class_subfolders(tmp_path, write_png):
    root = tmp_path / "pets"
    for label, cls in enumerate(["cat", "dog", "eel"]):
        for i in range(4):
            write_png(root / cls / f"{i}.png", value=10 * label + 1)
    (root / "cat" / "notes.txt").write_text("not an image")
    (root / "empty_class").mkdir()  # no images: not a class
    write_png(root / ".hidden" / "x.png", value=200)  # hidden: not a class
    d = load_dataset(root)
    assert d.name == "pets"
    assert d.label_names == ["cat", "dog", "eel"]
    assert len(d.x_train) + len(d.x_test) == 12
    assert len(d.x_test) == 2  # 20% of 12, rounded
    assert d.image_shape == (8, 8, 1)
    assert_unit_float(d.x_train)
    for x, y in [(d.x_train, d.y_train), (d.x_test, d.y_test)]:
        assert y.dtype == np.int32
        np.testing.assert_array_equal(np.rint(x[:, 0, 0, 0] * 255), 10 * y + 1)
    assert d.warnings == []


def test_image_folder_flat_is_unlabelled(tmp_path, write_png):
    root = tmp_path / "flat"
    written = [write_png(root / f"img{i}.PNG", seed=i) for i in range(5)]
    (root / "readme.txt").write_text("hello")
    d = load_image_folder(root)
    assert not d.has_labels and d.label_names is None
    assert d.x_train.shape == (4, 8, 8, 1) and d.x_test.shape == (1, 8, 8, 1)
    got = {np.rint(im * 255).astype(np.uint8).tobytes() for im in np.concatenate([d.x_train, d.x_test])}
    assert got == {w.tobytes() for w in written}


def test_image_folder_mixed_sizes_default_size(tmp_path, write_png):
    root = tmp_path / "sizes"
    for i, (h, w) in enumerate([(10, 10), (20, 12), (7, 30), (64, 64)]):
        write_png(root / f"{i}.png", h=h, w=w, value=128)
    d = load_dataset(root)
    assert d.image_shape == (*DEFAULT_SIZE, 1) == (64, 64, 1)
    assert_unit_float(d.x_train)
    np.testing.assert_allclose(np.concatenate([d.x_train, d.x_test]), 128 / 255, atol=2e-3)


def test_image_folder_of_images_too_large_for_a_model_defaults_to_64(tmp_path, write_png):
    root = tmp_path / "wide"
    for i in range(4):
        write_png(root / f"{i}.png", h=6, w=1030, value=200)
    d = load_dataset(root)
    assert d.image_shape == (*DEFAULT_SIZE, 1)
    np.testing.assert_allclose(np.concatenate([d.x_train, d.x_test]), 200 / 255, atol=2e-3)
    assert len(d.warnings) == 1
    assert d.warnings[0].startswith(f"{root}: images of 6×1030 px are over the 1024 px")
    assert "--image-size" in d.warnings[0]
    assert load_dataset(root, image_size=(8, 512)).image_shape == (8, 512, 1)


def test_image_folder_explicit_size(tmp_path, write_png):
    root = tmp_path / "sizes"
    for i, (h, w) in enumerate([(10, 10), (20, 12), (7, 30)]):
        write_png(root / f"{i}.png", h=h, w=w)
    d = load_dataset(root, image_size=(16, 24))
    assert d.image_shape == (16, 24, 1)
    assert_unit_float(d.x_train)


def test_image_folder_explicit_size_same_size_images(tmp_path, write_png):
    root = tmp_path / "same"
    for i in range(3):
        write_png(root / f"{i}.png", h=12, w=12)
    assert load_image_folder(root, image_size=(6, 6)).image_shape == (6, 6, 1)


def test_image_folder_same_size_kept(tmp_path, write_png):
    root = tmp_path / "same"
    written = [write_png(root / f"{i}.png", h=20, w=30, c=3, seed=i) for i in range(4)]
    d = load_dataset(root)
    assert d.image_shape == (20, 30, 3)
    got = {np.rint(im * 255).astype(np.uint8).tobytes() for im in np.concatenate([d.x_train, d.x_test])}
    assert got == {w.tobytes() for w in written}  # not resampled


def test_image_folder_mixed_grey_rgb(tmp_path, write_png):
    root = tmp_path / "mixed"
    write_png(root / "a.png", c=1, value=50)
    write_png(root / "b.png", c=1, value=60)
    write_png(root / "c.png", c=3, seed=1)
    write_png(root / "d.png", c=4, seed=2)  # RGBA: alpha dropped
    write_png(root / "e.png", c=2, value=70)  # grey + alpha
    d = load_dataset(root)
    assert d.image_shape == (8, 8, 3)
    allx = np.concatenate([d.x_train, d.x_test])
    greys = [im for im in allx if np.ptp(im) == 0]
    assert {round(float(im[0, 0, 0]) * 255) for im in greys} == {50, 60, 70}
    for im in greys:
        np.testing.assert_array_equal(im[..., 0], im[..., 1])
        np.testing.assert_array_equal(im[..., 0], im[..., 2])


def test_image_folder_other_formats(tmp_path, tf):
    root = tmp_path / "formats"
    root.mkdir()
    array = np.full((9, 9, 3), 100, np.uint8)
    (root / "a.jpg").write_bytes(tf.io.encode_jpeg(array, quality=100).numpy())
    (root / "b.jpeg").write_bytes(tf.io.encode_jpeg(array, quality=100).numpy())
    (root / "c.png").write_bytes(tf.io.encode_png(array).numpy())
    d = load_dataset(root)
    assert d.image_shape == (9, 9, 3)
    np.testing.assert_allclose(np.concatenate([d.x_train, d.x_test]), 100 / 255, atol=3 / 255)


def test_image_folder_empty(tmp_path):
    root = tmp_path / "empty"
    root.mkdir()
    raises_dataset_error(load_dataset, root, path=root, words=["no PNG"])


def test_image_folder_only_text(tmp_path):
    root = tmp_path / "texts"
    root.mkdir()
    for i in range(3):
        (root / f"{i}.txt").write_text("not an image")
    (root / "sub").mkdir()
    (root / "sub" / "notes.txt").write_text("still not")
    raises_dataset_error(load_dataset, root, path=root, words=["no PNG"])


def test_image_folder_bad_files_skipped_with_warnings(tmp_path, write_png):
    root = tmp_path / "some_bad"
    for i in range(4):
        write_png(root / f"good{i}.png", seed=i)
    empty = root / "empty.png"
    empty.write_bytes(b"")
    corrupt = root / "corrupt.png"
    corrupt.write_bytes(png_header(8, 8) + b"this is not zlib data" * 4)
    garbage = root / "garbage.png"
    garbage.write_bytes(np.random.default_rng(0).bytes(500))
    d = load_dataset(root)
    assert len(d.x_train) + len(d.x_test) == 4
    assert len(d.warnings) == 3
    text = "\n".join(d.warnings)
    for bad in (empty, corrupt, garbage):
        assert str(bad) in text
    assert all("skipped" in w for w in d.warnings)
    assert all("\n" not in w for w in d.warnings)
    assert "empty file" in next(w for w in d.warnings if str(empty) in w)


def test_image_folder_bad_files_in_class_folders_keep_labels(tmp_path, write_png):
    root = tmp_path / "classes"
    for label, cls in enumerate(["a", "b"]):
        for i in range(3):
            write_png(root / cls / f"{i}.png", value=label * 100)
    (root / "a" / "bad.png").write_bytes(b"nope")
    d = load_dataset(root)
    assert len(d.warnings) == 1
    for x, y in [(d.x_train, d.y_train), (d.x_test, d.y_test)]:
        np.testing.assert_array_equal(np.rint(x[:, 0, 0, 0] * 255), 100 * y)


def test_image_folder_all_bad(tmp_path):
    root = tmp_path / "all_bad"
    root.mkdir()
    (root / "a.png").write_bytes(b"")
    (root / "b.jpg").write_bytes(b"junk")
    raises_dataset_error(load_dataset, root, path=root, words=["no image that could be decoded", "2 tried"])


def test_image_folder_too_few_images(tmp_path, write_png):
    root = tmp_path / "two"
    write_png(root / "a.png")
    write_png(root / "b.png")
    raises_dataset_error(load_dataset, root, path=root, words=["holds 2 image(s)"])


def _huge_jpeg(tf, width, height) -> bytes:
    data = bytearray(tf.io.encode_jpeg(np.zeros((8, 8, 1), np.uint8)).numpy())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize("kind", ["png", "gif", "bmp", "jpg"])
def test_image_folder_decompression_bomb_skipped(tmp_path, write_png, tf, kind):
    root = tmp_path / "bomb"
    for i in range(3):
        write_png(root / f"good{i}.png", seed=i)
    if kind == "png":
        data, mp = png_header(50_000, 20_000), 1000
    elif kind == "gif":
        data, mp = b"GIF89a" + struct.pack("<HH", 60_000, 60_000) + b"\x00" * 3, 3600
    elif kind == "bmp":
        data, mp = b"BM" + b"\x00" * 16 + struct.pack("<ii", 40_000, -10_000) + b"\x00" * 30, 400
    else:
        data, mp = _huge_jpeg(tf, 40_000, 20_000), 800
    bomb = root / f"bomb.{kind}"
    bomb.write_bytes(data)
    assert MAX_PIXELS < 50_000 * 20_000
    d = load_dataset(root)
    assert len(d.x_train) + len(d.x_test) == 3
    assert d.image_shape == (8, 8, 1)
    assert len(d.warnings) == 1
    assert str(bomb) in d.warnings[0]
    assert f"{mp} megapixels" in d.warnings[0]


def test_image_folder_seed_changes_split(tmp_path, write_png):
    root = tmp_path / "seeded"
    for i in range(10):
        write_png(root / f"{i}.png", value=i * 20)
    a, b, c = load_image_folder(root), load_image_folder(root), load_image_folder(root, split_seed=3)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    assert not np.array_equal(a.x_test, c.x_test) or not np.array_equal(a.x_train, c.x_train)
