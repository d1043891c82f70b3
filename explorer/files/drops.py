"""Drag and drop onto the window: an event filter that turns dropped files into paths.

A filter rather than the window's own ``dropEvent``: the window only installs it. PNG and
JPEG files go to the Draw part (``images_dropped``: placed on the map with the model's
encoder); anything else, the first path, to the files part (``dropped``), which decides what
it means (a model or a dataset; a folder of images is a dataset).
"""

from __future__ import annotations

import os

from PySide6.QtCore import QEvent, QObject, Signal

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def local_paths(mime) -> list[str]:
    """The local files and folders named by a drag's ``QMimeData``, in order."""
    return [url.toLocalFile() for url in (mime.urls() if mime.hasUrls() else ()) if url.isLocalFile()]


def first_local_path(mime) -> str | None:
    """The first local file or folder named by a drag's ``QMimeData``."""
    paths = local_paths(mime)
    return paths[0] if paths else None


def is_image_file(path: str) -> bool:
    return path.lower().endswith(IMAGE_SUFFIXES) and not os.path.isdir(path)


class DropFilter(QObject):
    """Install on a widget that accepts drops: ``images_dropped(paths)`` for PNG/JPEG files,
    else ``dropped(path)`` for the first local file or folder."""

    dropped = Signal(str)
    images_dropped = Signal(list)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and event.mimeData().hasUrls():
            event.acceptProposedAction()
            return True
        if kind == QEvent.Type.Drop:
            paths = local_paths(event.mimeData())
            images = [path for path in paths if is_image_file(path)]
            if not paths:
                return False
            event.acceptProposedAction()
            if images:
                self.images_dropped.emit(images)
            else:
                self.dropped.emit(paths[0])
            return True
        return False
