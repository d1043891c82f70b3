"""Two side-panel tabs about the held-out images themselves: the worst reconstructed ones, and
the gallery of a selection (each image beside its reconstruction).

Views only: they show lists and emit what the user asked for; their tools fill them.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vae_explorer.explorer.widgets.qimages import to_pixmap

INDEX_ROLE = Qt.ItemDataRole.UserRole


def _list(icon_mode: bool) -> QListWidget:
    view = QListWidget()
    if icon_mode:
        view.setViewMode(QListView.ViewMode.IconMode)
        view.setResizeMode(QListView.ResizeMode.Adjust)
        view.setMovement(QListView.Movement.Static)
        view.setWrapping(True)
        view.setSpacing(4)
        view.setUniformItemSizes(True)
    return view


def _item(image, scale: int, text: str, index: int) -> QListWidgetItem:
    item = QListWidgetItem(to_pixmap(image, scale), text)
    item.setData(INDEX_ROLE, int(index))
    item.setToolTip(text)
    return item


class WorstList(QWidget):
    """The N held-out images the model reconstructs worst; a click jumps to one on the map."""

    chosen = Signal(int)  # the index of the held-out image picked

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.header = QLabel("Worst reconstructed held-out images (reconstruction loss of the mean code)")
        self.header.setWordWrap(True)
        self.list = _list(icon_mode=False)
        self.list.setIconSize(QSize(28, 28))
        self.list.setToolTip("Click (or Enter) to centre the map on the image and select it")
        layout.addWidget(self.header)
        layout.addWidget(self.list, 1)
        self.list.itemClicked.connect(self._picked)
        self.list.itemActivated.connect(self._picked)

    def show_entries(self, entries) -> None:
        """``entries``: (index, image, text) from worst down; empty while nothing is known."""
        self.list.clear()
        for index, image, text in entries:
            self.list.addItem(_item(image, 1, text, index))

    def indices(self) -> list[int]:
        return [self.list.item(i).data(INDEX_ROLE) for i in range(self.list.count())]

    def _picked(self, item: QListWidgetItem) -> None:
        self.chosen.emit(int(item.data(INDEX_ROLE)))


class SelectionGallery(QWidget):
    """The selected images, each beside its reconstruction, in a scrollable grid with labels."""

    export_requested = Signal()
    export_list_requested = Signal()
    clear_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.header = QLabel("Shift+drag a rectangle or Ctrl+drag a lasso on the map to select images.")
        self.header.setWordWrap(True)
        self.export = QPushButton("E&xport sheet…")
        self.export.setToolTip("Write every selected image beside its reconstruction as one PNG")
        self.export_list = QPushButton("Export &list (CSV)…")
        self.export_list.setToolTip(
            "Write the selected images' set, index, label and file name as CSV: a list to relabel or remove them by"
        )
        self.clear = QPushButton("Clear (Esc)")
        self.export.clicked.connect(self.export_requested)
        self.export_list.clicked.connect(self.export_list_requested)
        self.clear.clicked.connect(self.clear_requested)
        for button in (self.export, self.export_list, self.clear):
            row.addWidget(button)
        layout.addWidget(self.header)
        layout.addLayout(row)
        self.grid = _list(icon_mode=True)
        self.grid.setIconSize(QSize(114, 56))
        layout.addWidget(self.grid, 1)
        self.show_pairs([], 0)

    def show_pairs(self, entries, total: int) -> None:
        """``entries``: (index, pair image, caption) for the first selected; ``total`` selected in all."""
        self.grid.clear()
        for index, pair, caption in entries:
            self.grid.addItem(_item(pair, 2, caption, index))
        shown = f" (showing the first {len(entries)}; the sheet has all)" if len(entries) < total else ""
        self.header.setText(
            f"{total} selected{shown}"
            if total
            else "Shift+drag a rectangle or Ctrl+drag a lasso on the map to select images."
        )
        for button in (self.export, self.export_list, self.clear):
            button.setEnabled(total > 0)

    def indices(self) -> list[int]:
        return [self.grid.item(i).data(INDEX_ROLE) for i in range(self.grid.count())]
