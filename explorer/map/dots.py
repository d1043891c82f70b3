"""The map's points as one raster drawn with NumPy: 100,000 dots in a few milliseconds a paint.

pyqtgraph's ``ScatterPlotItem`` draws one pixmap fragment per point: 54 ms a repaint (p99 86 ms)
for 100,000 points here, and 0.45 s to set them, against a 33 ms budget for a pan. This item
instead computes each drawn point's pixel from the painter's transform, stamps a small disc of
its colour into a 32-bit buffer the size of the device (one fancy-indexed assignment per pixel
of the disc: 6 ms for 100,000 points), and draws that buffer as one image. Later points are
drawn over earlier ones; the colours are opaque. The raster is kept until the points or the
view change: a repaint that moves only the cursor, the hover card or a lasso line draws the kept
image instead of stamping every point again (at 70,000 points, every click and hover repaints
the view).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

RADIUS = 2  # px: a disc of 21 pixels, about pyqtgraph's 5-px symbol
STAMP = np.array(
    [
        (dx, dy)
        for dy in range(-RADIUS, RADIUS + 1)
        for dx in range(-RADIUS, RADIUS + 1)
        if dx * dx + dy * dy <= RADIUS * RADIUS + 1
    ]
)
OPAQUE = np.uint32(0xFF000000)
WHITE = np.uint32(0xFFFFFFFF)


def ring_stamp(radius: float, width: float) -> np.ndarray:
    """The (dx, dy) offsets of a ring of outer ``radius`` and ``width`` pixels."""
    r = int(np.ceil(radius))
    return np.array(
        [
            (dx, dy)
            for dy in range(-r, r + 1)
            for dx in range(-r, r + 1)
            if (radius - width) ** 2 <= dx * dx + dy * dy <= radius * radius
        ]
    )


def device_xy(t, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plane positions → device pixels through a painter's transform ``t`` (the map's: a scale
    and a shift; the shear terms only when present)."""
    px = t.m11() * x + t.dx() if t.m21() == 0 else t.m11() * x + t.m21() * y + t.dx()
    py = t.m22() * y + t.dy() if t.m12() == 0 else t.m12() * x + t.m22() * y + t.dy()
    return px, py


def argb(rgb: np.ndarray) -> np.ndarray:
    """N×3 uint8 colours → N uint32 opaque ARGB pixels (QImage's Format_ARGB32 order)."""
    rgb = np.asarray(rgb, np.uint32).reshape(-1, 3)
    return OPAQUE | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]


def rgb_of(pixels: np.ndarray) -> np.ndarray:
    """The inverse of ``argb``: N uint32 → N×3 uint8."""
    pixels = np.asarray(pixels, np.uint32)
    return np.stack([(pixels >> 16) & 255, (pixels >> 8) & 255, pixels & 255], axis=1).astype(np.uint8)


