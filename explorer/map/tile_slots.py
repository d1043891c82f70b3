"""The thumbnails' pixmap: slots that keep the tiles drawn lately, so a pan step uploads only the
tiles it newly shows.

Packing every shown tile into a new pixmap at each paint took about half of the thumbnails'
paint at 70,000 points (the ~700 shown tiles gathered, packed and converted to a pixmap, about
2.4 ms of every pan step). Here one pixmap of ``capacity`` slots lives as long as the tiles; a paint
asks for the slots of the tiles it draws, and only those not already in a slot are written,
into the slots used least recently. The tiles of one paint never evict each other: the
capacity is at least the most drawn in one paint. In the benchmark's pan, which also zooms
all the time, a step writes a median of 90 tiles: 0.5-0.6 ms for 700 slots with 90 new ones,
5-6 ms when all 700 are new, against 6-7 ms to pack 700 again (timed alternately in one process).
"""

from __future__ import annotations

import math

import numpy as np
from pyqtgraph.Qt.internals import PrimitiveArray
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter, QPixmap

from vae_explorer.trainer.maps.thumbnail_atlas import pack

ATLAS_PIXELS = 2048 * 2048  # the pixmap's size when that holds more tiles than one paint draws


def place(
    fragments: PrimitiveArray, centres: np.ndarray, cells: np.ndarray, columns: int, side: int, scale: float
) -> None:
    """Fill ``fragments`` (``QPainter.PixmapFragment``s) to draw source cells ``cells`` of a
    pixmap ``columns`` cells wide, each ``side`` pixels, centred at ``centres`` (k×2), ``scale``d:
    the thumbnails' paint and the slots' writes both draw this way."""
    fragments.resize(len(cells))
    array = fragments.ndarray()  # (centre x, y, source x, y, w, h, scale x, y, rotation, opacity)
    array[:, 0:2] = centres
    array[:, 2], array[:, 3] = (cells % columns) * side, (cells // columns) * side
    array[:, 4:6] = side
    array[:, 6:10] = [scale, scale, 0.0, 1.0]


class TileSlots:
    """``slots_of(indices)`` → each tile's slot in ``pixmap`` (``columns`` slots a row)."""

    def __init__(self, tiles: np.ndarray, most_drawn: int) -> None:
        self.tiles = tiles  # N×side×side×3 uint8
        self.side = side = tiles.shape[1]
        self.capacity = min(len(tiles), max(most_drawn, ATLAS_PIXELS // (side * side)))
        self.columns = max(1, math.ceil(math.sqrt(self.capacity)))
        rows = max(1, math.ceil(self.capacity / self.columns))
        self.pixmap = QPixmap(self.columns * side, rows * side)
        self.pixmap.fill(Qt.GlobalColor.black)
        self.slot_of = np.full(len(tiles), -1, np.int64)  # tile → its slot, -1: in none
        self.tile_in = np.full(self.capacity, -1, np.int64)  # slot → its tile, -1: empty
        self.last_used = np.zeros(self.capacity, np.int64)  # the request that last used each slot
        self.requests = 0
        self.written = 0  # tiles written into the pixmap so far (the figure the tests read)
        self._fragments = PrimitiveArray(QPainter.PixmapFragment, 10)

    def slots_of(self, idx: np.ndarray) -> np.ndarray:
        """The slots of tiles ``idx`` (distinct, at most ``capacity``), writing those not in one."""
        self.requests += 1
        slots = self.slot_of[idx]
        self.last_used[slots[slots >= 0]] = self.requests  # kept: not evicted by this request
        missing = idx[slots < 0]
        if len(missing):
            self._take_slots(missing)
            slots = self.slot_of[idx]
        self.last_used[slots] = self.requests
        return slots

    def _take_slots(self, missing: np.ndarray) -> None:
        """Put tiles ``missing`` into the least recently used slots, and draw them there."""
        free = np.argsort(self.last_used, kind="stable")[: len(missing)]
        evicted = self.tile_in[free]
        self.slot_of[evicted[evicted >= 0]] = -1
        self.tile_in[free], self.slot_of[missing] = missing, free
        self._write(free, missing)

    def _write(self, slots: np.ndarray, idx: np.ndarray) -> None:
        """Tiles ``idx`` packed into one pixmap, then put into their slots by one
        ``drawPixmapFragments`` call (a call per tile cost 1.5 times a whole repack for 700)."""
        strip, cols = pack(self.tiles[idx])
        h, w = strip.shape[:2]
        source = QPixmap.fromImage(QImage(strip.data, w, h, 3 * w, QImage.Format.Format_RGB888))
        side = self.side
        centres = np.c_[slots % self.columns, slots // self.columns] * side + side / 2
        place(self._fragments, centres, np.arange(len(idx)), cols, side, 1.0)
        painter = QPainter(self.pixmap)
        painter.drawPixmapFragments(*self._fragments.drawargs(), source)  # type: ignore[call-arg]
        painter.end()
        self.written += len(idx)
