"""Thumbnails of the held-out images packed into one atlas image, each in a thin coloured frame.

The map draws all its thumbnails from this one texture (one pixmap, one draw call per paint),
not as thousands of separate image items. NumPy only.
"""

from __future__ import annotations

import math

import numpy as np

MAX_SIDE = 32  # a thumbnail's longest side in the atlas, in pixels (bigger images are subsampled)
MAX_ATLAS = 4096  # the atlas's side limit, in pixels
FRAME = 1  # the frame's width, in atlas pixels


def thumbnail_side(image_shape: tuple[int, ...], n: int, max_side: int = MAX_SIDE) -> int:
    """The side of one square tile (frame included) for ``n`` images of ``image_shape``."""
    fits = MAX_ATLAS // max(1, math.ceil(math.sqrt(max(n, 1))))  # so that the atlas stays ≤ MAX_ATLAS
    inner = min(max(image_shape[:2]), max_side, fits - 2 * FRAME)
    return max(inner, 2) + 2 * FRAME


def subsample(images: np.ndarray, inner: int) -> np.ndarray:
    """Every k-th pixel so that the longest side is at most ``inner`` (crisp, and cheap)."""
    step = max(1, math.ceil(max(images.shape[1:3]) / inner))
    return images[:, ::step, ::step]


def build_atlas(images: np.ndarray, frame_rgb: np.ndarray, max_side: int = MAX_SIDE) -> tuple[np.ndarray, int, int]:
    """``images`` N×H×W×C in [0, 1] (grey or RGB), ``frame_rgb`` N×3 uint8 →
    (atlas rows×cols tiles, H'×W'×3 uint8; tile side; columns). Tile i sits at
    (row i // columns, column i % columns), the image centred in its frame.
    """
    images = np.asarray(images, np.float32)
    n = len(images)
    side = thumbnail_side(images.shape[1:], n, max_side)
    small = subsample(images, side - 2 * FRAME)
    if small.shape[-1] == 1:
        small = np.repeat(small, 3, axis=-1)
    pixels = (np.clip(small, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    cols = max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / cols))
    tiles = np.zeros((rows * cols, side, side, 3), np.uint8)
    tiles[:n] = np.asarray(frame_rgb, np.uint8)[:, None, None, :]
    h, w = pixels.shape[1:3]
    top, left = (side - h) // 2, (side - w) // 2
    tiles[:n, top : top + h, left : left + w] = pixels
    atlas = tiles.reshape(rows, cols, side, side, 3).transpose(0, 2, 1, 3, 4).reshape(rows * side, cols * side, 3)
    return np.ascontiguousarray(atlas), side, cols
