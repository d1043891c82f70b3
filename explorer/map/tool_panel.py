"""The side panel of map tools: every tool's name in view at once, its page below.

A tab bar with a dozen tools hid most of them behind scroll arrows. Here the names wrap in a grid
that always shows all of them (arrow keys move between them), a line under it says what the
chosen tool does, and the chosen tool's page fills the rest. Tools are added through the map
part's door (``map.context.ToolContext.add_tab``) with an order, not by whoever comes first.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QLabel, QListView, QListWidget, QListWidgetItem, QStackedWidget, QVBoxLayout, QWidget

ORDER_ROLE = Qt.ItemDataRole.UserRole


class ToolPanel(QWidget):
    """``currentChanged(index)`` when another tool is chosen (by the user or ``setCurrentWidget``)."""

    currentChanged = Signal(int)  # noqa: N815 (Qt's name, as QTabWidget's)
    MIN_HEIGHT = 260  # px: what the panel asks of the window at least

    def __init__(self, parent=None):
        super().__init__(parent)
        self.names = QListWidget()
        self.names.setFlow(QListView.Flow.LeftToRight)
        self.names.setWrapping(True)
        self.names.setResizeMode(QListView.ResizeMode.Adjust)
        self.names.setSpacing(2)  # the names, each in full, would otherwise touch
        self.names.setUniformItemSizes(False)  # uniform took the first name's width: "Interpolate" showed "Int…"
        self.names.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.names.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.names.setToolTip("The map's tools: click one, or move with the arrow keys")
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("font-style: italic;")  # palette(mid) grey on the window's grey was hard to read
        self.stack = QStackedWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget, stretch in ((self.names, 0), (self.hint, 0), (self.stack, 1)):
            layout.addWidget(widget, stretch)
        self._hints: list[str] = []
        self.names.currentRowChanged.connect(self._row_chosen)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """The tallest page's minimum (the Draw page asks ~600 px) would squeeze the loss plot
        above the map to a strip; a page that does not fit is cut at the bottom instead."""
        hint = super().minimumSizeHint()
        return QSize(hint.width(), min(hint.height(), self.MIN_HEIGHT))

    def add_tool(self, name: str, widget: QWidget, order: int, hint: str) -> None:
        """Place ``widget`` among the tools by ``order`` (lowest first), listed as ``name``."""
        row = sum(1 for i in range(self.names.count()) if self.names.item(i).data(ORDER_ROLE) <= order)
        item = QListWidgetItem(name.replace("&", ""))
        item.setData(ORDER_ROLE, order)
        item.setToolTip(hint)
        self.names.insertItem(row, item)
        self.stack.insertWidget(row, widget)
        self._hints.insert(row, hint)
        if self.names.currentRow() < 0:
            self.names.setCurrentRow(0)
        self._fit_names()

    def _fit_names(self) -> None:
        """As tall as the wrapped names need: all of them always in view."""
        self.names.doItemsLayout()
        rect = self.names.visualItemRect(self.names.item(self.names.count() - 1))
        self.names.setFixedHeight(max(rect.bottom() + 6, 24))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self.names.count():
            self._fit_names()

    def _row_chosen(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        self.hint.setText(self._hints[row])
        self.currentChanged.emit(row)

    # -- what QTabWidget offered ------------------------------------------------------------
    def count(self) -> int:
        return self.stack.count()

    def widget(self, index: int) -> QWidget | None:
        return self.stack.widget(index)

    def tool_name(self, index: int) -> str:
        return self.names.item(index).text()

    def currentWidget(self) -> QWidget | None:  # noqa: N802
        return self.stack.currentWidget()

    def currentIndex(self) -> int:  # noqa: N802
        return self.stack.currentIndex()

    def setCurrentWidget(self, widget: QWidget) -> None:  # noqa: N802
        self.setCurrentIndex(self.stack.indexOf(widget))

    def setCurrentIndex(self, index: int) -> None:  # noqa: N802
        if 0 <= index < self.count():
            self.names.setCurrentRow(index)

    def show_tool(self, name: str) -> None:
        """Choose the tool listed as ``name``."""
        for i in range(self.count()):
            if self.tool_name(i) == name:
                self.setCurrentIndex(i)
