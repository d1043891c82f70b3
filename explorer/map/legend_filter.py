"""The map's legend as a filter: click a class to hide or show its points, double-click it to
show only that class (double-click it again to show all).

A click anywhere on a legend row (its symbol or its name) counts. The rows' symbols show an
eye struck through for a hidden class (pyqtgraph's legend draws that for an invisible item),
kept in step with ``ViewState.hidden`` after every change and every rebuilt legend.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication

from vae_explorer.explorer.map.state import ViewState


class LegendFilter(QObject):
    def __init__(self, latent_map, state: ViewState, parent: QObject):
        super().__init__(parent)
        self.map, self.state = latent_map, state
        self._last_click: tuple[int | None, float] = (None, 0.0)  # (row, time) of the last click on the legend
        self._before: frozenset = frozenset()  # the hidden classes before the last single click
        latent_map.scene().sigMouseClicked.connect(self._clicked)
        latent_map.viewport().installEventFilter(self)  # a real double click never reaches sigMouseClicked
        latent_map.points_changed.connect(self.sync)
        state.changed.connect(lambda names: self.sync() if "hidden" in names else None)
        latent_map.legend.setToolTip("Click a class to hide or show it; double-click to show only that class")

    def row_at(self, scene_pos) -> int | None:
        """The label of the legend row under ``scene_pos``, or None."""
        for value, (sample, label) in zip(self.map.legend_values, self.map.legend.items, strict=True):
            row = sample.sceneBoundingRect().united(label.sceneBoundingRect())
            row.setRight(row.right() + 4)
            if row.contains(scene_pos):
                return value
        return None

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        value = self.row_at(event.scenePos())
        if value is None:
            self._last_click = (None, 0.0)
            return
        event.accept()
        if self._second_click(value, event.double()):  # judged on what was hidden before its first click
            self.state.show_only(value, self.map.legend_values, before=self._before)
        else:
            self._before = self.state.hidden
            self.state.toggle_class(value)
        self.sync()  # also undoes the legend symbol's own toggle on a click on it

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        """Qt's double-click event on a legend row: the row's class alone (or all again)."""
        if event.type() != QEvent.Type.MouseButtonDblClick or event.button() != Qt.MouseButton.LeftButton:
            return False
        value = self.row_at(self.map.mapToScene(event.position().toPoint()))
        if value is None:
            return False
        self.state.show_only(value, self.map.legend_values, before=self._before)
        self._last_click = (None, 0.0)
        self.sync()
        return True

    def _second_click(self, value: int, double: bool) -> bool:
        """A double click on a row: pyqtgraph's double-click event, or a second click on the same
        row within the system's double-click interval (what arrives when the first press was
        taken by the legend's own symbol)."""
        now = time.monotonic()
        last, self._last_click = self._last_click, (value, now)
        interval = QApplication.doubleClickInterval() / 1000
        second = double or (last[0] == value and now - last[1] <= interval)
        if second:
            self._last_click = (None, 0.0)  # a third click starts afresh
        return second

    def sync(self) -> None:
        """Each row's symbol visible exactly when its class is shown."""
        for value, (sample, _) in zip(self.map.legend_values, self.map.legend.items, strict=True):
            sample.item.setVisible(value not in self.state.hidden)
            sample.update()
