"""The latent map: the encoded means of the chosen images as dots coloured by label (``dots``).

A view only: the map part (``map.controller``) decides what is drawn and in which colours and
calls ``draw_points``; tools add their own items (paths, overlays, markers) through the map
part's door. Clicks anywhere (a point or empty space) arrive through the scene's
``sigMouseClicked`` and are mapped with ``mapSceneToView``, as in pyqtgraph's crosshair example;
hovering is throttled so that decoding never runs more often than the timer allows.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal

from vae_explorer.explorer.map.dots import DotsItem
from vae_explorer.explorer.map.palettes import DEFAULT_PALETTE, label_color, label_pixels
from vae_explorer.explorer.map.tick_grid import TickGrid
from vae_explorer.explorer.widgets.side_legend import add_side_legend

HOVER_INTERVAL_MS = 30
CLICK_RADIUS_PX = 4  # a click this near a dot (a 5-px disc) picks it


def hide_while_empty(marker: pg.ScatterPlotItem) -> pg.ScatterPlotItem:
    """Make a marker fully transparent while it holds no point: Qt then neither paints it nor asks
    its bounds when it looks for the items under the mouse. Opacity, not visibility, so the tools'
    own showing and hiding is left alone; five empty markers cost 1.9 ms a click and 1.3 a paint."""

    def follow(_=None) -> None:
        marker.setOpacity(1.0 if len(marker.data) else 0.0)

    marker.sigPlotChanged.connect(follow)
    follow()
    return marker


class LatentMap(pg.PlotWidget):
    """Signals carry map-plane coordinates (x, y) or the index of the held-out image clicked."""

    position_clicked = Signal(float, float)
    point_clicked = Signal(int)
    hovered = Signal(float, float)
    points_changed = Signal()  # new points were drawn (an epoch, a layout, a model, a filter)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._axis_names = ("", "")
        self.set_axis_names("z[0]", "z[1]")
        # Not the axes' own grid (showGrid, 11-12 ms a repaint) nor pyqtgraph's GridItem (3.8-5.3 ms):
        # every hover, stroke and pan step repaints it (map.tick_grid)
        self.addItem(TickGrid(self.getAxis("bottom"), self.getAxis("left")), ignoreBounds=True)
        self.setAspectLocked(False)
        self.legend = add_side_legend(self, labelTextSize="8pt", max_rows=12)  # beside the map, not over it
        self._add_items()
        self._plane = np.zeros((0, 2), np.float32)
        self.labels: np.ndarray | None = None
        self.legend_values: tuple = ()  # the label of each legend row, top to bottom
        self._legend_key: tuple = ()
        self.palette = DEFAULT_PALETTE  # the class colours (map.palettes)
        self._hover_pos: tuple[float, float] | None = None
        self._hover_timer = QTimer(self)
        self._hover_timer.setSingleShot(True)
        self._hover_timer.setInterval(HOVER_INTERVAL_MS)
        self._hover_timer.timeout.connect(self._emit_hover)
        self.scene().sigMouseClicked.connect(self._on_click)
        self.scene().sigMouseMoved.connect(self._on_move)

    def _add_items(self) -> None:
        """The dots; the cursor, crosshair and coordinates of the current point over them."""
        self.dots = DotsItem()
        self.cursor = hide_while_empty(pg.ScatterPlotItem(size=12, symbol="+", pen=pg.mkPen((255, 255, 0), width=2)))
        self.vline = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((255, 255, 0, 150)))
        self.hline = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen((255, 255, 0, 150)))
        self.coords = pg.TextItem(anchor=(0, 1), color=(255, 255, 0))
        self.addItem(self.dots)
        for item in (self.cursor, self.vline, self.hline, self.coords):
            item.setVisible(item is self.cursor)
            self.addItem(item, ignoreBounds=True)

    # -- data -----------------------------------------------------------------------------
    def set_palette(self, name: str) -> None:
        """Class colours from ``name`` from the next drawing on (legend included)."""
        if name != self.palette:
            self.palette, self._legend_key = name, ()

    @property
    def plane(self) -> np.ndarray:
        """The N×2 map coordinates of all points (drawn or hidden)."""
        return self._plane

    def draw_points(
        self,
        plane: np.ndarray,
        labels: np.ndarray | None,
        shown: np.ndarray | None = None,
        colours: np.ndarray | None = None,
        keep_view: bool = True,
    ) -> None:
        """Draw the points ``shown`` (indices; None: all) of N×2 ``plane`` in ``colours`` (N uint32
        ARGB, ``dots.argb``; None: their labels' colours). Point i is held-out image (or map
        point) i: clicks and hovers name it by that index."""
        self._plane = np.asarray(plane, np.float32)
        self.labels = None if labels is None else np.asarray(labels)
        idx = np.arange(len(self._plane)) if shown is None else np.asarray(shown, np.int64)
        if colours is None:
            colours = label_pixels(self.labels, len(self._plane), self.palette)
        self.dots.set_points(self._plane, idx, colours)
        if not keep_view:
            # Follow the data (every epoch) until the user pans or zooms, which turns
            # pyqtgraph's auto-range off by itself.
            self.getViewBox().enableAutoRange()
        self.points_changed.emit()

    def drawn(self) -> np.ndarray:
        """The indices of the points drawn."""
        return self.dots.shown

    def point_at(self, x: float, y: float, radius_px: float = CLICK_RADIUS_PX) -> int | None:
        """The drawn point under view position (x, y), within ``radius_px`` screen pixels."""
        size = self.getViewBox().viewPixelSize()
        return self.dots.point_at(x, y, (float(size[0]), float(size[1])), radius_px)

    def show_legend(self, labels, names) -> None:
        """One row per class present, with its count; rebuilt only when those change (about 40 ms:
        the window builds it as soon as a dataset arrives, not inside the first epoch)."""
        values, counts = np.unique(labels, return_counts=True) if labels is not None else ((), ())
        present = tuple(int(v) for v in values)
        key = (present, tuple(names or ()), tuple(int(c) for c in counts))
        if key == self._legend_key:
            return
        self._legend_key, self.legend_values = key, present
        self.legend.clear()
        for v, count in zip(present, counts, strict=True):
            name = f"{names[v] if names and v < len(names) else v} ({count})"
            self.legend.addItem(
                pg.ScatterPlotItem(size=8, pen=None, brush=pg.mkBrush(*label_color(v, self.palette))), name
            )

    def set_axis_names(self, x: str, y: str) -> None:
        """Only when they change: setting an axis label lays the axis out again (11 ms a redraw)."""
        if (x, y) == self._axis_names:
            return
        self._axis_names = (x, y)
        self.setLabel("bottom", x)
        self.setLabel("left", y)

    def show_cursor(self, point: tuple[float, float] | None) -> None:
        """Crosshair and coordinates at the current point (None: none)."""
        for item in (self.cursor, self.vline, self.hline, self.coords):
            item.setVisible(point is not None)
        if point is None:
            return
        x, y = point
        self.cursor.setData([x], [y])
        self.vline.setPos(x)
        self.hline.setPos(y)
        self.coords.setText(f"({x:.2f}, {y:.2f})")
        self.coords.setPos(x, y)

    def visible_region(self) -> tuple[tuple[float, float], tuple[float, float]]:
        (x0, x1), (y0, y1) = self.getViewBox().viewRange()
        return (x0, x1), (y0, y1)

    # -- mouse ----------------------------------------------------------------------------
    def _view_pos(self, scene_pos) -> QPointF | None:
        vb = self.getViewBox()
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        return vb.mapSceneToView(scene_pos)

    def _on_click(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        pos = self._view_pos(event.scenePos())
        if pos is None or self.legend.sceneBoundingRect().contains(event.scenePos()):
            return  # outside the plot, or on the legend (map/legend_filter.py handles those)
        event.accept()
        hit = self.point_at(pos.x(), pos.y())
        if hit is not None:
            self.point_clicked.emit(hit)
        else:
            self.position_clicked.emit(pos.x(), pos.y())

    def _on_move(self, scene_pos) -> None:
        pos = self._view_pos(scene_pos)
        if pos is None:
            return
        self._hover_pos = (pos.x(), pos.y())
        if not self._hover_timer.isActive():
            self._hover_timer.start()

    def _emit_hover(self) -> None:
        if self._hover_pos is not None:
            self.hovered.emit(*self._hover_pos)
