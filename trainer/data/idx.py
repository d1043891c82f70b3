"""The original MNIST / Fashion-MNIST IDX files, plain or gzipped, found in one folder."""

from __future__ import annotations

import glob
import gzip
import math
import os
import zlib

import numpy as np

from vae_explorer.trainer.data.dataset import Dataset
from vae_explorer.trainer.data.pixels import check_label_names, check_splits, to_labels, to_unit_images
from vae_explorer.trainer.errors import DatasetError

_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

FASHION_LABELS = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


_CHUNK = 16 << 20


def read_idx(path: str) -> np.ndarray:
    """Read one IDX file; the header must agree with the number of bytes that follow it.

    The body is read in chunks and never more than one byte past what the header announces,
    so a small ``.gz`` that inflates to gigabytes costs no more memory than the data its
    header claims.
    """
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            magic = f.read(4)
            if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_DTYPES:
                raise DatasetError(f"is not an IDX file (magic number {magic.hex() or 'missing'})", path)
            dtype, ndim = _IDX_DTYPES[magic[2]], magic[3]
            raw_dims = f.read(4 * ndim)
            if ndim == 0 or len(raw_dims) < 4 * ndim:
                raise DatasetError("has a truncated IDX header", path)
            dims = [int.from_bytes(raw_dims[4 * i : 4 * i + 4], "big") for i in range(ndim)]
            expected = math.prod(dims) * dtype.itemsize  # np.prod would overflow int64
            body = bytearray()
            while len(body) <= expected:
                chunk = f.read(min(_CHUNK, expected + 1 - len(body)))
                if not chunk:
                    break
                body += chunk
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetError(f"cannot be read ({exc})", path) from None
    if len(body) != expected:
        shape = "×".join(map(str, dims))
        if len(body) <= expected:
            held = f"{len(body)} bytes"
        elif opener is open:
            held = f"{os.path.getsize(path) - 4 - 4 * ndim} bytes"
        else:
            held = f"more than {expected} bytes once decompressed"
        raise DatasetError(f"header says {shape} ({expected} bytes) but the file holds {held}", path)
    try:
        return np.frombuffer(body, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))
    except (ValueError, MemoryError) as exc:  # e.g. a zero dimension beside ones no array can have
        raise DatasetError(f"header says {'×'.join(map(str, dims))}, which is not an array ({exc})", path) from None


def _find(folder: str, *patterns: str) -> str | None:
    for pattern in patterns:
        hits = sorted(glob.glob(os.path.join(glob.escape(folder), pattern)))
        if hits:
            return hits[0]
    return None


def is_idx_folder(folder: str) -> bool:
    return _find(folder, "*train*images*idx3*", "*train*idx3*") is not None


def load_idx_folder(folder: str | os.PathLike, name: str | None = None) -> Dataset:
    """Load ``train-images-idx3-ubyte[.gz]``, ``t10k-images-idx3-ubyte[.gz]`` and their labels."""
    folder = os.fspath(folder)
    train_x = _find(folder, "*train*images*idx3*", "*train*idx3*")
    test_x = _find(folder, "*t10k*images*idx3*", "*test*images*idx3*", "*t10k*idx3*")
    if train_x is None or test_x is None:
        raise DatasetError("has no train-images-idx3 and t10k-images-idx3 files", folder)
    train_y = _find(folder, "*train*labels*idx1*", "*train*idx1*")
    test_y = _find(folder, "*t10k*labels*idx1*", "*test*labels*idx1*", "*t10k*idx1*")
    x_train = to_unit_images(read_idx(train_x), train_x)
    x_test = to_unit_images(read_idx(test_x), test_x)
    y_train = y_test = None
    if train_y and test_y:
        y_train = to_labels(read_idx(train_y), len(x_train), train_y)
        y_test = to_labels(read_idx(test_y), len(x_test), test_y)
    check_splits(x_train, x_test, folder)
    name = name or os.path.basename(os.path.normpath(folder))
    names = FASHION_LABELS if "fashion" in name.lower() and y_train is not None else None
    names = check_label_names(names, [y_train, y_test], folder)
    return Dataset(
        name=name,
        source=os.path.abspath(folder),
        x_train=x_train,
        x_test=x_test,
        y_train=y_train,
        y_test=y_test,
        label_names=names,
    )
