"""The map's two rasters against plain per-point references: the dots (and the selection's
rings) stamped through shifted views of one buffer, and the thumbnails' one-per-cell choice by a
radix sort. Both replaced slower code in the pan's paint; these pin down that they draw the same.
And the grid drawn in one call per level: its lines on the axes' ticks, on screen; and the
thumbnails' slots that keep tiles from one paint to the next."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from vae_explorer.explorer.map import tile_slots
from vae_explorer.explorer.map.dots import STAMP, DotsItem, ring_stamp
from vae_explorer.explorer.map.latent_map import LatentMap, hide_while_empty
from vae_explorer.explorer.map.thumbnails import representatives
from vae_explorer.explorer.map.tick_grid import TickGrid, tick_positions
from vae_explorer.explorer.map.tile_slots import TileSlots


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
    # the raster engine's own format: drawn with no conversion (which Qt would hand to threads)
    assert image.format() == QImage.Format.Format_ARGB32_Premultiplied


@pytest.mark.parametrize("extent", [800.0, 60_000.0], ids=["screen", "more-cells-than-16-bits"])
def test_one_thumbnail_per_cell_is_the_first_of_its_points_in_priority_order(extent):
    rng = np.random.default_rng(5)
    px = rng.uniform(-30, extent, (5000, 2))
    first_of: dict[tuple[int, int], int] = {}
    for i, (x, y) in enumerate(px):
        first_of.setdefault((int(np.floor(x / 16)), int(np.floor(y / 16))), i)
    np.testing.assert_array_equal(representatives(px, 16.0), sorted(first_of.values()))
    assert len(representatives(px[:0], 16.0)) == 0


def shown_map(qtbot, width: int, height: int) -> LatentMap:
    """An empty map of that size, on screen (offscreen in the tests)."""
    plot = LatentMap()
    qtbot.addWidget(plot)
    plot.resize(width, height)
    plot.show()
    qtbot.waitExposed(plot)
    return plot


def test_the_grid_s_lines_lie_on_the_axes_ticks_and_are_drawn(qtbot):
    plot = shown_map(qtbot, 700, 500)
    plot.getViewBox().setRange(xRange=(-3.3, 7.1), yRange=(0.2, 2.9), padding=0)
    shot = plot.grab().toImage()  # a paint: the view box applies the range to its transform
    grid = next(item for item in plot.getViewBox().childGroup.childItems() if isinstance(item, TickGrid))
    view, t = grid.viewRect(), grid.deviceTransform_()  # what its paint's painter held
    assert view.left() == pytest.approx(-3.3)
    (_, major_x), *_ = plot.getAxis("bottom").tickValues(view.left(), view.right(), t.m11() * view.width())
    vertical = [line.x1() for line in grid.lines(view, t, 0) if line.x1() == line.x2()]
    np.testing.assert_allclose(vertical, np.asarray(major_x) * t.m11() + t.dx())
    minor = grid.lines(view, t, 1)
    assert minor and not {round(line.x1(), 6) for line in minor} & {round(x, 6) for x in vertical}
    rows = range(40, 300, 10)
    for x in vertical:
        on_line = [max(QImage.pixel(shot, int(x) + dx, row) & 0xFF for dx in (0, 1)) for row in rows]  # rounding
        beside = [QImage.pixel(shot, int(x) + 5, row) & 0xFF for row in rows]
        assert min(on_line) > max(beside)  # a faint line, every row of it, and nothing beside it


class CountedMarker(pg.ScatterPlotItem):
    """A marker that counts what Qt asks of it: its paints and its bounds."""

    calls: dict[str, int]

    def paint(self, *args):
        self.calls["paint"] += 1
        return super().paint(*args)

    def boundingRect(self):
        self.calls["bounds"] += 1
        return super().boundingRect()


def test_an_empty_marker_is_neither_painted_nor_asked_its_bounds_by_a_click(qtbot):
    plot = shown_map(qtbot, 500, 400)
    marker = CountedMarker(size=12, symbol="o")
    marker.calls = {"paint": 0, "bounds": 0}
    plot.addItem(hide_while_empty(marker), ignoreBounds=True)
    plot.getViewBox().setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)

    def clicked() -> dict[str, int]:
        marker.calls.update(paint=0, bounds=0)
        qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(250, 200))
        plot.grab()  # a paint of the whole view
        return dict(marker.calls)

    assert clicked() == {"paint": 0, "bounds": 0}
    marker.setData([0.0], [0.0])
    shown = clicked()
    assert shown["paint"] >= 1 and marker.isVisible()
    marker.setData([], [])
    assert clicked() == {"paint": 0, "bounds": 0}


def test_tick_positions_are_the_multiples_in_range_and_nothing_for_a_degenerate_spacing():
    np.testing.assert_allclose(tick_positions(-0.25, 1.0, 0.5), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(tick_positions(0.0, 1.0, 0.5, offset=0.25), [0.25, 0.75])
    assert len(tick_positions(0.0, 1.0, 0.0)) == 0 and len(tick_positions(0.0, np.inf, 1.0)) == 0
    assert len(tick_positions(0.0, 1e9, 1e-6)) == 200  # at most MAX_LINES


def test_tile_slots_hold_each_requested_tile_and_write_only_those_not_held(qapp, monkeypatch):
    monkeypatch.setattr(tile_slots, "ATLAS_PIXELS", 0)  # as few slots as one request may fill: evictions
    rng = np.random.default_rng(7)
    tiles = rng.integers(0, 256, (300, 6, 6, 3), dtype=np.uint8)
    slots = TileSlots(tiles, most_drawn=40)
    assert slots.capacity == 40
    for _ in range(30):
        idx = rng.choice(300, size=int(rng.integers(1, 41)), replace=False)
        held, written = int((slots.slot_of[idx] >= 0).sum()), slots.written
        got = slots.slots_of(idx)
        assert slots.written - written == len(idx) - held
        image = slots.pixmap.toImage().convertToFormat(QImage.Format.Format_RGB888)
        atlas = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
        for tile, slot in zip(idx, got, strict=True):
            y, x = (slot // slots.columns) * 6, (slot % slots.columns) * 6
            np.testing.assert_array_equal(atlas[y : y + 6, 3 * x : 3 * x + 18].reshape(6, 6, 3), tiles[tile])
