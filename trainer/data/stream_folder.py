"""A streamed image folder: files decoded, resized and scaled in a parallel tf.data map.

The file list is the in-memory loader's (``image_folder._list_files``) and so is the split
(``split_held_out`` over the files); each epoch visits the training files in a full permutation
(``training.epoch_order``), so streaming loses nothing of the shuffle. What differs from memory:
the image size and channel count are fixed from ``--image-size`` (else the first image's size,
or 64×64 when it is over 1024 px a side) and the first image's channels, since the whole folder
is not decoded first; and an undecodable or oversized training image is skipped without being
named (the held-out sample's are named in the warnings).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from vae_explorer.trainer.data.image_decoding import DEFAULT_SIZE, MAX_PIXELS, declared_pixels, decode_image_file
from vae_explorer.trainer.data.image_folder import HELD_OUT_FRACTION, _list_files, split_folder
from vae_explorer.trainer.data.pixels import random_split
from vae_explorer.trainer.data.streaming import StreamedDataset, float_bytes, held_out_sample
from vae_explorer.trainer.errors import DatasetError
from vae_explorer.trainer.model.config import MAX_IMAGE_SIDE
from vae_explorer.trainer.tf_runtime import import_tensorflow


def _first_image(paths: Sequence[str] | np.ndarray, folder: str) -> np.ndarray:
    """The first file that decodes, as a uint8 array: it fixes the size and channels."""
    tf = import_tensorflow()
    for path in paths[:100]:
        try:
            return decode_image_file(path, tf)
        except (ValueError, OSError, tf.errors.OpError):
            continue
    raise DatasetError("holds no image that could be decoded (first 100 tried)", folder)


def _target(
    paths: Sequence[str] | np.ndarray, folder: str, image_size: tuple[int, int] | None
) -> tuple[tuple[int, int], int]:
    first = _first_image(paths, folder)
    size: tuple[int, int]
    if image_size is not None:
        size = (image_size[0], image_size[1])
    else:
        size = DEFAULT_SIZE if max(first.shape[:2]) > MAX_IMAGE_SIDE else (first.shape[0], first.shape[1])
    return size, int(first.shape[-1])


def folder_bytes(folder: str, image_size: tuple[int, int] | None) -> int:
    """Float32 bytes of the folder in memory: file count × the first image's (or the asked) size."""
    files, _ = _list_files(folder)
    if not files:
        return 0
    size, channels = _target([path for path, _ in files], folder, image_size)
    return len(files) * float_bytes((*size, channels))


def _size_ok(data: bytes) -> bool:
    pixels = declared_pixels(bytes(data))
    return pixels is None or pixels <= MAX_PIXELS


def _loader(size: tuple[int, ...], channels: int) -> Callable[[Any, Any], Any]:
    """tf.data map: file path → float32 H×W×C in [0, 1], as ``load_image_folder`` makes it."""
    tf = import_tensorflow()

    def load(path: Any, label: Any) -> Any:
        data = tf.io.read_file(path)
        tf.debugging.assert_equal(tf.numpy_function(_size_ok, [data], tf.bool), True, "too many pixels")
        image = tf.io.decode_image(data, channels=channels, expand_animations=False, dtype=tf.uint8)
        image = tf.cast(tf.ensure_shape(image, [None, None, channels]), tf.float32)
        same = tf.reduce_all(tf.equal(tf.shape(image)[:2], size))
        image = tf.cond(same, lambda: image, lambda: tf.image.resize(image, size, antialias=True))
        return tf.clip_by_value(image, 0.0, 255.0) / 255.0, label

    return load


class FolderTrainSource:
    """The training files of a folder, decoded in parallel, a full permutation per epoch."""

    def __init__(self, paths: np.ndarray, size: tuple[int, int], channels: int) -> None:
        self.paths, self.size, self.channels = np.asarray(paths), tuple(size), channels

    def images(self, seed: int, epoch: int) -> Any:
        from vae_explorer.trainer.training.memory import epoch_order

        tf = import_tensorflow()
        order = epoch_order(seed, epoch, len(self.paths))
        files = tf.data.Dataset.from_tensor_slices((self.paths[order], np.zeros(len(order), np.int32)))
        images = files.map(_loader(self.size, self.channels), num_parallel_calls=tf.data.AUTOTUNE)
        return images.ignore_errors().map(lambda image, label: image)


def _decode_sample(
    paths: np.ndarray, labels: np.ndarray | None, size: tuple[int, int], channels: int, warnings: list[str]
) -> tuple[np.ndarray, np.ndarray | None]:
    """The held-out sample in memory, in order (decoded in parallel); an image that fails is
    dropped and named in ``warnings``."""
    tf = import_tensorflow()
    positions = np.arange(len(paths), dtype=np.int32)
    files = tf.data.Dataset.from_tensor_slices((np.asarray(paths), positions))
    decoded = files.map(_loader(size, channels), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    images: list[np.ndarray] = []
    kept: list[int] = []
    for image, position in decoded.ignore_errors().batch(256):
        images.append(image.numpy())
        kept.extend(int(p) for p in position.numpy())
    warnings.extend(f"{paths[i]}: skipped, cannot decode image" for i in sorted(set(positions) - set(kept)))
    if not images:
        raise DatasetError("holds no held-out image that could be decoded", os.path.dirname(paths[0]))
    return np.concatenate(images), None if labels is None else labels[kept]


def open_folder(folder: str, image_size: tuple[int, int] | None, name: str | None, split_seed: int) -> StreamedDataset:
    """The folder split as the in-memory loader splits it (``image_folder.split_folder``), its
    training files streamed and a bounded sample of its held-out files decoded now."""
    split = split_folder(folder, split_seed)
    size, channels = _target(split.paths, folder, image_size)
    sample = split.test[held_out_sample(len(split.test), float_bytes((*size, channels)))]
    warnings = list(split.warnings)
    labels = None if split.labels is None else split.labels[sample]
    x_test, y_test = _decode_sample(split.paths[sample], labels, size, channels, warnings)
    return StreamedDataset(
        name=name or os.path.basename(os.path.normpath(folder)),
        source=os.path.abspath(folder),
        image_shape=(*size, channels),
        n_train=len(split.train),
        n_test=len(split.test),
        x_test=x_test,
        y_test=y_test,
        train_source=FolderTrainSource(split.paths[split.train], size, channels),
        label_names=split.class_names,
        warnings=warnings,
        split=random_split(HELD_OUT_FRACTION, split_seed),
    )
