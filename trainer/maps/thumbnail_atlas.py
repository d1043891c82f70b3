"""Thumbnails of the map's images as small framed tiles, and packed into one atlas image per paint.

The map draws its thumbnails from one texture (one pixmap, one draw call per paint), not as
thousands of separate image items. The tiles of every image are made once (NumPy, off the GUI
thread: 70,000 MNIST tiles take about a second and 190 MB); each paint packs the few hundred it
shows into an atlas. NumPy only, but for the thumbnails' size: SciPy's k-d tree measures how close
the points sit.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

MAX_SIDE = 32  # a thumbnail's longest side in a tile, in pixels (bigger images are subsampled)
FRAME = 1  # the frame's width, in tile pixels
CHUNK = 5000  # images turned into tiles at a time (bounded memory)
SPACING_SAMPLE = 5000  # points the neighbour spacing is measured among


def tile_side(image_shape: tuple[int, ...], max_side: int = MAX_SIDE) -> int:
    """The side of one square tile (frame included) for images of ``image_shape``."""
    return max(min(max(image_shape[:2]), max_side), 2) + 2 * FRAME


def subsample(images: np.ndarray, inner: int) -> np.ndarray:
    """Every k-th pixel so that the longest side is at most ``inner`` (crisp, and cheap)."""
    step = max(1, math.ceil(max(images.shape[1:3]) / inner))
    return images[:, ::step, ::step]


def make_tiles(images: np.ndarray, frame_rgb: np.ndarray, side: int) -> np.ndarray:
    """``images`` N×H×W×C in [0, 1] (grey or RGB), ``frame_rgb`` N×3 uint8 → N×side×side×3 uint8
    tiles, each image centred in a frame of its colour."""
    small = subsample(np.asarray(images, np.float32), side - 2 * FRAME)
    if small.shape[-1] == 1:
        small = np.repeat(small, 3, axis=-1)
    pixels = (np.clip(small, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    tiles = np.empty((len(pixels), side, side, 3), np.uint8)
    tiles[:] = np.asarray(frame_rgb, np.uint8)[:, None, None, :]
    h, w = pixels.shape[1:3]
    top, left = (side - h) // 2, (side - w) // 2
    tiles[:, top : top + h, left : left + w] = pixels
    return tiles


def all_tiles(n: int, images_of: Callable[[np.ndarray], np.ndarray], frame_rgb: np.ndarray, side: int) -> np.ndarray:
    """The tiles of ``n`` images fetched ``CHUNK`` at a time (never all images at once in float)."""
    tiles = np.empty((n, side, side, 3), np.uint8)
    for start in range(0, n, CHUNK):
        rows = np.arange(start, min(start + CHUNK, n))
        tiles[rows] = make_tiles(images_of(rows), frame_rgb[rows], side)
    return tiles


def pack(tiles: np.ndarray) -> tuple[np.ndarray, int]:
    """k tiles → (one atlas image, H×W×3 uint8, C-contiguous; its number of columns). Tile i
    sits at (row i // columns, column i % columns)."""
    n, side = len(tiles), tiles.shape[1]
    cols = max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / cols))
    padded = np.zeros((rows * cols, side, side, 3), np.uint8)
    padded[:n] = tiles
    atlas = padded.reshape(rows, cols, side, side, 3).transpose(0, 2, 1, 3, 4).reshape(rows * side, cols * side, 3)
    return np.ascontiguousarray(atlas), cols


def build_atlas(images: np.ndarray, frame_rgb: np.ndarray, max_side: int = MAX_SIDE) -> tuple[np.ndarray, int, int]:
    """All of ``images`` in one atlas: (atlas, tile side, columns)."""
    side = tile_side(np.asarray(images).shape[1:], max_side)
    atlas, cols = pack(make_tiles(images, frame_rgb, side))
    return atlas, side, cols


def neighbour_spacing(plane: np.ndarray) -> tuple[float, float]:
    """The median distance to the nearest neighbour, per axis, in map units (each axis scaled by
    its spread, so that an axis with larger numbers does not dominate). Above ``SPACING_SAMPLE``
    points it is measured among a sample and scaled by √(sample / n), as nearest-neighbour
    distances in a plane scale with density: a tree over 70,000 points took 50 ms of a paint."""
    from scipy.spatial import cKDTree

    if len(plane) < 2:
        return 1.0, 1.0
    step = -(-len(plane) // SPACING_SAMPLE)  # every step-th point: a sample without a permutation of n
    sample = np.asarray(plane[::step], np.float64)
    spread = np.maximum(sample.std(axis=0), 1e-12)
    sample = sample / spread
    distance, _ = cKDTree(sample).query(sample, k=2)
    median = float(np.median(distance[:, 1]) * np.sqrt(len(sample) / len(plane))) or 1e-3
    return median * float(spread[0]), median * float(spread[1])
