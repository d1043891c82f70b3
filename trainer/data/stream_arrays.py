"""Streamed .npz archives and IDX folders: the same checks, scale and split as the in-memory
loaders (``pixels.to_unit_images``, ``split_held_out``), applied chunk by chunk.

One pass over each image array at opening checks its values and finds its scale (a maximum
above 1 means 0–255, as in memory); each epoch then reads the training rows in file order into a
bounded shuffle buffer (``streaming.shuffle_buffer``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from vae_explorer.trainer.data.array_rows import ArrayRows, read_npz_member
from vae_explorer.trainer.data.pixels import to_labels, to_unit_images
from vae_explorer.trainer.data.streaming import float_bytes, shuffle_buffer
from vae_explorer.trainer.errors import DatasetError


def image_shape_of(rows: ArrayRows, key: str) -> tuple[int, int, int]:
    """H×W×C of the images ``to_unit_images`` makes of this array (checked on a first row)."""
    sample = next(rows.chunks(1), (0, np.zeros((0, *rows.shape[1:]), rows.dtype)))[1]
    if rows.rows == 0:
        raise DatasetError(f"'{key}' holds no images", rows.path)
    return to_unit_images(sample, rows.path, key).shape[1:]


def scan_scale(rows: ArrayRows, key: str) -> float:
    """1/255 or 1: what the whole array is multiplied by, after the checks ``to_unit_images`` makes."""
    hi = 0.0
    for _, chunk in rows.chunks():
        if chunk.dtype.kind == "f" and not np.isfinite(chunk).all():
            raise DatasetError(f"'{key}' has NaN or infinite pixels", rows.path)
        if chunk.size and chunk.min() < 0:
            raise DatasetError(
                f"'{key}' has negative pixel values (min {chunk.min():g}); expected 0–1 or 0–255", rows.path
            )
        hi = max(hi, float(chunk.max()) if chunk.size else 0.0)
    if hi > 255:
        raise DatasetError(f"'{key}' has pixel values up to {hi:g}; expected 0–1 or 0–255", rows.path)
    return 255.0 if hi > 1.0 else 1.0


def unit_rows(chunk: np.ndarray, divisor: float) -> np.ndarray:
    """A chunk as float32 N×H×W×C in [0, 1], by the same operations as ``to_unit_images``."""
    x = chunk[..., None] if chunk.ndim == 3 else chunk
    x = x[..., :1] if x.shape[-1] == 2 else x[..., :3] if x.shape[-1] == 4 else x
    out = x.astype(np.float32, copy=True)
    if divisor != 1.0:
        out /= 255.0
    return out


def gather_rows(rows: ArrayRows, wanted: np.ndarray, divisor: float) -> np.ndarray:
    """Rows ``wanted`` (file row numbers, any order) as unit images in that order, in one pass."""
    shape = image_shape_of(rows, rows.key or "images")
    out = np.empty((len(wanted), *shape), np.float32)
    order = np.argsort(wanted, kind="stable")
    sorted_rows = wanted[order]
    for start, chunk in rows.chunks():
        lo, hi = np.searchsorted(sorted_rows, [start, start + len(chunk)])
        if hi > lo:
            out[order[lo:hi]] = unit_rows(chunk[sorted_rows[lo:hi] - start], divisor)
    return out


class ArrayTrainSource:
    """The training rows of one array (all rows, or those ``train_mask`` marks), streamed."""

    def __init__(
        self, rows: ArrayRows, divisor: float, image_shape: tuple[int, ...], train_mask: np.ndarray | None = None
    ) -> None:
        self.rows, self.divisor, self.image_shape, self.train_mask = rows, divisor, tuple(image_shape), train_mask

    def _chunks(self) -> Iterator[np.ndarray]:
        for start, chunk in self.rows.chunks():
            if self.train_mask is not None:
                chunk = chunk[self.train_mask[start : start + len(chunk)]]
            if len(chunk):
                yield unit_rows(chunk, self.divisor)

    def images(self, seed: int, epoch: int) -> Any:
        """The training images of epoch ``epoch``, shuffled within a bounded buffer."""
        from vae_explorer.trainer.tf_runtime import import_tensorflow

        tf = import_tensorflow()
        spec = tf.TensorSpec([None, *self.image_shape], tf.float32)
        images = tf.data.Dataset.from_generator(self._chunks, output_signature=spec).unbatch()
        return images.shuffle(shuffle_buffer(float_bytes(self.image_shape)), seed=seed * 100_003 + epoch)


def npz_labels(path: str, key: str, n: int, keys: set[str]) -> np.ndarray | None:
    """One label array of an archive (small: read whole), checked as in memory; None if absent."""
    if key not in keys:
        return None
    return to_labels(read_npz_member(path, key), n, path, key)


def idx_labels(path: str | None, n: int) -> np.ndarray | None:
    from vae_explorer.trainer.data.idx import read_idx

    return None if path is None else to_labels(read_idx(path), n, path)


def source_name(path: str, name: str | None) -> str:
    return name or os.path.splitext(os.path.basename(os.path.normpath(path)))[0]
