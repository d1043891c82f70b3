"""The latent map: the held-out set's encoded means as a scatter coloured by label.

Clicks anywhere (a point or empty space) arrive through the scene's ``sigMouseClicked`` and are
mapped with ``mapSceneToView``, as in pyqtgraph's crosshair example; hovering is throttled so
that decoding never runs more often than the timer allows.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal

TAB10 = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
         (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
HOVER_INTERVAL_MS = 30
POINT_SIZE = 5


def label_color(label: int):
    return TAB10[label] if 0 <= label < len(TAB10) else pg.intColor(label, hues=17).getRgb()[:3]


def label_brushes(labels):
    """One brush per point in its label's colour (one shared grey brush without labels)."""
    if labels is None:
        return pg.mkBrush(200, 200, 200, 160)
    table = {int(v): pg.mkBrush(*label_color(int(v)), 180) for v in np.unique(labels)}
    return [table[int(v)] for v in labels]


class LatentMap(pg.PlotWidget):
    """Signals carry map-plane coordinates (x, y) or the index of the held-out image clicked."""

    position_clicked = Signal(float, float)
    point_clicked = Signal(int)
    hovered = Signal(float, float)
    points_changed = Signal()  # new points were drawn (an epoch, a layout, a model)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setLabel("bottom", "z[0]")
        self.setLabel("left", "z[1]")
        # A GridItem, not the axes' own grid (showGrid): the axes replay their grid lines from a
        # QPicture on every repaint, 11-12 ms each here, which made a repaint of the map 25 ms
        # (1-2 ms with this item); every hover, stroke and pan step repaints it.
        grid = pg.GridItem(textPen=None)
        grid.setPen(pg.mkPen(255, 255, 255, 28))
        grid.setZValue(-20)
        self.addItem(grid, ignoreBounds=True)
        self.setAspectLocked(False)
        self.legend = self.addLegend(offset=(5, 5), labelTextSize="8pt", colCount=2)
        self._add_items()
        self._plane = np.zeros((0, 2), np.float32)
        self.labels: np.ndarray | None = None
        self.legend_values: tuple = ()  # the label of each legend row, top to bottom
        # Optional: an object whose ``points(labels, n)`` returns (mask of the points drawn or
        # None for all, per-point brushes or None for label colours); see map/point_style.py.
        self.style = None
        self._legend_labels: tuple = ()
        self._label_colours = None  # (indices, labels) of the points drawn in label colours
        self._hover_pos: tuple[float, float] | None = None
        self._hover_timer = QTimer(self)
        self._hover_timer.setSingleShot(True)
        self._hover_timer.setInterval(HOVER_INTERVAL_MS)
        self._hover_timer.timeout.connect(self._emit_hover)
        self.scene().sigMouseClicked.connect(self._on_click)
        self.scene().sigMouseMoved.connect(self._on_move)

    def _add_items(self) -> None:
        """The grid overlay under the scatter; the path, endpoints, cursor and crosshair over it."""
        self.grid_image = pg.ImageItem(axisOrder="row-major")
        self.grid_image.setZValue(-10)
        self.grid_image.setOpacity(0.85)
        self.grid_image.setVisible(False)
        self.scatter = pg.ScatterPlotItem(size=POINT_SIZE, pen=None, hoverable=False)
        self.path = pg.PlotDataItem([], [], pen=pg.mkPen((255, 255, 255), width=2))
        self.endpoints = pg.ScatterPlotItem(size=14, symbol="s", pen=pg.mkPen("w", width=2), brush=None)
        self.cursor = pg.ScatterPlotItem(size=12, symbol="+", pen=pg.mkPen((255, 255, 0), width=2))
        self.vline = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((255, 255, 0, 150)))
        self.hline = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen((255, 255, 0, 150)))
        self.vline.setVisible(False)
        self.hline.setVisible(False)
        self.coords = pg.TextItem(anchor=(0, 1), color=(255, 255, 0))
        self.addItem(self.grid_image, ignoreBounds=True)
        self.addItem(self.scatter)
        for item in (self.path, self.endpoints, self.cursor, self.vline, self.hline, self.coords):
            self.addItem(item, ignoreBounds=True)

    # -- data -----------------------------------------------------------------------------
    def set_points(self, plane: np.ndarray, labels: np.ndarray | None, names: list[str] | None,
                   keep_view: bool = False) -> None:
        """Draw N×2 plane coordinates; ``labels`` colour them, ``names`` fill the legend."""
        self._plane = np.asarray(plane, np.float32)
        self.labels = None if labels is None else np.asarray(labels)
        self.redraw_points()
        self.show_legend(labels, names)
        if not keep_view:
            # Follow the data (every epoch) until the user pans or zooms, which turns
            # pyqtgraph's auto-range off by itself.
            self.getViewBox().enableAutoRange()
        self.points_changed.emit()

    @property
    def plane(self) -> np.ndarray:
        """The N×2 map coordinates of all points (drawn or hidden)."""
        return self._plane

    def redraw_points(self) -> None:
        """Draw the points ``style`` lets through, in its colours (label colours by default);
        the scatter's ``data`` holds each point's index, so clicks name the right image."""
        n, labels = len(self._plane), self.labels
        shown, brushes = self.style.points(labels, n) if self.style is not None else (None, None)
        idx = np.arange(n) if shown is None else np.flatnonzero(shown)
        in_label_colours = brushes is None
        if in_label_colours and self._drawn_in_label_colours(idx, labels):
            self._move_points(idx)
            return
        if in_label_colours:
            brushes = label_brushes(labels)
        if isinstance(brushes, list):
            brushes = [brushes[i] for i in idx]
        self.scatter.setData(x=self._plane[idx, 0], y=self._plane[idx, 1], brush=brushes, data=idx)
        self._label_colours = (idx.copy(), labels.copy()) if in_label_colours and labels is not None else None

    def _drawn_in_label_colours(self, idx: np.ndarray, labels) -> bool:
        """Whether the scatter already holds exactly these points in these labels' colours."""
        if self._label_colours is None or labels is None:
            return False
        drawn_idx, drawn_labels = self._label_colours
        return np.array_equal(drawn_idx, idx) and np.array_equal(drawn_labels, labels)

    def _move_points(self, idx: np.ndarray) -> None:
        """New positions for the points drawn, nothing else changed: what ``setData`` would do
        without rebuilding each point's brush (15-25 ms for 2,000 points at every epoch)."""
        scatter = self.scatter
        scatter.data["x"] = self._plane[idx, 0]
        scatter.data["y"] = self._plane[idx, 1]
        scatter.prepareGeometryChange()
        scatter.informViewBoundsChanged()
        scatter.bounds = [None, None]
        scatter.invalidate()
        scatter.sigPlotChanged.emit(scatter)

    def show_legend(self, labels, names) -> None:
        """One row per class present, with its count; rebuilt only when those change. The
        window calls it as soon as a dataset arrives, so the first epoch's map does not pay for
        building it (about 40 ms) while training competes for the CPU."""
        values, counts = np.unique(labels, return_counts=True) if labels is not None else ((), ())
        present = tuple(int(v) for v in values)
        key = (present, tuple(names or ()), tuple(int(c) for c in counts))
        if key == self._legend_labels:
            return
        self._legend_labels = key
        self.legend_values = present
        self.legend.clear()
        for v, count in zip(present, counts):
            name = f"{names[v] if names and v < len(names) else v} ({count})"
            item = pg.ScatterPlotItem(size=8, pen=None, brush=pg.mkBrush(*label_color(v)))
            self.legend.addItem(item, name)

    def set_axis_names(self, x: str, y: str) -> None:
        self.setLabel("bottom", x)
        self.setLabel("left", y)

    def show_cursor(self, x: float, y: float) -> None:
        """Crosshair and coordinates where the user clicked."""
        self.cursor.setData([x], [y])
        self.vline.setPos(x)
        self.hline.setPos(y)
        self.vline.setVisible(True)
        self.hline.setVisible(True)
        self.coords.setText(f"({x:.2f}, {y:.2f})")
        self.coords.setPos(x, y)

    def show_path(self, plane_path: np.ndarray | None, ends: np.ndarray | None = None) -> None:
        if plane_path is None:
            self.path.setData([], [])
        else:
            self.path.setData(plane_path[:, 0], plane_path[:, 1])
        if ends is None or len(ends) == 0:
            self.endpoints.setData([], [])
        else:
            self.endpoints.setData(ends[:, 0], ends[:, 1])

    def show_grid(self, image: np.ndarray | None, rect: tuple[float, float, float, float] | None) -> None:
        """Overlay a decoded grid image on the map, covering ``rect`` = (x, y, w, h)."""
        if image is None:
            self.grid_image.setVisible(False)
            return
        self.grid_image.setImage(np.flipud(image.squeeze()), levels=(0, 1))
        self.grid_image.setRect(*rect)
        self.grid_image.setVisible(True)

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
        hits = self.scatter.pointsAt(pos)
        if len(hits):
            index = int(hits[0].data())
            x, y = self._plane[index]
            self.show_cursor(float(x), float(y))
            self.point_clicked.emit(index)
        else:
            self.show_cursor(pos.x(), pos.y())
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
