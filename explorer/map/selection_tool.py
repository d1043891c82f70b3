"""Selecting points on the map: Shift+drag a rectangle, Ctrl+drag (or Alt+drag) a lasso, or a
plain drag in the toolbar's rectangle or lasso mode. Escape clears the selection.

An event filter on the map's viewport takes the drag before pyqtgraph's view would pan with
it, draws the band as it grows, and on release asks ``trainer.maps.selection`` which of the drawn
points (hidden classes are not drawn) are inside. The selected points are ringed on the map.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut

from vae_explorer.explorer.map.dots import RingsItem
from vae_explorer.explorer.map.state import ViewState
from vae_explorer.trainer.maps.selection import points_in_polygon, points_in_rect

Mod = Qt.KeyboardModifier


class SelectionTool(QObject):
    def __init__(self, latent_map, state: ViewState, parent: QObject):
        super().__init__(parent)
        self.map, self.state = latent_map, state
        self.band = pg.PlotDataItem([], [], pen=pg.mkPen((255, 255, 255), width=1, style=Qt.PenStyle.DashLine))
        self.rings = RingsItem()
        self.rings.setZValue(6)  # over the thumbnails
        for item in (self.band, self.rings):
            latent_map.addItem(item, ignoreBounds=True)
        self._kind: str | None = None  # "rect" or "lasso" while a drag lasts
        self._points: list[tuple[float, float]] = []
        latent_map.viewport().installEventFilter(self)
        self.escape = QShortcut(
            QKeySequence(Qt.Key.Key_Escape),
            latent_map,
            self.clear,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        state.changed.connect(lambda names: self.show_rings() if "selection" in names else None)
        latent_map.points_changed.connect(self.show_rings)

    def clear(self) -> None:
        self.state.update(("selected_by",), selection=np.zeros(0, np.int64), selected_by="")

    def gesture(self, event) -> str | None:
        """What this press starts: a rectangle, a lasso, or nothing (the view pans)."""
        mods = event.modifiers()
        if mods & Mod.ShiftModifier:
            return "rect"
        if mods & (Mod.ControlModifier | Mod.AltModifier):
            return "lasso"
        return self.state.drag_mode if self.state.drag_mode in ("rect", "lasso") else None

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self._kind = self.gesture(event)
            if self._kind is not None:
                self.map.setFocus()
                self._points = [self._to_view(event)]
            return self._kind is not None
        if self._kind is None:
            return False
        if kind == QEvent.Type.MouseMove:
            self._extend(self._to_view(event))
            return True
        if kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            self._extend(self._to_view(event))
            self._finish()
            return True
        return False

    def _to_view(self, event) -> tuple[float, float]:
        pos = self.map.getViewBox().mapSceneToView(self.map.mapToScene(event.position().toPoint()))
        return pos.x(), pos.y()

    def _extend(self, point) -> None:
        if self._kind == "rect":
            self._points = [self._points[0], point]
        else:
            self._points.append(point)
        outline = self.outline()
        self.band.setData(outline[:, 0], outline[:, 1])

    def outline(self) -> np.ndarray:
        """The band as a closed polyline in map coordinates."""
        pts = np.asarray(self._points, np.float64)
        if self._kind == "rect":
            (xa, ya), (xb, yb) = pts[0], pts[-1]
            pts = np.array([[xa, ya], [xb, ya], [xb, yb], [xa, yb]])
        return np.vstack([pts, pts[:1]])

    def _finish(self) -> None:
        drawn = self.drawn()
        plane = self.map.plane[drawn]
        if self._kind == "rect":
            inside = points_in_rect(plane, self._points[0], self._points[-1])
        else:
            inside = points_in_polygon(plane, self._points)
        kind, self._kind, self._points = self._kind, None, []
        self.band.setData([], [])
        self.state.update(("selected_by",), selection=np.sort(drawn[inside]), selected_by=kind)  # undo names it

    def drawn(self) -> np.ndarray:
        return self.map.drawn()

    def show_rings(self) -> None:
        sel = np.asarray(self.state.selection, np.int64)
        sel = sel[sel < len(self.map.plane)]
        self.rings.set_rings(self.map.plane, sel)
