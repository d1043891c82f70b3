"""Which points of the map a gesture picked, and the sheet that shows them: NumPy only.

The map's rectangle and lasso selections, its hover ("the data point under the mouse") and the
selection gallery's PNG sheet are computed here, without Qt, so that they are tested on plain
arrays. Coordinates are the map plane's (N×2).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from vae_explorer.trainer.files.imagegrid import tile

Point = tuple[float, float]  # (x, y) on the map's plane


def points_in_rect(plane: np.ndarray, corner_a: Point, corner_b: Point) -> np.ndarray:
    """Indices of the points inside the axis-aligned rectangle spanned by two corners (edges included)."""
    plane = np.asarray(plane, np.float64).reshape(-1, 2)
    (xa, ya), (xb, yb) = corner_a, corner_b
    inside = (
        (plane[:, 0] >= min(xa, xb))
        & (plane[:, 0] <= max(xa, xb))
        & (plane[:, 1] >= min(ya, yb))
        & (plane[:, 1] <= max(ya, yb))
    )
    return np.flatnonzero(inside)


def points_in_polygon(plane: np.ndarray, polygon: ArrayLike) -> np.ndarray:
    """Indices of the points inside a closed polygon (V×2, the last vertex joins the first).

    Even-odd ray casting: a horizontal ray from each point to the right crosses the polygon's
    edges an odd number of times when the point is inside. A self-crossing lasso therefore
    selects what the even-odd rule fills, as a painter would. Fewer than three vertices enclose
    nothing. Edge by edge, only the points whose height the edge spans are tested (found by
    binary search in the points sorted by height): a closed lasso spans each height about twice,
    so 50,000 points cost some 100,000 tests, not 50,000 × V.
    """
    plane = np.asarray(plane, np.float64).reshape(-1, 2)
    poly = np.asarray(polygon, np.float64).reshape(-1, 2)
    if len(poly) < 3 or not len(plane):
        return np.zeros(0, np.int64)
    order = np.argsort(plane[:, 1], kind="stable")
    ys, xs = plane[order, 1], plane[order, 0]
    inside = np.zeros(len(plane), bool)
    for (x0, y0), (x1, y1) in zip(poly, np.roll(poly, -1, axis=0), strict=True):
        if y0 == y1:
            continue  # a horizontal edge is straddled by no ray
        start, stop = np.searchsorted(ys, min(y0, y1), "left"), np.searchsorted(ys, max(y0, y1), "left")
        x_cross = x0 + (ys[start:stop] - y0) * (x1 - x0) / (y1 - y0)
        inside[start:stop] ^= xs[start:stop] < x_cross
    return np.sort(order[inside])


def nearest_point(
    plane: np.ndarray, target: Point, pixel_size: Point, radius_px: float, candidates: np.ndarray | None = None
) -> int | None:
    """The index of the point nearest to ``target`` on screen, if it is within ``radius_px`` pixels.

    ``pixel_size`` = (plane units per pixel along x, along y): the map's axes need not share a
    scale, so distances are measured in pixels. ``candidates`` limits the search (the points
    drawn). Only the points inside the click's square are measured: finding them is a
    comparison per point, 0.1 ms for 70,000 (3.4 ms when every distance was computed), and no
    k-d tree has to follow every pan and zoom.
    """
    plane = np.asarray(plane).reshape(-1, 2)
    sx, sy = (max(abs(float(v)), 1e-300) for v in pixel_size)
    tx, ty = (float(v) for v in target)
    x, y = plane[:, 0], plane[:, 1]
    near = np.flatnonzero((np.abs(x - tx) <= radius_px * sx) & (np.abs(y - ty) <= radius_px * sy))
    if candidates is not None and len(near) and len(candidates) != len(plane):
        near = near[np.isin(near, np.asarray(candidates, np.int64))]
    if not len(near):
        return None
    d2 = ((plane[near, 0] - tx) / sx) ** 2 + ((plane[near, 1] - ty) / sy) ** 2
    best = int(np.argmin(d2))
    return int(near[best]) if d2[best] <= radius_px**2 else None


def pair_sheet(originals: np.ndarray, reconstructions: np.ndarray, cols: int = 8, pad: int = 2) -> np.ndarray:
    """One image: each original beside its reconstruction (a 1-px white gap), the pairs in a grid
    of ``cols`` columns, in the order given; what *Export sheet* writes for a selection."""
    originals = np.asarray(originals, np.float32)
    reconstructions = np.asarray(reconstructions, np.float32)
    if originals.shape != reconstructions.shape:
        raise ValueError(f"{originals.shape} originals but {reconstructions.shape} reconstructions")
    n, h, w, c = originals.shape
    pairs = np.ones((n, h, 2 * w + 1, c), np.float32)
    pairs[:, :, :w] = originals
    pairs[:, :, w + 1 :] = reconstructions
    return tile(pairs, cols=max(1, min(cols, n)), pad=pad)
