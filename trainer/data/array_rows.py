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
import os
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import IO, Protocol

import numpy as np
from numpy.lib import format as npy_format

from vae_explorer.trainer.data.idx import _IDX_DTYPES
from vae_explorer.trainer.errors import DatasetError


class _Stream(Protocol):
    """What a header and rows are read from: a file, a gzip stream or a zip member."""

    def read(self, size: int = -1, /) -> bytes: ...

    def tell(self) -> int: ...


CHUNK_ROWS = 2048
CHUNK_BYTES = 8 << 20  # raw bytes read at a time: 2,048 MNIST rows, 682 rows of 64×64×3 uint8
DEFLATE_RATIO = 1032  # no deflate stream inflates more than this: a bound on what a .gz can hold


@dataclass
class ArrayRows:
    """``path`` (an IDX file) or ``path``'s member ``key`` (an .npz): shape, dtype, and rows."""

    path: str
    key: str | None
    shape: tuple[int, ...]
    dtype: np.dtype

    @classmethod
    def open(cls, path: str, key: str | None = None) -> ArrayRows:
        """The array's header, checked against what the file can hold before anything is read or
        allocated: a header may claim any shape, whatever the file holds."""
        try:
            with cls._stream(path, key) as f:
                shape, dtype = _npy_header(f, path, key) if key else _idx_header(f, path)
                header_bytes = f.tell()
            rows = cls(path, key, shape, dtype)
            room = rows._room(header_bytes)
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile, KeyError, ValueError, OverflowError) as exc:
            raise DatasetError(f"cannot be read ({str(exc).splitlines()[0]})", path) from None
        if not shape:
            raise DatasetError(f"{rows.where} holds a single value, not an array of rows", path)
        declared = math.prod(shape) * dtype.itemsize
        if declared > room:
            raise DatasetError(
                f"{rows.where} declares {'×'.join(map(str, shape))} values ({declared:,} bytes) but "
                f"the file holds at most {room:,}",
                path,
            )
        return rows

    @property
    def where(self) -> str:
        return f"'{self.key}'" if self.key else "the file"

    def _room(self, header_bytes: int) -> int:
        """The most data bytes the file can hold after the header."""
        if self.key is not None:
            with zipfile.ZipFile(self.path) as archive:
                return archive.getinfo(self.key + ".npy").file_size - header_bytes
        size = os.path.getsize(self.path)
        return size * DEFLATE_RATIO if self.path.endswith(".gz") else size - header_bytes

    @staticmethod
    def _stream(path: str, key: str | None) -> AbstractContextManager[_Stream]:
        if key is None:
            return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")
        return _ZipMember(path, key + ".npy")

    @property
    def row_bytes(self) -> int:
        return math.prod(self.shape[1:]) * self.dtype.itemsize

    @property
    def rows(self) -> int:
        return int(self.shape[0])

    def chunks(self, rows: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """(first row, array of up to ``rows`` rows) in file order; a short file is a DatasetError.
        ``rows`` defaults to what fits ``CHUNK_BYTES`` (at most ``CHUNK_ROWS``)."""
        rows = rows or max(1, min(CHUNK_ROWS, CHUNK_BYTES // max(self.row_bytes, 1)))
        where = self.where
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

    def __enter__(self) -> IO[bytes]:
        return self.member

    def __exit__(self, *exc: object) -> None:
        self.member.close()
        self.archive.close()


def _idx_header(f: _Stream, path: str) -> tuple[tuple[int, ...], np.dtype]:
    magic = f.read(4)
    if len(magic) < 4 or magic[:2] != b"\0\0" or magic[2] not in _IDX_DTYPES:
        raise DatasetError(f"is not an IDX file (magic number {magic.hex() or 'missing'})", path)
    raw = f.read(4 * magic[3])
    if magic[3] == 0 or len(raw) < 4 * magic[3]:
        raise DatasetError("has a truncated IDX header", path)
    shape = tuple(int.from_bytes(raw[4 * i : 4 * i + 4], "big") for i in range(magic[3]))
    return shape, _IDX_DTYPES[magic[2]]


def npy_header(f: _Stream, path: str, key: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Shape, Fortran order and dtype of an .npy stream, refusing object arrays (pickles)."""
    version = npy_format.read_magic(f)
    readers = {(1, 0): npy_format.read_array_header_1_0, (2, 0): npy_format.read_array_header_2_0}
    if version not in readers:
        raise DatasetError(f"'{key}' is in .npy format {version}, which cannot be read; save it with NumPy", path)
    shape, fortran, dtype = readers[version](f)
    if dtype.hasobject:
        raise DatasetError(f"'{key}' holds object arrays (pickled data), which are never loaded", path)
    return tuple(int(d) for d in shape), bool(fortran), dtype


def check_npz_member(path: str, key: str) -> None:
    """One member of an .npz, its header checked before ``np.load`` reads it: no pickled objects,
    and no more values declared than the member holds."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(key + ".npy") as f:
            shape, _, dtype = npy_header(f, path, key)
            room = archive.getinfo(key + ".npy").file_size - f.tell()
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile, KeyError, ValueError, OverflowError) as exc:
        raise DatasetError(f"is not a readable .npz file ({str(exc).splitlines()[0]})", path) from None
    declared = math.prod(shape) * dtype.itemsize
    if declared > room:
        raise DatasetError(
            f"'{key}' declares {'×'.join(map(str, shape))} values ({declared:,} bytes) but holds {max(room, 0):,}", path
        )


def read_npz_member(path: str, key: str) -> np.ndarray:
    """A small member of an .npz (labels, label names), read whole after its header is checked."""
    check_npz_member(path, key)
    try:
        with np.load(path, allow_pickle=False) as npz:
            return npz[key]
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile, KeyError, ValueError, MemoryError) as exc:
        raise DatasetError(f"is not a readable .npz file ({str(exc).splitlines()[0]})", path) from None


def _npy_header(f: _Stream, path: str, key: str) -> tuple[tuple[int, ...], np.dtype]:
    shape, fortran, dtype = npy_header(f, path, key)
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
