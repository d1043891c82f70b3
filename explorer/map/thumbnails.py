"""The held-out images themselves drawn on the map, at their points, in a thin frame of their
label's colour: when the user asks (the toggle) and by themselves when zoomed in far enough.

One item for all of them: the thumbnails live in one atlas pixmap (``trainer.maps.thumbnail_atlas``)
and each paint draws the ones in view with a single ``QPainter.drawPixmapFragments`` call, as
pyqtgraph's own scatter draws its symbols; 2,000 separate image items would each be a
QGraphicsItem to sort, cull and paint on every pan. A thumbnail has a size on screen, not in
map units: its natural size is the typical spacing of neighbouring points at the current zoom,
held between ``MIN_PX`` and ``MAX_PX`` pixels.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt.internals import PrimitiveArray
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter, QPixmap

from vae_explorer.trainer.maps.thumbnail_atlas import build_atlas

AUTO_MIN_PX = 12  # automatic: on once a thumbnail at its natural size would be this many pixels
AUTO_MAX_VISIBLE = 300  # ... or once no more than this many points are in view
MIN_PX, MAX_PX = 16, 96  # the side of a drawn thumbnail on screen
MAX_DRAWN = 4000  # the most drawn in one paint (the points in view, lowest indices first)


def neighbour_spacing(plane: np.ndarray) -> tuple[float, float]:
    """The median distance to the nearest neighbour, per axis, in map units (each axis scaled by
    its spread, so that an axis with larger numbers does not dominate)."""
    from scipy.spatial import cKDTree

    plane = np.asarray(plane, np.float64)
    if len(plane) < 2:
        return 1.0, 1.0
    spread = np.maximum(plane.std(axis=0), 1e-12)
    distance, _ = cKDTree(plane / spread).query(plane / spread, k=2)
    median = float(np.median(distance[:, 1])) or 1e-3
    return median * float(spread[0]), median * float(spread[1])


class ThumbnailLayer(pg.GraphicsObject):
    """Add to the map with ``ignoreBounds=True``; feed it images, points and a mode."""

    def __init__(self):
        super().__init__()
        self.setZValue(5)  # over the dots
        self._pixmap: QPixmap | None = None
        self._source = None  # (images, frame colours) the atlas is built from, when first needed
        self._tile, self._cols = 1, 1
        self._plane = np.zeros((0, 2), np.float64)
        self._shown = np.zeros(0, np.int64)
        self._spacing = (1.0, 1.0)
        self.forced, self.auto = False, True
        self._fragments = PrimitiveArray(QPainter.PixmapFragment, 10)
        self.drawn = np.zeros(0, np.int64)  # the indices the last paint drew
        self.drawn_px = np.zeros((0, 2))  # ... their centres in device pixels
        self.side_px = 0.0  # ... and their side on screen

    def set_images(self, images: np.ndarray | None, frame_rgb: np.ndarray | None) -> None:
        """The thumbnails' pictures (N×H×W×C in [0, 1]) and frame colours (N×3 uint8); None: none.

        The atlas is built when thumbnails are first drawn, not here: building it takes about a
        quarter of a second for 2,000 images, which stalled the first map of every training."""
        self._pixmap = None
        self._source = None if images is None or not len(images) else (images, frame_rgb)
        self.update()

    def _atlas(self) -> QPixmap | None:
        if self._pixmap is None and self._source is not None:
            atlas, self._tile, self._cols = build_atlas(*self._source)
            h, w = atlas.shape[:2]
            qimage = QImage(atlas.data, w, h, 3 * w, QImage.Format.Format_RGB888)
            self._pixmap = QPixmap.fromImage(qimage.copy())
        return self._pixmap

    def set_points(self, plane: np.ndarray, shown: np.ndarray) -> None:
        """Where each image sits (N×2) and which of them may be drawn (indices)."""
        self._plane = np.asarray(plane, np.float64)
        self._shown = np.asarray(shown, np.int64)
        self._spacing = neighbour_spacing(self._plane[self._shown]) if len(self._shown) else (1.0, 1.0)
        self.update()

    def set_mode(self, forced: bool, auto: bool) -> None:
        self.forced, self.auto = bool(forced), bool(auto)
        self.update()

    # -- QGraphicsItem --------------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        view = self.viewRect()  # thumbnails are drawn only in view: the view is the bound
        return QRectF() if view is None else view

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph's hook)
        super().viewTransformChanged()  # forgets the cached view rectangle
        self.prepareGeometryChange()
        self.update()

    def in_view(self) -> np.ndarray:
        """The drawable points inside the visible rectangle."""
        view = self.viewRect()
        if view is None or not len(self._shown):
            return np.zeros(0, np.int64)
        xy = self._plane[self._shown]
        inside = (
            (xy[:, 0] >= view.left())
            & (xy[:, 0] <= view.right())
            & (xy[:, 1] >= view.top())
            & (xy[:, 1] <= view.bottom())
        )
        return self._shown[inside]

    def natural_px(self, transform) -> float:
        """A thumbnail's natural side in pixels at this zoom: the neighbour spacing on screen."""
        return min(self._spacing[0] * abs(transform.m11()), self._spacing[1] * abs(transform.m22()))

    def active(self, visible: int, natural: float) -> bool:
        """Drawn: forced on, or automatic and zoomed in far enough."""
        return self.forced or (self.auto and (natural >= AUTO_MIN_PX or visible <= AUTO_MAX_VISIBLE))

    def paint(self, painter: QPainter, *args) -> None:
        idx = self.in_view()[:MAX_DRAWN]
        transform = painter.transform()
        natural = self.natural_px(transform)
        drawing = self._source is not None and len(idx) and self.active(len(idx), natural)
        if not drawing or self._atlas() is None:
            self.drawn, self.drawn_px = np.zeros(0, np.int64), np.zeros((0, 2))
            return
        xy = self._plane[idx]
        px = np.c_[
            transform.m11() * xy[:, 0] + transform.m21() * xy[:, 1] + transform.dx(),
            transform.m12() * xy[:, 0] + transform.m22() * xy[:, 1] + transform.dy(),
        ]
        self.side_px = float(np.clip(natural, MIN_PX, MAX_PX))
        self._draw(painter, idx, px)
        self.drawn, self.drawn_px = idx, px

    def _draw(self, painter: QPainter, idx: np.ndarray, px: np.ndarray) -> None:
        """All thumbnails in one call: fragment = (x, y, source rect, scale x/y, rotation, opacity)."""
        scale = self.side_px / self._tile
        self._fragments.resize(len(idx))
        fragments = self._fragments.ndarray()
        fragments[:, 0:2] = px
        fragments[:, 2] = (idx % self._cols) * self._tile
        fragments[:, 3] = (idx // self._cols) * self._tile
        fragments[:, 4:6] = self._tile
        fragments[:, 6:10] = [scale, scale, 0.0, 1.0]
        painter.resetTransform()
        # drawargs() is (pointer, count) or ([fragments]): PySide's stubs know only the (pointer, count, pixmap) form
        painter.drawPixmapFragments(*self._fragments.drawargs(), self._pixmap)  # type: ignore[call-arg]
