"""Drag and drop onto the window: an event filter that turns a dropped file into a path.

A filter rather than the window's own ``dropEvent``: the window only installs it, and the
files part decides what a path means (a model or a dataset).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal


def first_local_path(mime) -> str | None:
    """The first local file or folder named by a drag's ``QMimeData``."""
    for url in mime.urls() if mime.hasUrls() else ():
        if url.isLocalFile():
            return url.toLocalFile()
    return None


class DropFilter(QObject):
    """Install on a widget that accepts drops; ``dropped(path)`` for each local file dropped."""

    dropped = Signal(str)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and event.mimeData().hasUrls():
            event.acceptProposedAction()
            return True
        if kind == QEvent.Type.Drop:
            path = first_local_path(event.mimeData())
            if path is not None:
                event.acceptProposedAction()
                self.dropped.emit(path)
                return True
        return False
