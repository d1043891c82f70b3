"""Keras-layout ``.npz`` files: ``x_train``/``y_train``/``x_test``/``y_test`` or plain ``x``/``y``.

Always ``allow_pickle=False``: an ``.npz`` with object arrays is refused, never unpickled.
"""

from __future__ import annotations

import os
import zipfile
import zlib

import numpy as np

from vae_explorer.trainer.data.dataset import Dataset
from vae_explorer.trainer.data.pixels import (
    SPLIT_SEED,
    check_label_names,
    check_splits,
    random_split,
    split_held_out,
    to_labels,
    to_unit_images,
)
from vae_explorer.trainer.errors import DatasetError

HELD_OUT_FRACTION = 0.2


def _read_arrays(path: str) -> dict[str, np.ndarray]:
    # np.load picks the format from the first bytes: check them first, so a .npy is named as
    # such (np.load would return a bare array) and other bytes are not blamed on pickling.
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
    except OSError as exc:
        raise DatasetError(f"cannot be read ({exc})", path) from None
    if magic == b"\x93NUMPY":
        raise DatasetError("is a single .npy array, not an .npz archive", path)
    if not magic.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise DatasetError("is not an .npz archive (not a zip file)", path)
    from vae_explorer.trainer.data.array_rows import check_npz_member, npz_keys

    for key in sorted(npz_keys(path)):  # every header checked before anything is allocated
        check_npz_member(path, key)
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise DatasetError("holds object arrays (pickled data), which are never loaded", path) from None
        raise DatasetError(f"is not a readable .npz file ({exc})", path) from None
    except (OSError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise DatasetError(f"is not a readable .npz file ({exc})", path) from None
    except MemoryError as exc:  # an array header can claim any shape, whatever the file holds
        raise DatasetError(f"declares an array too large to load ({exc})", path) from None


def load_npz(path: str | os.PathLike, name: str | None = None, split_seed: int = SPLIT_SEED) -> Dataset:
    """Load a Keras-layout archive; a file without a held-out split gets one (20%)."""
    path = os.fspath(path)
    arrays = _read_arrays(path)
    keys = set(arrays)
    split = {"method": "given"}
    if "x_train" in keys:
        x_train = to_unit_images(arrays["x_train"], path, "x_train")
        y_train = _labels(arrays, "y_train", len(x_train), path)
        if "x_test" in keys:
            x_test = to_unit_images(arrays["x_test"], path, "x_test")
            y_test = _labels(arrays, "y_test", len(x_test), path)
            if (y_train is None) != (y_test is None):
                y_train = y_test = None  # labels on one side only cannot colour the map
        else:
            x_train, y_train, x_test, y_test = split_held_out(x_train, y_train, HELD_OUT_FRACTION, path, split_seed)
            split = random_split(HELD_OUT_FRACTION, split_seed)
    elif "x" in keys:
        x = to_unit_images(arrays["x"], path, "x")
        y = _labels(arrays, "y", len(x), path)
        x_train, y_train, x_test, y_test = split_held_out(x, y, HELD_OUT_FRACTION, path, split_seed)
        split = random_split(HELD_OUT_FRACTION, split_seed)
    else:
        found = ", ".join(sorted(keys)) or "nothing"
        raise DatasetError(f"has no 'x_train' or 'x' array (found: {found})", path)
    check_splits(x_train, x_test, path)
    names = check_label_names(arrays.get("label_names"), [y_train, y_test], path)
    return Dataset(
        name=name or os.path.splitext(os.path.basename(path))[0],
        source=os.path.abspath(path),
        x_train=x_train,
        x_test=x_test,
        y_train=y_train,
        y_test=y_test,
        label_names=names,
        split=split,
    )


def _labels(arrays: dict[str, np.ndarray], key: str, n: int, path: str) -> np.ndarray | None:
    return to_labels(arrays[key], n, path, key) if key in arrays else None
