"""The map's images drawn at their points, in a thin frame of their label's colour: when the
user asks (the toggle) and by themselves when zoomed in far enough, at every zoom level.

Level of detail: the view is cut into cells the size of a thumbnail on screen, and each cell
shows one image, the one first in a fixed random order among its points: zoomed out, a
representative of each region; zoomed in until each point has its own cell, every image; never
a pile of overlapping thumbnails. The tiles of all images are made once, in the background, when
thumbnails are first needed (``trainer.maps.thumbnail_atlas``: 70,000 in about a second); the
ones shown lately are kept in the slots of one pixmap (``map.tile_slots``) and each paint draws
its thumbnails from there with a single ``QPainter.drawPixmapFragments`` call, as pyqtgraph's
own scatter draws its symbols. The cells are fixed to the plane, not to the screen: a pan moves
them with the points, so it keeps each cell's image and uploads only those coming into view. A
thumbnail's side on screen is the typical spacing of neighbouring points at the current zoom,
held between ``MIN_PX`` and ``MAX_PX`` pixels.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt.internals import PrimitiveArray
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter

from vae_explorer.explorer.map.dots import device_xy
from vae_explorer.explorer.map.tile_slots import TileSlots, place
from vae_explorer.trainer.maps.thumbnail_atlas import all_tiles, neighbour_spacing, tile_side

AUTO_MIN_PX = 12  # automatic: on once a thumbnail at its natural size would be this many pixels
AUTO_MAX_VISIBLE = 300  # ... or once no more than this many points are in view
MIN_PX, MAX_PX = 16, 96  # the side of a drawn thumbnail on screen
MAX_DRAWN = 2500  # the most drawn in one paint


def representatives(px: np.ndarray, cell: float) -> np.ndarray:
    """Of points at device pixels ``px``, listed in priority order, the positions of the first
    in each ``cell``×``cell`` square: at most one thumbnail per cell. The squares' keys are
    small integers, so a stable sort of them is a radix sort (a general sort of 70,000 keys
    took 2–3 ms of every pan step)."""
    if not len(px):
        return np.zeros(0, np.int64)
    cells = np.floor(px / max(cell, 1.0)).astype(np.int64)
    cells -= cells.min(axis=0)
    key = cells[:, 0] * (int(cells[:, 1].max()) + 1) + cells[:, 1]
    key = key.astype(np.uint16) if key.max() < 2**16 else key
    order = np.argsort(key, kind="stable")  # within one cell, priority order is kept
    sorted_key = key[order]
    first = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
    return np.sort(order[first])


class ThumbnailLayer(pg.GraphicsObject):
    """Add to the map with ``ignoreBounds=True``; feed it images, points and a mode."""

    def __init__(self, run_in_background: Callable[..., None] | None = None):
        """``run_in_background(fn, on_done)`` makes the tiles off the GUI thread (the window's jobs)."""
        super().__init__()
        self.setZValue(5)  # over the dots
        self._run = run_in_background or (lambda fn, on_done: on_done(fn()))
        self._source: tuple | None = None  # (n, images_of, frame colours) the tiles are made from
        self._tiles: TileSlots | None = None  # the tiles (N×side×side×3) in their pixmap, once made
        self._making = False
        self._side = 1
        self._plane = np.zeros((0, 2), np.float64)
        self._shown = np.zeros(0, np.int64)
        self._priority = np.zeros(0, np.int64)  # every image, in a fixed random order
        self._ranked = np.zeros(0, np.int64)  # the drawable points in that order ...
        self._ranked_xy = np.zeros((2, 0))  # ... and their x and y (rows): no sort per paint
        self._spacing: tuple[float, float] | None = (1.0, 1.0)  # None: measured at the next paint
        self.forced, self.auto = False, True
        self._fragments = PrimitiveArray(QPainter.PixmapFragment, 10)
        self.drawn = np.zeros(0, np.int64)  # the indices the last paint drew
        self.drawn_px = np.zeros((0, 2))  # ... their centres in device pixels
        self.side_px = 0.0  # ... and their side on screen
        self._version = 0  # counts changes of points, images and mode: the kept choice is stale
        self._chosen: tuple | None = None  # (view key, indices, centres) of the last choice

    def set_images(self, n: int, images_of: Callable[[np.ndarray], np.ndarray] | None, frame_rgb, shape=None) -> None:
        """The thumbnails' source: ``n`` images, ``images_of(rows)`` → their pixels (N×H×W×C in
        [0, 1]), frame colours (N×3 uint8), the image shape; ``images_of`` None: none. The tiles
        are made when thumbnails are first drawn, in the background, not here."""
        self._tiles, self._making = None, False
        self._source = None if images_of is None or not n else (n, images_of, np.asarray(frame_rgb), shape)
        self._priority = np.random.default_rng(0).permutation(max(n, 0))
        self._rerank()

    def _rerank(self) -> None:
        """The drawable points in priority order, once for every paint until they change (a
        filter of the fixed order, not a sort: the points change at every epoch's end)."""
        drawable = np.zeros(len(self._priority), bool)
        drawable[self._shown[self._shown < len(drawable)]] = True
        self._ranked = self._priority[drawable[self._priority]]
        self._ranked_xy = np.ascontiguousarray(self._plane[self._ranked].T)
        self._changed()

    def _changed(self) -> None:
        self._version += 1
        self.update()

    def _tiles_ready(self) -> bool:
        """Whether the tiles exist; if not, start making them (once)."""
        if self._tiles is not None or self._source is None:
            return self._tiles is not None
        if not self._making:
            self._making = True
            n, images_of, frames, shape = source = self._source
            side = self._side = tile_side(shape or images_of(np.zeros(1, np.int64)).shape[1:])
            self._run(lambda: all_tiles(n, images_of, frames, side), lambda tiles: self._made(source, tiles))
        return False

    def _made(self, source: tuple, tiles: np.ndarray) -> None:
        if source is self._source:
            self._tiles, self._making = TileSlots(tiles, MAX_DRAWN), False
            self._changed()

    def set_points(self, plane: np.ndarray, shown: np.ndarray) -> None:
        """Where each image sits (N×2) and which of them may be drawn (indices)."""
        self._plane = np.asarray(plane, np.float64)
        self._shown = np.asarray(shown, np.int64)
        self._spacing = None  # a model change sets the points several times before one paint
        self._rerank()

    def set_mode(self, forced: bool, auto: bool) -> None:
        self.forced, self.auto = bool(forced), bool(auto)
        self._changed()

    # -- QGraphicsItem --------------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        view = self.viewRect()  # thumbnails are drawn only in view: the view is the bound
        return QRectF() if view is None else view

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph's hook)
        super().viewTransformChanged()  # forgets the cached view rectangle
        self.prepareGeometryChange()
        self.update()

    def in_view(self) -> np.ndarray:
        """The drawable points inside the visible rectangle, in priority order."""
        view = self.viewRect()
        if view is None or not len(self._ranked):
            return np.zeros(0, np.int64)
        x, y = self._ranked_xy
        inside = (x >= view.left()) & (x <= view.right()) & (y >= view.top()) & (y <= view.bottom())
        return self._ranked[inside]

    def natural_px(self, transform) -> float:
        """A thumbnail's natural side in pixels at this zoom: the neighbour spacing on screen."""
        if self._spacing is None:
            self._spacing = neighbour_spacing(self._plane[self._shown]) if len(self._shown) else (1.0, 1.0)
        return min(self._spacing[0] * abs(transform.m11()), self._spacing[1] * abs(transform.m22()))

    def active(self, visible: int, natural: float) -> bool:
        """Drawn: forced on, or automatic and zoomed in far enough."""
        return self.forced or (self.auto and (natural >= AUTO_MIN_PX or visible <= AUTO_MAX_VISIBLE))

    def paint(self, painter: QPainter, *args) -> None:
        """Draws the thumbnails chosen for this view; they are chosen again only when the view,
        the points, the images or the mode changed (a click or a hover card repaints the view:
        choosing among 70,000 points costs more than drawing the few hundred chosen)."""
        t, view = painter.transform(), self.viewRect()
        key = (self._version, t.m11(), t.m12(), t.m21(), t.m22(), t.dx(), t.dy(), view)
        if self._chosen is None or self._chosen[0] != key:
            self._chosen = (key, *self._choose(t))
        _, self.drawn, self.drawn_px = self._chosen
        if len(self.drawn):
            self._draw(painter, self.drawn, self.drawn_px)

    def _choose(self, transform) -> tuple[np.ndarray, np.ndarray]:
        """(indices, device-pixel centres) of the thumbnails to draw through ``transform``: one
        per cell of the thumbnails' side, the points' fixed random rank deciding."""
        if self._source is None or not (self.forced or self.auto):
            return np.zeros(0, np.int64), np.zeros((0, 2))
        idx = self.in_view()
        natural = self.natural_px(transform) if len(idx) else 0.0
        drawing = natural and self.active(len(idx), natural)
        if not drawing or not self._tiles_ready():
            return np.zeros(0, np.int64), np.zeros((0, 2))
        px = np.column_stack(device_xy(transform, self._plane[idx, 0], self._plane[idx, 1]))
        self.side_px = float(np.clip(natural, MIN_PX, MAX_PX))
        keep = representatives(px - (transform.dx(), transform.dy()), self.side_px)[:MAX_DRAWN]  # cells on the plane
        return idx[keep], px[keep]

    def _draw(self, painter: QPainter, idx: np.ndarray, px: np.ndarray) -> None:
        """All thumbnails in one call, from their slots in the kept pixmap."""
        assert self._tiles is not None
        slots = self._tiles.slots_of(idx)
        place(self._fragments, px, slots, self._tiles.columns, self._side, self.side_px / self._side)
        painter.resetTransform()
        # drawargs() is (pointer, count) or ([fragments]): PySide's stubs know only the (pointer, count, pixmap) form
        painter.drawPixmapFragments(*self._fragments.drawargs(), self._tiles.pixmap)  # type: ignore[call-arg]
