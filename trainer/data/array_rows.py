"""One image array inside an IDX file or an .npz archive, read in row chunks, never whole.

``np.load`` of an .npz ignores ``mmap_mode`` and inflates a member in one piece, and ``read_idx``
reads a whole file; for a dataset larger than memory both are replaced by this: the header is
parsed (IDX magic and dimensions; the .npy header inside the zip member), then rows are read
sequentially, ``CHUNK_ROWS`` at a time, from the plain file, the gzip stream or the zip member
(stored or deflated alike). Sequential reading is what works for every one of those encodings,
so the streamed pipelines shuffle with a bounded buffer rather than by random access.
"""

from __future__ import annotations

import gzip
import math
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np
from numpy.lib import format as npy_format

from vae_explorer.trainer.data.idx import _IDX_DTYPES
from vae_explorer.trainer.errors import DatasetError

CHUNK_ROWS = 2048
CHUNK_BYTES = 8 << 20  # raw bytes read at a time: 2,048 MNIST rows, 682 rows of 64×64×3 uint8


@dataclass
class ArrayRows:
    """``path`` (an IDX file) or ``path``'s member ``key`` (an .npz): shape, dtype, and rows."""

    path: str
    key: str | None
    shape: tuple[int, ...]
    dtype: np.dtype

    @classmethod
    def open(cls, path: str, key: str | None = None) -> ArrayRows:
        try:
            with cls._stream(path, key) as f:
                shape, dtype = _npy_header(f, path, key) if key else _idx_header(f, path)
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise DatasetError(f"cannot be read ({str(exc).splitlines()[0]})", path) from None
        return cls(path, key, shape, dtype)

    @staticmethod
    def _stream(path: str, key: str | None):
        if key is None:
            return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")
        return _ZipMember(path, key + ".npy")

    @property
    def row_bytes(self) -> int:
        return math.prod(self.shape[1:]) * self.dtype.itemsize

    @property
    def rows(self) -> int:
        return int(self.shape[0])

    def chunks(self, rows: int | None = None):
        """(first row, array of up to ``rows`` rows) in file order; a short file is a DatasetError.
        ``rows`` defaults to what fits ``CHUNK_BYTES`` (at most ``CHUNK_ROWS``)."""
        rows = rows or max(1, min(CHUNK_ROWS, CHUNK_BYTES // max(self.row_bytes, 1)))
        where = self.key and f"'{self.key}'" or "the file"
        try:
            with self._stream(self.path, self.key) as f:
                _npy_header(f, self.path, self.key) if self.key else _idx_header(f, self.path)
                for start in range(0, self.rows, rows):
                    count = min(rows, self.rows - start)
                    raw = f.read(count * self.row_bytes)
                    if len(raw) != count * self.row_bytes:
                        raise DatasetError(f"{where} ends before its {self.rows} rows", self.path)
                    array = np.frombuffer(raw, self.dtype).reshape(count, *self.shape[1:])
                    yield start, array.astype(self.dtype.newbyteorder("="))
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
            raise DatasetError(f"cannot be read ({str(exc).splitlines()[0]})", self.path) from None


class _ZipMember:
    """A zip member opened for reading, closing the archive with it."""

    def __init__(self, path: str, name: str):
        self.archive = zipfile.ZipFile(path)
        self.member = self.archive.open(name)

    def __enter__(self):
        return self.member

    def __exit__(self, *exc):
        self.member.close()
        self.archive.close()


def _idx_header(f, path: str):
    magic = f.read(4)
    if len(magic) < 4 or magic[:2] != b"\0\0" or magic[2] not in _IDX_DTYPES:
        raise DatasetError(f"is not an IDX file (magic number {magic.hex() or 'missing'})", path)
    raw = f.read(4 * magic[3])
    if magic[3] == 0 or len(raw) < 4 * magic[3]:
        raise DatasetError("has a truncated IDX header", path)
    shape = tuple(int.from_bytes(raw[4 * i : 4 * i + 4], "big") for i in range(magic[3]))
    return shape, _IDX_DTYPES[magic[2]]


def _npy_header(f, path: str, key: str):
    version = npy_format.read_magic(f)
    readers = {(1, 0): npy_format.read_array_header_1_0, (2, 0): npy_format.read_array_header_2_0}
    if version not in readers:
        raise DatasetError(f"'{key}' is in .npy format {version}, which cannot be streamed; use --in-memory", path)
    shape, fortran, dtype = readers[version](f)
    if dtype.hasobject:
        raise DatasetError(f"'{key}' holds object arrays (pickled data), which are never loaded", path)
    if fortran and len(shape) > 1:
        raise DatasetError(
            f"'{key}' is stored in Fortran order, which cannot be streamed by rows; "
            "save it C-ordered or use --in-memory",
            path,
        )
    return tuple(int(d) for d in shape), dtype


def npz_keys(path: str) -> set[str]:
    """The array names of an .npz archive, without reading any array."""
    try:
        with zipfile.ZipFile(path) as archive:
            return {n[:-4] for n in archive.namelist() if n.endswith(".npy")}
    except (OSError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"is not a readable .npz file ({exc})", path) from None
