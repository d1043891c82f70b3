"""Whether a dataset is streamed, and opening it as a ``StreamedDataset`` (npz, IDX, folders).

The split rule is the in-memory one: a given split stays given; a dataset without one holds out
``split_held_out``'s rows (same seed, same fraction, same order), so a model file's recorded
split (issue 9) means the same images whichever path read them.
"""

from __future__ import annotations

import os

import numpy as np

from vae_explorer.trainer.data.array_rows import ArrayRows, npz_keys, read_npz_member
from vae_explorer.trainer.data.idx import FASHION_LABELS, _find
from vae_explorer.trainer.data.pixels import MIN_TRAIN_IMAGES, check_label_names, random_split, split_held_out
from vae_explorer.trainer.data.stream_arrays import (
    ArrayTrainSource,
    gather_rows,
    idx_labels,
    image_shape_of,
    npz_labels,
    scan_scale,
    source_name,
)
from vae_explorer.trainer.data.streaming import StreamedDataset, float_bytes, held_out_sample, memory_budget
from vae_explorer.trainer.errors import DatasetError

HELD_OUT_FRACTION = 0.2  # as npz.py and image_folder.py


def wants_stream(path: str, image_size: tuple[int, int] | None, stream: bool | None) -> bool:
    """``stream`` when forced, else whether the images as float32 would exceed the budget."""
    if stream is not None:
        return stream
    try:
        return in_memory_bytes(path, image_size) > memory_budget()
    except DatasetError:
        return False  # a damaged file: the in-memory loader names its problem best


def in_memory_bytes(path: str, image_size: tuple[int, int] | None) -> int:
    """The float32 bytes the in-memory loader would hold, from headers and a file count."""
    if os.path.isdir(path):
        train = _find(path, "*train*images*idx3*", "*train*idx3*")
        if train is not None:
            test = _find(path, "*t10k*images*idx3*", "*test*images*idx3*", "*t10k*idx3*")
            return sum(_array_bytes(ArrayRows.open(p)) for p in (train, test) if p)
        from vae_explorer.trainer.data.stream_folder import folder_bytes

        return folder_bytes(path, image_size)
    if path.lower().endswith(".npz"):
        keys = npz_keys(path)
        return sum(_array_bytes(ArrayRows.open(path, k)) for k in ("x_train", "x_test", "x") if k in keys)
    return 0


def _array_bytes(rows: ArrayRows) -> int:
    return rows.rows * int(np.prod(rows.shape[1:])) * 4


def open_streamed(path: str, image_size: tuple[int, int] | None, name: str | None, split_seed: int) -> StreamedDataset:
    if os.path.isdir(path):
        if _find(path, "*train*images*idx3*", "*train*idx3*") is not None:
            return open_idx(path, name)
        from vae_explorer.trainer.data.stream_folder import open_folder

        return open_folder(path, image_size, name, split_seed)
    return open_npz(path, name, split_seed)


def _checked(rows: ArrayRows, key: str) -> tuple[tuple[int, int, int], float]:
    shape = image_shape_of(rows, key)
    return shape, scan_scale(rows, key)


def _given_split(
    path: str,
    name: str,
    train: ArrayRows,
    test: ArrayRows,
    labels: tuple[np.ndarray | None, np.ndarray | None],
    label_names: list[str] | None,
) -> StreamedDataset:
    """Train rows all of ``train``; the held-out sample drawn from ``test``."""
    if train.rows < MIN_TRAIN_IMAGES:
        raise DatasetError(f"holds {train.rows} training image(s); need at least {MIN_TRAIN_IMAGES}", path)
    shape, divisor = _checked(train, train.key or "images")
    test_shape, test_divisor = _checked(test, test.key or "images")
    if shape != test_shape:
        raise DatasetError(f"training images are {shape} but held-out images are {test_shape}", path)
    sample = held_out_sample(test.rows, float_bytes(shape))
    y_train, y_test = labels
    if (y_train is None) != (y_test is None):
        y_test = None
    return StreamedDataset(
        name=name,
        source=os.path.abspath(path),
        image_shape=shape,
        n_train=train.rows,
        n_test=test.rows,
        x_test=gather_rows(test, sample, test_divisor),
        y_test=None if y_test is None else y_test[sample],
        train_source=ArrayTrainSource(train, divisor, shape),
        label_names=label_names,
    )


def open_npz(path: str, name: str | None, split_seed: int) -> StreamedDataset:
    keys = npz_keys(path)
    raw_names = read_npz_member(path, "label_names") if "label_names" in keys else None
    if "x_train" in keys and "x_test" in keys:
        train, test = ArrayRows.open(path, "x_train"), ArrayRows.open(path, "x_test")
        labels = (npz_labels(path, "y_train", train.rows, keys), npz_labels(path, "y_test", test.rows, keys))
        names = check_label_names(raw_names, list(labels), path)
        return _given_split(path, source_name(path, name), train, test, labels, names)
    key = "x_train" if "x_train" in keys else "x" if "x" in keys else None
    if key is None:
        raise DatasetError(f"has no 'x_train' or 'x' array (found: {', '.join(sorted(keys)) or 'nothing'})", path)
    rows = ArrayRows.open(path, key)
    y = npz_labels(path, "y_train" if key == "x_train" else "y", rows.rows, keys)
    return _random_split(path, source_name(path, name), rows, y, check_label_names(raw_names, [y], path), split_seed)


def _random_split(
    path: str, name: str, rows: ArrayRows, y: np.ndarray | None, names: list[str] | None, split_seed: int
) -> StreamedDataset:
    """``split_held_out``'s split of one array, without reading the images into memory."""
    train_idx, y_train, test_idx, y_test = split_held_out(np.arange(rows.rows), y, HELD_OUT_FRACTION, path, split_seed)
    shape, divisor = _checked(rows, rows.key or "images")
    mask = np.zeros(rows.rows, bool)
    mask[train_idx] = True
    sample = held_out_sample(len(test_idx), float_bytes(shape))
    return StreamedDataset(
        name=name,
        source=os.path.abspath(path),
        image_shape=shape,
        n_train=len(train_idx),
        n_test=len(test_idx),
        x_test=gather_rows(rows, test_idx[sample], divisor),
        y_test=None if y_test is None else y_test[sample],
        label_names=names,
        train_source=ArrayTrainSource(rows, divisor, shape, train_mask=mask),
        split=random_split(HELD_OUT_FRACTION, split_seed),
    )


def open_idx(folder: str, name: str | None) -> StreamedDataset:
    train_x = _find(folder, "*train*images*idx3*", "*train*idx3*")
    test_x = _find(folder, "*t10k*images*idx3*", "*test*images*idx3*", "*t10k*idx3*")
    if train_x is None or test_x is None:
        raise DatasetError("has no train-images-idx3 and t10k-images-idx3 files", folder)
    train, test = ArrayRows.open(train_x), ArrayRows.open(test_x)
    train_y = _find(folder, "*train*labels*idx1*", "*train*idx1*")
    test_y = _find(folder, "*t10k*labels*idx1*", "*test*labels*idx1*", "*t10k*idx1*")
    labels: tuple[np.ndarray | None, np.ndarray | None] = (None, None)
    if train_y and test_y:
        labels = (idx_labels(train_y, train.rows), idx_labels(test_y, test.rows))
    name = name or os.path.basename(os.path.normpath(folder))
    names = FASHION_LABELS if "fashion" in name.lower() and labels[0] is not None else None
    return _given_split(folder, name, train, test, labels, check_label_names(names, list(labels), folder))