class DotsItem(pg.GraphicsObject):
    """``set_points(plane, shown, colours)``: N×2 positions, the indices drawn, N uint32 colours."""

    stamp, radius = STAMP, RADIUS  # the pixels each point sets, and how far they reach

    def __init__(self) -> None:
        super().__init__()
        self.plane = np.zeros((0, 2), np.float64)
        self.shown = np.zeros(0, np.int64)
        self.colours = np.zeros(0, np.uint32)
        self._bounds = QRectF()
        self._drawn_xy = np.zeros((2, 0))  # the shown points with finite positions (x, y rows) ...
        self._drawn_colours = np.zeros(0, np.uint32)  # ... and their colours: not gathered per paint
        self._kept: tuple[tuple, QImage, np.ndarray] | None = None  # (view key, raster, its pixels)

    def set_points(self, plane: np.ndarray, shown: np.ndarray, colours: np.ndarray) -> None:
        self.plane = np.asarray(plane, np.float64).reshape(-1, 2)
        self.shown = np.asarray(shown, np.int64)
        self.colours = np.asarray(colours, np.uint32)
        xy = self.plane[self.shown]
        finite = np.isfinite(xy).all(axis=1)
        self._drawn_xy = np.ascontiguousarray(xy[finite].T)
        self._drawn_colours = self.colours[self.shown][finite]
        self._kept = None
        self.prepareGeometryChange()
        self._bounds = self._data_rect()
        self.informViewBoundsChanged()
        self.update()

    def _data_rect(self) -> QRectF:
        """The extent of the drawn points (the finite ones, kept as rows: no copies, no NaN)."""
        x, y = self._drawn_xy
        if not len(x):
            return QRectF()
        x0, x1, y0, y1 = float(x.min()), float(x.max()), float(y.min()), float(y.max())
        return QRectF(x0, y0, x1 - x0, y1 - y0)

    # -- pyqtgraph / QGraphicsItem --------------------------------------------------------
    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):  # noqa: N802, N803 (pyqtgraph names)
        """The range auto-ranging fits: the drawn points' extent along axis ``ax``."""
        if self._bounds.isNull():
            return None, None
        r = self._bounds
        return (r.left(), r.right()) if ax == 0 else (r.top(), r.bottom())

    def pixelPadding(self) -> float:  # noqa: N802 (pyqtgraph's name)
        return float(self.radius + 1)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        view = self.viewRect()  # drawn only in view: the view (or the data) is the bound
        return view if view is not None else self._bounds

    def paint(self, painter: QPainter, *args) -> None:
        if not len(self.shown):
            return
        device = painter.device()
        ratio = device.devicePixelRatioF() if device is not None else 1.0
        width, height = int(device.width() * ratio), int(device.height() * ratio)
        if width <= 0 or height <= 0:
            return
        t = painter.transform()
        key = (width, height, ratio, t.m11(), t.m12(), t.m21(), t.m22(), t.dx(), t.dy())
        if self._kept is None or self._kept[0] != key:
            self._kept = (key, *self._stamped(t, ratio, width, height))
        painter.save()
        painter.resetTransform()
        painter.drawImage(0, 0, self._kept[1])
        painter.restore()

    def _stamped(self, t, ratio: float, width: int, height: int) -> tuple[QImage, np.ndarray]:
        """The shown points through transform ``t``, rastered at the device's size (the image
        and the pixels it reads, which must live as long as it does)."""
        px, py = device_xy(t, *self._drawn_xy)
        colours = self._drawn_colours
        image, pixels = self._raster(px * ratio, py * ratio, colours, width, height, self.stamp, self.radius)
        image.setDevicePixelRatio(ratio)
        return image, pixels

    @staticmethod
    def _raster(
        px: np.ndarray, py: np.ndarray, colours: np.ndarray, width: int, height: int, stamp=STAMP, radius=RADIUS
    ) -> tuple[QImage, np.ndarray]:
        """Stamp each point's ``stamp`` into a ``width``×``height`` ARGB buffer (points whose stamp
        would leave the buffer are drawn only where their centre is inside: near the edge, a dot).
        ``px``, ``py`` are finite. Each offset of the stamp is one assignment through a view of
        the buffer shifted by that offset, so the points' pixel indices are computed once."""
        buffer = np.zeros(width * height, np.uint32)
        ix, iy = px.astype(np.intp), py.astype(np.intp)
        inner = (ix - radius).astype(np.uintp) < width - 2 * radius  # negatives wrap round: outside
        inner &= (iy - radius).astype(np.uintp) < height - 2 * radius
        corner = iy[inner] * width + ix[inner] - (radius * width + radius)  # the stamp's top-left pixel
        inner_colours = colours[inner]
        for dx, dy in stamp:
            buffer[(dy + radius) * width + dx + radius :][corner] = inner_colours
        edge = ~inner & (ix.astype(np.uintp) < width) & (iy.astype(np.uintp) < height)
        buffer[iy[edge] * width + ix[edge]] = colours[edge]
        # premultiplied: the same pixels here (opaque or empty), drawn without a conversion (which
        # Qt hands to its thread pool): 0.6 ms for a full view instead of 0.8-1.3 here
        return QImage(buffer.data, width, height, 4 * width, QImage.Format.Format_ARGB32_Premultiplied), buffer

    # -- which point is under the mouse ---------------------------------------------------
    def point_at(self, x: float, y: float, pixel_size: tuple[float, float], radius_px: float) -> int | None:
        """The drawn point nearest to (x, y) within ``radius_px`` screen pixels, or None."""
        from vae_explorer.trainer.maps.selection import nearest_point

        return nearest_point(self.plane, (x, y), pixel_size, radius_px, candidates=self.shown)


class RingsItem(DotsItem):
    """White rings around points (the map's selection), stamped like the dots: 20,000 selected
    points as pyqtgraph symbols took 20 ms to set and more to paint, with every lasso."""

    stamp, radius = ring_stamp(5.5, 1.5), 6

    def set_rings(self, plane: np.ndarray, shown: np.ndarray) -> None:
        self.set_points(plane, shown, np.full(len(plane), WHITE, np.uint32))
