"""Finding your way: Help ▸ Keyboard shortcuts (F1), and the command palette opened from the menu.

The shortcuts dialog lists every action of the action table that has a shortcut, read from the
QActions themselves (what the menus show), never from a copy that could go stale; then the few
shortcuts that live outside the table (the map toolbar's Ctrl+T), passed in as QActions too; then
what the mouse and keys do on the map. Those gestures are code in ``explorer/map`` (each row
names its module, for whoever changes a gesture; a test checks the modules exist) and in
pyqtgraph's ViewBox, which pans and zooms; the distances are read from the modules that use them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMainWindow, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from vae_explorer.explorer.core.actions import ACTIONS
from vae_explorer.explorer.core.command_palette import CommandPalette, menu_places, plain
from vae_explorer.explorer.map.hover_preview import RADIUS_PX
from vae_explorer.explorer.map.latent_map import CLICK_RADIUS_PX

# (keys, what they do, the module of explorer/map, or pyqtgraph, where the code is)
MAP_GESTURES = (
    ("Click", "decode the point under the mouse", "latent_map"),
    ("Click a dot", f"within {CLICK_RADIUS_PX} px: that image's code becomes the point", "latent_map"),
    ("Hover a dot", f"within {RADIUS_PX} px: a card with its image, index and label", "hover_preview"),
    ("Drag", "pan the map (in the toolbar's Rectangle or Lasso mode: select)", "selection_tool"),
    ("Wheel", "zoom in or out around the mouse", "pyqtgraph"),
    ("Right-drag", "zoom each axis on its own", "pyqtgraph"),
    ("Shift+drag", "select the points inside a rectangle", "selection_tool"),
    ("Ctrl+drag or Alt+drag", "select the points inside a lasso", "selection_tool"),
    ("Escape", "clear the selection", "selection_tool"),
    ("Click a legend entry", "hide or show that class", "legend_filter"),
    ("Double-click a legend entry", "show only that class; again: show every class", "legend_filter"),
    ("Enter in the Find box", "centre the map on the image of that index or file name", "search"),
)


def keys_of(action: QAction) -> str:
    return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)


def command_rows(actions: dict[str, QAction], others: Sequence[QAction]) -> list[tuple[str, str]]:
    """(keys, command and where it is) of every action that has a shortcut, in the table's order."""
    places = menu_places()
    rows = [(keys_of(a), f"{plain(a.text())} ({places.get(n, '')})") for n, a in actions.items() if n in ACTIONS]
    rows += [(keys_of(a), f"{plain(a.text())} (map toolbar)") for a in others]
    return [row for row in rows if row[0]]


class ShortcutsDialog(QDialog):
    """Two lists: the commands that have a shortcut, then the map's mouse and key gestures."""

    def __init__(self, actions: dict[str, QAction], others: Sequence[QAction] = (), parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(700, 600)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Keys", "What it does"])
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self._section("Commands", command_rows(actions, others))
        self._section("On the map", [(keys, what) for keys, what, _ in MAP_GESTURES])
        self.tree.resizeColumnToContents(0)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)

    def _section(self, title: str, rows: list[tuple[str, str]]) -> None:
        top = QTreeWidgetItem([title])
        font = top.font(0)
        font.setBold(True)
        top.setFont(0, font)
        self.tree.addTopLevelItem(top)
        top.addChildren([QTreeWidgetItem(list(row)) for row in rows])
        top.setExpanded(True)

    def rows(self, section: int) -> list[tuple[str, str]]:
        """The (keys, what) rows of section ``section`` (0: commands, 1: the map), as shown."""
        top = self.tree.topLevelItem(section)
        children = [top.child(i) for i in range(top.childCount())] if top is not None else []
        return [(child.text(0), child.text(1)) for child in children if child is not None]


class Guide:
    """Opens the command palette and the shortcuts list for ``window`` (its ``actions`` table)."""

    def __init__(self, window: QMainWindow, others: Callable[[], Sequence[QAction]] = tuple):
        self.window, self.others = window, others
        self.palette: CommandPalette | None = None
        self.shortcuts: ShortcutsDialog | None = None

    def handlers(self) -> dict[str, Callable[[], None]]:
        return {"palette": self.show_palette, "shortcuts": self.show_shortcuts}

    def _actions(self) -> dict[str, QAction]:
        return self.window.actions.actions  # type: ignore[attr-defined]

    def show_palette(self) -> None:
        """One palette per window, refilled on each opening (actions' enabled state changes)."""
        if self.palette is None:
            self.palette = CommandPalette(self._actions(), self.window)
        self.palette.open_fresh()

    def show_shortcuts(self) -> None:
        """Built on each opening, so it lists the shortcuts as they are now."""
        if self.shortcuts is not None:
            self.shortcuts.close()
            self.shortcuts.deleteLater()
        self.shortcuts = ShortcutsDialog(self._actions(), self.others(), self.window)
        self.shortcuts.show()
