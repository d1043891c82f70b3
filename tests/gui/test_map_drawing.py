"""The map's two rasters against plain per-point references: the dots (and the selection's
rings) stamped through shifted views of one buffer, and the thumbnails' one-per-cell choice by a
radix sort. Both replaced slower code in the pan's paint; these pin down that they draw the same."""

from __future__ import annotations

import numpy as np
import pytest

from vae_explorer.explorer.map.dots import STAMP, DotsItem, ring_stamp
from vae_explorer.explorer.map.thumbnails import representatives


def reference_raster(px, py, colours, width, height, stamp, radius) -> np.ndarray:
    """Point by point, offset by offset: what the stamped buffer must hold (height×width)."""
    buffer = np.zeros((height, width), np.uint32)
    ix, iy = px.astype(np.int64), py.astype(np.int64)
    inner = [i for i in range(len(px)) if radius <= ix[i] < width - radius and radius <= iy[i] < height - radius]
    for dx, dy in stamp:
        for i in inner:
            buffer[iy[i] + dy, ix[i] + dx] = colours[i]
    for i in sorted(set(range(len(px))) - set(inner)):
        if 0 <= ix[i] < width and 0 <= iy[i] < height:
            buffer[iy[i], ix[i]] = colours[i]
    return buffer


@pytest.mark.parametrize("stamp, radius", [(STAMP, 2), (ring_stamp(5.5, 1.5), 6)], ids=["dots", "rings"])
def test_the_stamped_raster_is_the_per_point_reference_edges_included(qapp, stamp, radius):
    rng = np.random.default_rng(3)
    width, height = 61, 37
    px, py = rng.uniform(-12, width + 12, 400), rng.uniform(-12, height + 12, 400)
    colours = rng.integers(0, 2**24, 400).astype(np.uint32) | np.uint32(0xFF000000)
    image, _ = DotsItem._raster(px, py, colours, width, height, stamp, radius)
    drawn = np.frombuffer(image.constBits(), np.uint32).reshape(height, image.bytesPerLine() // 4)[:, :width]
    np.testing.assert_array_equal(drawn, reference_raster(px, py, colours, width, height, stamp, radius))


@pytest.mark.parametrize("extent", [800.0, 60_000.0], ids=["screen", "more-cells-than-16-bits"])
def test_one_thumbnail_per_cell_is_the_first_of_its_points_in_priority_order(extent):
    rng = np.random.default_rng(5)
    px = rng.uniform(-30, extent, (5000, 2))
    first_of: dict[tuple[int, int], int] = {}
    for i, (x, y) in enumerate(px):
        first_of.setdefault((int(np.floor(x / 16)), int(np.floor(y / 16))), i)
    np.testing.assert_array_equal(representatives(px, 16.0), sorted(first_of.values()))
    assert len(representatives(px[:0], 16.0)) == 0
