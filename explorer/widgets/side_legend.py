"""A plot legend that sits beside the plot area, never over the data.

pyqtgraph's ``addLegend`` anchors the legend inside the ViewBox, where it hides the points or
curves under it (on the map, the dots of whichever classes land top left). ``SideLegend`` is the
same ``LegendItem`` (its rows, samples and click behaviour unchanged) placed in the PlotItem's own
grid, in a column right of the ViewBox: the ViewBox gives up the legend's width and keeps all
of its area for the data. The PlotItem's ``legend`` attribute points at it, so curves plotted
with a ``name`` still add their row by themselves.

Its size is its rows' size: where ``LegendItem.updateSize`` moves and resizes the item itself
(fine for a free-floating item), here the grid places it, so a change of rows only asks the grid
to lay out again. It has as many rows as fit beside the plot area (at most ``max_rows``) and
flows into more columns past that: a legend taller than the plot area would stretch the grid's
row and push the bottom axis out of the widget (seen on the short loss plot at 200 % scaling).
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSizePolicy

LEGEND_COLUMN = 3  # the PlotItem's grid: 0 left axis, 1 ViewBox, 2 right axis, then free columns
VIEW_ROW = 2  # the row of the ViewBox
GAP_PX = 6  # between the plot area's edge and the legend


class SideLegend(pg.LegendItem):
    """A ``LegendItem`` laid out right of ``plot``'s ViewBox, top-aligned."""

    def __init__(self, plot: pg.PlotWidget, max_rows: int = 12, **kwargs):
        self.max_rows = max_rows
        self._fitting = False
        super().__init__(offset=None, **kwargs)
        # Never taller than the plot area asks: a legend's height would stretch the ViewBox's row.
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.setMinimumHeight(0)
        item = plot.getPlotItem()
        item.layout.addItem(self, VIEW_ROW, LEGEND_COLUMN)
        item.layout.setAlignment(self, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        item.layout.setColumnSpacing(LEGEND_COLUMN - 1, GAP_PX)
        item.legend = self
        self.view = item.getViewBox()
        self.view.sigResized.connect(self._reflow)
        self.setVisible(False)  # no rows yet

    def updateSize(self) -> None:  # noqa: N802 (pyqtgraph's name)
        """As many columns as the rows that fit need; then let the plot's grid place it again."""
        if self._fitting:
            return
        self._fitting = True
        try:
            self.setColumnCount(max(1, math.ceil(len(self.items) / self.rows_that_fit())))
        finally:
            self._fitting = False
        self.layout.invalidate()
        self.setMaximumHeight(self.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize).height())
        self.updateGeometry()
        self.setVisible(bool(self.items))  # an empty legend takes no width from the plot

    def _reflow(self, *_) -> None:
        """The plot area changed size: other columns only if fewer or more rows fit now."""
        if self.items and math.ceil(len(self.items) / self.rows_that_fit()) != self.columnCount:
            self.updateSize()

    def rows_that_fit(self) -> int:
        """How many rows fit in the plot area's height (at most ``max_rows``, at least one)."""
        if not self.items:
            return self.max_rows
        sample, label = self.items[0]
        row = max(sample.boundingRect().height(), label.boundingRect().height(), 1.0)
        return max(1, min(self.max_rows, int(self.view.height() // row)))


def add_side_legend(plot: pg.PlotWidget, **kwargs) -> SideLegend:
    """``plot``'s legend, beside its plot area (``kwargs``: ``LegendItem``'s, e.g. ``labelTextSize``)."""
    return SideLegend(plot, **kwargs)
