"""A folder of PNG/JPEG/BMP/GIF images: one subfolder per class, or flat and unlabelled.

Images are decoded and resized with TensorFlow (``tf.io.decode_image``, ``tf.image.resize``),
so no image library is added. Files that cannot be decoded are skipped and listed in the
dataset's ``warnings``; a folder with no usable image is an error.
"""

from __future__ import annotations

import os
import struct

import numpy as np

from vae_explorer.trainer.data.dataset import Dataset
from vae_explorer.trainer.data.pixels import SPLIT_SEED, check_splits, random_split, split_held_out
from vae_explorer.trainer.errors import DatasetError
from vae_explorer.trainer.model.config import MAX_IMAGE_SIDE

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
DEFAULT_SIZE = (64, 64)
MAX_PIXELS = 100_000_000  # refuse decompression bombs before decoding them
HELD_OUT_FRACTION = 0.2


def _is_image(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def _list_files(folder: str) -> tuple[list[tuple[str, int | None]], list[str] | None]:
    """(path, label) pairs, and the class names when the folder has one subfolder per class."""
    entries = sorted(os.listdir(folder))
    classes = [e for e in entries if os.path.isdir(os.path.join(folder, e)) and not e.startswith(".")]
    class_files = {c: sorted(f for f in os.listdir(os.path.join(folder, c)) if _is_image(f)) for c in classes}
    classes = [c for c in classes if class_files[c]]
    if classes:
        files = [(os.path.join(folder, c, f), label) for label, c in enumerate(classes) for f in class_files[c]]
        return files, classes
    return [(os.path.join(folder, f), None) for f in entries if _is_image(f)], None


def _declared_pixels(data: bytes) -> int | None:
    """Width×height from a PNG, BMP or GIF header, without decoding; None when unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return w * h
    if data[:2] == b"BM" and len(data) >= 26:
        w, h = struct.unpack("<ii", data[18:26])
        return abs(w * h)
    if data[:4] == b"GIF8" and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return w * h
    return None


def decode_image_file(path: str, tf, keep_alpha: bool = False):
    """One image file as uint8 H×W×C (C = 1 or 3; alpha dropped unless ``keep_alpha``: then C
    may be 2 or 4), refusing decompression bombs before decoding; ``ValueError``, ``OSError`` or
    TensorFlow's ``OpError`` when it cannot be read."""
    with open(path, "rb") as f:
        data = f.read()
    if not data:
        raise ValueError("empty file")
    pixels = _declared_pixels(data)
    if pixels is None and data[:2] == b"\xff\xd8":
        h, w, _ = tf.io.extract_jpeg_shape(data).numpy()
        pixels = int(h) * int(w)
    if pixels is not None and pixels > MAX_PIXELS:
        raise ValueError(f"{pixels / 1e6:.0f} megapixels is over the {MAX_PIXELS // 1_000_000} MP limit")
    image = tf.io.decode_image(data, expand_animations=False)
    if image.dtype != tf.uint8:
        image = tf.image.convert_image_dtype(image, tf.uint8)
    image = image.numpy()
    if keep_alpha:
        return image
    return image[..., :1] if image.shape[-1] == 2 else image[..., :3]


def load_image_folder(
    folder: str | os.PathLike,
    image_size: tuple[int, int] | None = None,
    name: str | None = None,
    split_seed: int = SPLIT_SEED,
) -> Dataset:
    """Decode, convert to one channel count and one size, scale to [0, 1], hold 20% out."""
    folder = os.fspath(folder)
    files, class_names = _list_files(folder)
    if not files:
        raise DatasetError("holds no PNG, JPEG, BMP or GIF images", folder)
    decoded = _DecodedFolder(folder, None if image_size is None else tuple(image_size))
    for path, label in files:
        decoded.add(path, label)
    if not decoded.images:
        raise DatasetError(f"holds no image that could be decoded ({len(files)} tried)", folder)
    y = None if class_names is None else np.asarray(decoded.labels, dtype=np.int32)
    x_train, y_train, x_test, y_test = split_held_out(decoded.array(), y, HELD_OUT_FRACTION, folder, split_seed)
    check_splits(x_train, x_test, folder)
    return Dataset(
        name=name or os.path.basename(os.path.normpath(folder)),
        source=os.path.abspath(folder),
        x_train=x_train,
        x_test=x_test,
        y_train=y_train,
        y_test=y_test,
        label_names=class_names,
        warnings=decoded.warnings,
        split=random_split(HELD_OUT_FRACTION, split_seed),
    )


class _DecodedFolder:
    """The images of a folder as they are decoded: skipped files become warnings, and once the
    sizes disagree (or one is over what a model takes) every image is resized to DEFAULT_SIZE as
    soon as it is decoded, so the folder never sits in memory at full size."""

    def __init__(self, folder: str, target: tuple[int, int] | None):
        from vae_explorer.trainer.tf_runtime import import_tensorflow

        self.tf = import_tensorflow()
        self.folder, self.target = folder, target
        self.images: list[np.ndarray] = []
        self.labels: list[int] = []
        self.warnings: list[str] = []

    def add(self, path: str, label: int) -> None:
        try:
            im = decode_image_file(path, self.tf)
        except (ValueError, OSError, self.tf.errors.OpError) as exc:
            reason = getattr(exc, "message", None) or str(exc)
            self.warnings.append(f"{path}: skipped, cannot decode image ({reason.splitlines()[0]})")
            return
        if self.target is None and (
            max(im.shape[:2]) > MAX_IMAGE_SIDE or (self.images and im.shape[:2] != self.images[0].shape[:2])
        ):
            self._resize_from_now(im)
        self.images.append(im if self.target is None else self._resized(im))
        self.labels.append(label)

    def _resize_from_now(self, im: np.ndarray) -> None:
        if max(im.shape[:2]) > MAX_IMAGE_SIDE and not self.images:
            self.warnings.append(
                f"{self.folder}: images of {im.shape[0]}×{im.shape[1]} px are over the {MAX_IMAGE_SIDE} px a "
                f"side a model takes: resized to {DEFAULT_SIZE[0]}×{DEFAULT_SIZE[1]} (choose another size "
                "with --image-size)"
            )
        self.target = DEFAULT_SIZE
        self.images = [self._resized(held) for held in self.images]

    def _resized(self, im: np.ndarray) -> np.ndarray:
        if im.shape[:2] == self.target:
            return im
        return self.tf.image.resize(im, self.target, antialias=True).numpy()

    def array(self) -> np.ndarray:
        """N×H×W×C float32 in [0, 1]: grey images repeated to RGB when any image is RGB."""
        channels = 3 if any(im.shape[-1] == 3 for im in self.images) else 1
        target = self.target or self.images[0].shape[:2]
        x = np.empty((len(self.images), *target, channels), dtype=np.float32)
        for i, im in enumerate(self.images):
            if im.shape[-1] != channels:
                im = np.repeat(im, 3, axis=-1)
            x[i] = np.clip(im, 0, 255) / 255.0
        return x
