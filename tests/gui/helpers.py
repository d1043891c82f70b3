"""What the tests read from widgets: kept here, not as test-only accessors in production classes."""

from __future__ import annotations

import numpy as np


def plotted(loss_plot) -> dict:
    """What the loss plot holds: batch x, epoch x, and per-term epoch values."""
    return {
        "batch_x": list(loss_plot._bx),
        "epoch_x": list(loss_plot._ex),
        "epoch": {k: list(v) for k, v in loss_plot._ey.items()},
    }


def point_count(latent_map) -> int:
    """How many points the latent map draws."""
    return len(latent_map.dots.shown)


def shown_image(pane) -> np.ndarray | None:
    """The image an ``ImagePane`` shows (H×W or H×W×3), or None."""
    return pane.item.image


def drawn_indices(latent_map) -> np.ndarray:
    """The indices (map points) of the points the latent map draws."""
    return np.asarray(latent_map.dots.shown, np.int64)


def drawn_xy(latent_map) -> np.ndarray:
    """Where the drawn points are (N×2 map coordinates), in drawing order."""
    return np.asarray(latent_map.dots.plane)[latent_map.dots.shown]


def brush_rgb(latent_map) -> np.ndarray:
    """The fill colour (r, g, b) of each drawn point, in drawing order."""
    from vae_explorer.explorer.map.dots import rgb_of

    return rgb_of(latent_map.dots.colours[latent_map.dots.shown]).astype(int)


def open_tool(window, qtbot, title: str):
    """Click the map tool called ``title`` in the side panel's list, as a user does (it must be in
    view without scrolling), and return its page."""
    from PySide6.QtCore import Qt

    panel = window.map.panel
    index = next(i for i in range(panel.count()) if panel.tool_name(i) == title.replace("&&", "&"))
    item = panel.names.item(index)
    rect = panel.names.visualItemRect(item)
    assert panel.names.viewport().rect().contains(rect), f"the tool {title!r} is not in view"
    qtbot.mouseClick(panel.names.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.currentIndex() == index
    return panel.widget(index)


def tool(window, name: str):
    """The map tool called ``name`` (its state, page and items)."""
    return window.map.tools[name]


def open_model(window, path) -> bool:
    """Open a model file as the app does (read off the GUI thread) and wait until it is shown or
    refused: True when it is the session's model now."""
    import os
    import time

    from PySide6.QtWidgets import QApplication

    if not window.files.open_model(str(path)):
        return False
    deadline = time.monotonic() + 60
    while window.files.opening and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.005)
    assert not window.files.opening, f"{path} did not open within 60 s"
    return window.session.path == os.path.abspath(str(path))


def drop(window, path) -> bool:
    """Drag ``path`` from a file manager and drop it on the window; whether both were accepted.
    (Also used by ``tests/benchmarks/stalls.py``.)"""
    from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime, action, no_button, no_keys = (
        QMimeData(),
        Qt.DropAction.CopyAction,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(QPoint(20, 20), action, mime, no_button, no_keys)
    QApplication.sendEvent(window, enter)
    event = QDropEvent(QPointF(20, 20), action, mime, no_button, no_keys)
    QApplication.sendEvent(window, event)
    return enter.isAccepted() and event.isAccepted()


def recorded_calls(monkeypatch, owner, name: str, measure) -> list:
    """Calls of ``owner.name`` (an object's or a class's) go on as before; ``measure(result,
    *args)`` of each is kept, in order (how many images a call encoded, decoded or placed)."""
    seen: list = []
    original = getattr(owner, name)

    def call(*args, **kwargs):
        result = original(*args, **kwargs)
        seen.append(measure(result, *args))
        return result

    monkeypatch.setattr(owner, name, call)
    return seen


def reads_on_threads(monkeypatch) -> list:
    """The threads that read model files from now on."""
    import threading

    from vae_explorer.trainer.files import modelfile

    threads, original = [], modelfile.load_model
    monkeypatch.setattr(
        modelfile, "load_model", lambda path: (threads.append(threading.current_thread()), original(path))[1]
    )
    return threads
