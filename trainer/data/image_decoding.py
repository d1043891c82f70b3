"""Decoding image files with TensorFlow (no image library added): one file, or a folder's worth.

A file is read whole, its declared size checked before decoding (decompression bombs are refused),
then decoded with ``tf.io.decode_image``. TensorFlow's error messages carry its internals
(``{{function_node __wrapped__DecodeImage…}}``, ``[Op:DecodeImage]``); ``tf_problem`` keeps only
the sentence a user can read.
"""

from __future__ import annotations

import re
import struct
from typing import Any

import numpy as np

from vae_explorer.trainer.model.config import MAX_IMAGE_SIDE

DEFAULT_SIZE = (64, 64)
MAX_PIXELS = 100_000_000  # refuse decompression bombs before decoding them
SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")


def not_an_image(path: str) -> str | None:
    """Why the file cannot be an image (None: it starts as a PNG, JPEG, GIF or BMP does). The
    split of an image folder counts only files that pass this cheap look at their first bytes."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if not head:
        return "empty file"
    return None if any(head.startswith(s) for s in SIGNATURES) else "not a PNG, JPEG, BMP or GIF image"


def tf_problem(exc: BaseException) -> str:
    """The readable sentence of a TensorFlow (or any) error, without TensorFlow's internals."""
    text = getattr(exc, "message", None) or getattr(exc, "strerror", None) or str(exc)
    text = re.sub(r"\{\{[^}]*\}\}", "", str(text))
    text = re.sub(r"\s*\[Op:[^\]]*\].*$", "", text, flags=re.S)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def declared_pixels(data: bytes) -> int | None:
    """Width×height from a PNG, BMP or GIF header, without decoding; None when unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w) * int(h)
    if data[:2] == b"BM" and len(data) >= 26:
        w, h = struct.unpack("<ii", data[18:26])
        return abs(int(w) * int(h))
    if data[:4] == b"GIF8" and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return int(w) * int(h)
    return None


def decode_image_file(path: str, tf: Any, keep_alpha: bool = False) -> np.ndarray:
    """One image file as uint8 H×W×C (C = 1 or 3; alpha dropped unless ``keep_alpha``: then C
    may be 2 or 4), refusing decompression bombs before decoding; ``ValueError``, ``OSError`` or
    TensorFlow's ``OpError`` when it cannot be read."""
    with open(path, "rb") as f:
        data = f.read()
    if not data:
        raise ValueError("empty file")
    pixels = declared_pixels(data)
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


class DecodedFolder:
    """The images of a folder as they are decoded: skipped files become warnings, and once the
    sizes disagree (or one is over what a model takes) every image is resized to DEFAULT_SIZE as
    soon as it is decoded, so the folder never sits in memory at full size. ``rows[i]`` is the
    row of the i-th file added, or None when it could not be decoded."""

    def __init__(self, folder: str, target: tuple[int, int] | None):
        from vae_explorer.trainer.tf_runtime import import_tensorflow

        self.tf = import_tensorflow()
        self.folder, self.target = folder, target
        self.images: list[np.ndarray] = []
        self.rows: list[int | None] = []
        self.warnings: list[str] = []

    def add(self, path: str) -> None:
        try:
            im = decode_image_file(path, self.tf)
        except (ValueError, OSError, self.tf.errors.OpError) as exc:
            self.warnings.append(f"{path}: skipped, cannot decode image ({tf_problem(exc)})")
            self.rows.append(None)
            return
        if self.target is None and (
            max(im.shape[:2]) > MAX_IMAGE_SIDE or (self.images and im.shape[:2] != self.images[0].shape[:2])
        ):
            self._resize_from_now(im)
        self.rows.append(len(self.images))
        self.images.append(im if self.target is None else self._resized(im))

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
