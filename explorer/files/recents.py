"""The recent files (models and datasets) kept in QSettings, and the menu that lists them.

``RecentFiles`` is the state (no widgets): a list that says when it changed, and the folder
the file dialogs should start in. ``RecentMenu`` only shows it.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QMenu

MAX_RECENT = 8


class RecentFiles(QObject):
    """Most recent first, at most ``MAX_RECENT``, stored under the settings key ``recent``."""

    changed = Signal()

    def __init__(self, settings: QSettings, parent: QObject | None = None):
        super().__init__(parent)
        self.settings = settings

    def stored(self) -> list[str]:
        """What the settings hold under ``recent`` (text entries only, whatever else is there)."""
        value = self.settings.value("recent", [])
        if isinstance(value, str):
            value = [value]
        return [v for v in value if isinstance(v, str)] if isinstance(value, (list, tuple)) else []

    def paths(self) -> list[str]:
        """The recent files that still exist (a moved or deleted one is not offered)."""
        return [p for p in self.stored() if os.path.exists(p)]

    def missing(self) -> list[str]:
        return [p for p in self.stored() if not os.path.exists(p)]

    def add(self, path: str) -> None:
        path = os.path.abspath(path)
        items = [path] + [p for p in self.stored() if p != path]
        self.settings.setValue("recent", items[:MAX_RECENT])
        self.changed.emit()

    def last_folder(self, name: str = "") -> str:
        """Where a file dialog starts: the folder of the latest file, else the working folder."""
        recent = self.paths()
        folder = os.path.dirname(recent[0]) if recent else os.getcwd()
        return os.path.join(folder, name) if name else folder


class RecentMenu(QMenu):
    """File ▸ Open recent: one entry per recent file, disabled when there is none."""

    chosen = Signal(str)

    def __init__(self, recents: RecentFiles, parent=None):
        super().__init__("Open &recent", parent)
        self.recents = recents
        recents.changed.connect(self._refresh)
        self._refresh()

    def _refresh(self) -> None:
        self.clear()
        for path in self.recents.paths():
            action = self.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.chosen.emit(p))
        self.setEnabled(bool(self.recents.paths()))
