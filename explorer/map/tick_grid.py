"""The map's grid: faint lines at the axes' major and minor ticks, one ``drawLines`` call each.

Every pan step, hover card and click repaints the map, grid included. pyqtgraph's ``GridItem``
records three levels of lines into a ``QPicture`` at every change of the view and replays it:
3.8-5.3 ms (median) of a pan step's 27-34 at 70,000 points here; the axes' own grid
(``showGrid``) cost 11-12 ms. This item asks the axes for their tick spacing, so its lines
stay on their ticks, and draws the lines of each level in device pixels in one call: 0.7-0.9
ms a paint in the same pan.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QPainter

LEVELS = ((0, 40), (1, 16))  # (the axes' tick level: 0 major, 1 minor; the lines' alpha of 255)
MIN_GAP_PX = 12  # a level's lines closer than this on screen are not drawn (minor ticks go to 2 px)
MAX_LINES = 200  # per level and direction: a guard against a degenerate spacing


def tick_positions(low: float, high: float, spacing: float, offset: float = 0.0) -> np.ndarray:
    """The multiples of ``spacing`` (shifted by ``offset``) between ``low`` and ``high``."""
    if not spacing > 0 or not np.isfinite([low, high]).all():
        return np.zeros(0)
    first = np.ceil((low - offset) / spacing)
    count = min(int(np.floor((high - offset) / spacing) - first) + 1, MAX_LINES)
    return offset + (first + np.arange(max(count, 0))) * spacing


class TickGrid(pg.UIGraphicsItem):
    """Add to the map's view box with ``ignoreBounds=True``; ``x_axis``, ``y_axis``: the plot's
    bottom and left ``AxisItem``s, whose tick spacing the lines follow. A ``UIGraphicsItem``, as
    ``GridItem`` is: its bound, the view, is kept until the view changes."""

    def __init__(self, x_axis: pg.AxisItem, y_axis: pg.AxisItem, rgb=(255, 255, 255)) -> None:
        super().__init__()
        self.axes = (x_axis, y_axis)
        self.pens = [pg.mkPen(*rgb, alpha) for _, alpha in LEVELS]
        self.setZValue(-20)

    def paint(self, painter: QPainter, *args) -> None:
        view = self.viewRect()
        if view is None or view.isEmpty():
            return
        t = painter.transform()
        painter.save()
        painter.resetTransform()
        for (level, _), pen in zip(LEVELS, self.pens, strict=True):
            painter.setPen(pen)
            painter.drawLines(self.lines(view, t, level))
        painter.restore()

    def lines(self, view: QRectF, t, level: int) -> list[QLineF]:
        """The device-pixel lines of tick ``level`` across ``view``, through transform ``t``
        (the map's: scale and shift, no rotation)."""
        left, right = t.m11() * view.left() + t.dx(), t.m11() * view.right() + t.dx()
        top, bottom = t.m22() * view.top() + t.dy(), t.m22() * view.bottom() + t.dy()
        xs = self._ticks(0, view.left(), view.right(), abs(right - left), level) * t.m11() + t.dx()
        ys = self._ticks(1, view.top(), view.bottom(), abs(bottom - top), level) * t.m22() + t.dy()
        return [QLineF(x, top, x, bottom) for x in xs] + [QLineF(left, y, right, y) for y in ys]

    def _ticks(self, axis: int, low: float, high: float, size_px: float, level: int) -> np.ndarray:
        """The data positions of ``level``'s ticks of axis ``axis``, without the coarser levels'."""
        spacings = self.axes[axis].tickSpacing(low, high, size_px) if size_px > 0 else []
        if level >= len(spacings):
            return np.zeros(0)
        spacing, offset = spacings[level]
        if spacing * size_px < MIN_GAP_PX * (high - low):
            return np.zeros(0)
        values = tick_positions(low, high, spacing, offset)
        for coarser, coarser_offset in spacings[:level]:  # a major line is not drawn again as minor
            steps = (values - coarser_offset) / coarser
            values = values[np.abs(steps - np.round(steps)) > 1e-6]
        return values
