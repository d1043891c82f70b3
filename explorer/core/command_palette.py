"""The command palette (View ▸ Command palette, Ctrl+Shift+P): every menu command, found by typing.

Built from the action table, never beside it (napari builds its palette from its declared actions
the same way): each row is a ``QAction`` of ``core.actions`` with its text, where it sits in the
menus and its shortcut, so a new action is listed without anyone touching this file. A disabled
action is listed greyed with what it needs (the ``needs`` of its enabled rule), so the palette
also answers "why can't I do this now?". Typing filters the rows: every word typed must appear in
the row's text or menu (case ignored); Up and Down move among the enabled rows, Enter runs the
chosen one and closes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from vae_explorer.explorer.core.actions import ACTIONS, MENUS, needs

NAME_ROLE = Qt.ItemDataRole.UserRole


def plain(text: str) -> str:
    """A menu text without its mnemonic marks (``&Save model`` → ``Save model``)."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def menu_places(menus=MENUS, where: str = "") -> dict[str, str]:
    """Each action's place in the menus, as ``File ▸ Export``."""
    places: dict[str, str] = {}
    for title, items in menus:
        here = f"{where} ▸ {plain(title)}" if where else plain(title)
        for item in items:
            if isinstance(item, tuple):
                places.update(menu_places((item,), here))
            elif item != "-" and not item.startswith("@"):
                places[item] = here
    return places


def matches(query: str, text: str) -> bool:
    """Every word of ``query`` is in ``text``, case ignored (an empty query matches all)."""
    text = text.casefold()
    return all(word in text for word in query.casefold().split())


class CommandPalette(QDialog):
    """A filter line over the list of the table's actions; ``actions`` maps names to QActions."""

    def __init__(self, actions: dict[str, QAction], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Command palette")
        self.resize(560, 380)
        self.commands = actions
        self.places = menu_places()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Type part of a command's name; Up/Down to choose, Enter to run")
        self.filter.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setToolTip("Every menu command; greyed: not possible now, and what it needs")
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.list)
        self.filter.textChanged.connect(self._fill)
        self.filter.returnPressed.connect(self.run_chosen)
        self.filter.installEventFilter(self)
        self.list.itemActivated.connect(lambda item: self.run_chosen())

    def open_fresh(self) -> None:
        """Show the palette with an empty filter and every action's enabled state as it is now."""
        self.filter.clear()
        self._fill()
        self.show()
        self.raise_()
        self.activateWindow()
        self.filter.setFocus()

    def _fill(self, *_) -> None:
        self.list.clear()
        for name, action in self.commands.items():
            text, place = plain(action.text()), self.places.get(name, "")
            if name in ACTIONS and matches(self.filter.text(), f"{text} {place}"):
                self.list.addItem(self._row(name, action, text, place))
        self._move(0, start=-1)

    def _row(self, name: str, action: QAction, text: str, place: str) -> QListWidgetItem:
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        ticked = "✓ " if action.isCheckable() and action.isChecked() else ""
        label = f"{ticked}{text}    ({place})" + (f"    {keys}" if keys else "")
        item = QListWidgetItem(label)
        item.setData(NAME_ROLE, name)
        if not action.isEnabled():
            why = needs(ACTIONS[name].enabled) or "not possible now"
            item.setText(f"{label}\n      {why}")  # on a line of its own: never cut off at the edge
            item.setToolTip(why)
            item.setFlags(Qt.ItemFlag.NoItemFlags)  # greyed, and never chosen by Up/Down or Enter
        return item

    def _move(self, step: int, start: int | None = None) -> None:
        """Choose the next enabled row ``step`` away (0: the first enabled one from ``start``)."""
        row = self.list.currentRow() if start is None else start
        step = step or 1
        for candidate in range(row + step, self.list.count() if step > 0 else -1, step):
            if self.list.item(candidate).flags() & Qt.ItemFlag.ItemIsEnabled:
                self.list.setCurrentRow(candidate)
                return

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        """Up and Down in the filter line move the chosen row, so typing never stops."""
        if watched is self.filter and event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                self._move(-1 if key == Qt.Key.Key_Up else 1)
                return True
        return super().eventFilter(watched, event)

    def chosen(self) -> str | None:
        """The name of the action Enter would run, or None."""
        item = self.list.currentItem()
        if item is None or not item.flags() & Qt.ItemFlag.ItemIsEnabled:
            return None
        return item.data(NAME_ROLE)

    def run_chosen(self) -> None:
        """Close, then run the chosen action (as its menu item would: checkable ones toggle)."""
        name = self.chosen()
        if name is None:
            return
        self.accept()
        self.commands[name].trigger()
