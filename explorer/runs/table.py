"""The Runs panel: a sortable table of the app's run records and what can be done with them.

A view of ``RunsState``: it shows the records (the same cells as ``vae-explorer runs``), tells
the state which rows are selected, and asks the controller to open, compare or delete;
it changes no file itself.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from vae_explorer.trainer.files.runs_table import row

HEADERS = (
    "date (UTC)",
    "model",
    "status",
    "dataset",
    "preset",
    "latent",
    "β",
    "epochs",
    "active",
    "held-out −ELBO",
    "IW NLL",
    "time",
)
PATH_ROLE = Qt.ItemDataRole.UserRole + 1  # the record's file, on the first cell of each row
SORT_ROLE = Qt.ItemDataRole.UserRole + 2


def sort_keys(record) -> list:
    """Per column what sorting compares: numbers for numbers, a missing one last."""

    def number(value):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return float(value) if ok else math.inf

    c, iw = record.config, record.latest_likelihood() or {}
    text = row(record)
    return text[:5] + [
        number(c.get("latent_dim")),
        number(c.get("beta")),
        float(len(record.history)),
        number(record.final.get("active_units")),
        number(record.final.get("val_neg_elbo")),
        number(iw.get("iw_nll")),
        number(record.wall_time),
    ]


class RunsPanel(QWidget):
    """Signals carry record paths; ``selected`` lists them in table order."""

    selected = Signal(tuple)
    open_requested = Signal(str)
    compare_requested = Signal()
    delete_requested = Signal()

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.model = QStandardItemModel(0, len(HEADERS), self)
        self.model.setHorizontalHeaderLabels(list(HEADERS))
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = self._table()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(self._buttons())
        state.changed.connect(self._state_changed)
        self._fill()

    def _table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.proxy)
        table.setSortingEnabled(True)
        table.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # newest first
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.setToolTip(
            "Select runs to overlay their curves on the loss plot (Ctrl/Shift-click for "
            "several); double-click a run to open its model"
        )
        table.selectionModel().selectionChanged.connect(self._selection_changed)
        table.doubleClicked.connect(lambda index: self.open_requested.emit(self._path_at(index.row())))
        return table

    def _buttons(self) -> QHBoxLayout:
        row_layout = QHBoxLayout()
        self.open_button = QPushButton("&Open model")
        self.open_button.setToolTip("Open the selected run's model file (asks first if the current model is unsaved)")
        self.compare_button = QPushButton("Com&pare two…")
        self.compare_button.setToolTip("Two selected runs' models side by side, their maps linked by hover")
        self.delete_button = QPushButton("&Delete record…")
        self.delete_button.setToolTip("Delete the selected runs' records (their model files are kept)")
        self.open_button.clicked.connect(lambda: self.open_requested.emit(self.state.selected[0]))
        self.compare_button.clicked.connect(self.compare_requested)
        self.delete_button.clicked.connect(self.delete_requested)
        self.note = QLabel("")
        for widget in (self.open_button, self.compare_button, self.delete_button):
            row_layout.addWidget(widget)
        row_layout.addWidget(self.note, 1)
        return row_layout

    # -- state → view ---------------------------------------------------------------------
    def _state_changed(self, names) -> None:
        if names & {"records", "warnings"}:
            self._fill()
        self._enable()

    def _fill(self) -> None:
        """Rebuild the rows, keeping the selection (by record) and the sort order."""
        keep = set(self.state.selected)
        self.table.selectionModel().blockSignals(True)
        self.model.removeRows(0, self.model.rowCount())
        for record in self.state.records:
            self.model.appendRow(self._items(record))
        self.table.selectionModel().blockSignals(False)
        self._select(keep)
        warnings = self.state.warnings
        self.note.setText(f"{len(warnings)} unreadable record(s) skipped" if warnings else "")
        self.note.setToolTip("\n".join(warnings))
        self._enable()

    def _items(self, record) -> list[QStandardItem]:
        items = []
        for i, (text, key) in enumerate(zip(row(record), sort_keys(record), strict=True)):
            item = QStandardItem(text)
            item.setData(key, SORT_ROLE)
            if i >= 5:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            items.append(item)
        items[0].setData(record.path, PATH_ROLE)
        if not record.model_path:
            items[1].setText("(not saved)")
        items[1].setToolTip(record.model_path or "Its model was not saved: Save it while it is the current model")
        return items

    def select_records(self, paths: set) -> None:
        """Select the rows of the records ``paths`` (a session opened), as a user's click would."""
        self._select(paths)

    def _select(self, paths: set) -> None:
        selection = QItemSelection()
        for r in range(self.proxy.rowCount()):
            if self._path_at(r) in paths:
                selection.select(self.proxy.index(r, 0), self.proxy.index(r, len(HEADERS) - 1))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.table.selectionModel().select(selection, flags)
        self._selection_changed()

    def _enable(self) -> None:
        chosen = self.state.selected_records()
        self.open_button.setEnabled(len(chosen) == 1 and bool(chosen[0].model_path))
        self.compare_button.setEnabled(len(chosen) == 2 and all(r.model_path for r in chosen))
        self.delete_button.setEnabled(bool(chosen))

    # -- view → state ---------------------------------------------------------------------
    def _path_at(self, view_row: int) -> str:
        return self.proxy.index(view_row, 0).data(PATH_ROLE)

    def _selection_changed(self, *_) -> None:
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        paths = tuple(self._path_at(r) for r in rows)
        if paths != tuple(self.state.selected):
            self.selected.emit(paths)

    def view_row_of(self, path: str) -> int:
        """The table row showing the record ``path`` (−1 if none): where a click selects it."""
        return next((r for r in range(self.proxy.rowCount()) if self._path_at(r) == path), -1)
