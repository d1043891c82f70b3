"""Image grids and PNG files, with NumPy and zlib only (no Qt, no image library)."""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np

from vae_explorer.trainer.files.atomic import atomic_path


def tile(images: np.ndarray, cols: int | None = None, pad: int = 2, pad_value: float = 1.0) -> np.ndarray:
    """N×H×W×C images in [0, 1] → one (rows·(H+pad)+pad)×(cols·(W+pad)+pad)×C image."""
    images = np.asarray(images, np.float32)
    if images.ndim == 3:
        images = images[..., None]
    n, h, w, c = images.shape
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols)) if n else 1
    out = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), pad_value, np.float32)
    for i in range(n):
        r, q = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + q * (w + pad)
        out[y : y + h, x : x + w] = images[i]
    return out


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement by a whole factor (crisp pixels for small digits)."""
    if factor <= 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def to_uint8(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def encode_png(image: np.ndarray) -> bytes:
    """H×W, H×W×1 or H×W×3 image ([0, 1] floats or uint8) → PNG bytes."""
    img = to_uint8(image)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim == 2:
        color_type, channels = 0, 1
    elif img.ndim == 3 and img.shape[2] == 3:
        color_type, channels = 2, 3
    else:
        raise ValueError(f"cannot write an image of shape {img.shape} as PNG")
    h, w = img.shape[:2]
    raw = np.zeros((h, 1 + w * channels), np.uint8)  # filter byte 0 on every row
    raw[:, 1:] = img.reshape(h, w * channels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def write_png(path: str | os.PathLike, image: np.ndarray) -> None:
    """Write ``image`` to ``path`` atomically (never a half-written PNG)."""
    data = encode_png(image)
    with atomic_path(os.fspath(path), ".png") as tmp, open(tmp, "wb") as f:
        f.write(data)
