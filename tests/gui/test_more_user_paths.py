"""User paths issue 9 found untested: hover decode, the grid overlay, the divergence dialog, the dataset dialog."""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from tests.gui.helpers import open_model, open_tool, shown_image

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def viewport_pos(window, x: float, y: float):
    """Where map coordinates (x, y) are on the map's viewport, as a mouse event carries them."""
    plot = window.map.map
    return plot.mapFromScene(plot.getViewBox().mapViewToScene(QPointF(x, y)))


def test_hovering_the_map_decodes_the_point_under_the_mouse(window, qtbot, gui_model_file):
    open_model(window, str(gui_model_file[0]))
    qtbot.wait(50)  # the view auto-ranges to the data, as on screen
    plot = window.map.map
    (x0, x1), (y0, y1) = plot.visible_region()
    pixel = viewport_pos(window, x0 + 0.7 * (x1 - x0), y0 + 0.25 * (y1 - y0))
    QTest.mouseMove(plot.viewport(), pixel)
    qtbot.waitUntil(lambda: window.map.tools["point"].page.label.text().startswith("hover"), timeout=2000)
    under_mouse = plot.getViewBox().mapSceneToView(plot.mapToScene(pixel))  # the whole pixel the mouse is on
    z = window.map.state.projection.from_plane([under_mouse.x(), under_mouse.y()])[0]
    expected = window.session.space.decode(z)[0][..., 0]
    np.testing.assert_allclose(shown_image(window.map.tools["point"].page.decoded), expected, atol=1e-6)
    assert window.map.state.current is None  # hovering does not move the clicked point


def test_the_grid_overlay_checkbox_lays_the_decoded_grid_on_the_map(window, qtbot, gui_model_file):
    open_model(window, str(gui_model_file[0]))
    page = open_tool(window, qtbot, "Grid")
    qtbot.wait(50)
    assert not window.map.tools["grid"].image_item.isVisible()
    box = page.overlay
    box.show()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))  # on the tick box
    qtbot.waitUntil(lambda: window.map.tools["grid"].image_item.isVisible(), timeout=2000)
    overlay = window.map.tools["grid"].image_item.image
    np.testing.assert_allclose(np.flipud(overlay), shown_image(page.grid).squeeze(), atol=1e-6)
    (x0, x1), (y0, y1) = window.map.map.visible_region()
    rect = window.map.tools["grid"].image_item.mapRectToParent(window.map.tools["grid"].image_item.boundingRect())
    assert rect.left() < x0 and rect.right() > x1 and rect.top() < y0 and rect.bottom() > y1
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert not window.map.tools["grid"].image_item.isVisible()


def test_a_diverging_training_says_so_in_one_dialog_and_keeps_the_last_good_weights(window, qtbot, dialogs):
    panel = window.training.panel
    panel.set_preset("dense")
    panel.epochs.setValue(2)
    panel.batch_size.setValue(32)
    panel.lr.selectAll()
    qtbot.keyClicks(panel.lr, "1")  # a learning rate a user might try: 1.0
    qtbot.keyClick(panel.lr, Qt.Key.Key_Tab)
    assert panel.lr.value() == 1.0
    qtbot.mouseClick(panel.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=60_000)
    qtbot.waitUntil(lambda: bool(dialogs.warnings), timeout=5000)
    assert len(dialogs.warnings) == 1
    title, text = dialogs.warnings[0]
    assert title == "Training stopped"
    assert "became" in text and "lower learning rate" in text and "\n" not in text.strip()
    assert panel.progress.format() == "stopped: loss diverged"
    weights = window.session.model.get_weights()
    assert all(np.isfinite(w).all() for w in weights)
    assert window.training.panel.start.isEnabled()


def answer_kind_dialog(button_text: str, seen: list) -> None:
    """Click ``button_text`` in the 'What kind of dataset?' box once it is open (it runs its own loop)."""

    def click():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        seen.append(box.text())
        button = next(b for b in box.buttons() if b.text() == button_text)
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(20, click)


def test_the_dataset_dialog_opens_an_npz_chosen_by_the_user(window, qtbot, monkeypatch, small_npz):
    asked = []
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (asked.append(a[1:]) or str(small_npz), ""))
    )
    seen: list = []
    answer_kind_dialog(".npz file…", seen)
    qtbot.keyClick(window, Qt.Key.Key_O, CTRL_SHIFT)  # File ▸ Open dataset…
    qtbot.waitUntil(
        lambda: (
            window.session.dataset is not None
            and window.session.dataset.source == os.path.abspath(small_npz)
            and not window.busy()
        ),
        timeout=20_000,
    )
    assert seen == ["What kind of dataset?"] and asked and asked[0][0] == "Open dataset"
    assert "small.npz" in window.datasets.box.dataset.currentText()


def test_cancelling_the_dataset_dialog_changes_nothing(window, qtbot, monkeypatch):
    before = window.session.dataset
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: ("", "")))
    seen: list = []
    answer_kind_dialog("Cancel", seen)
    qtbot.keyClick(window, Qt.Key.Key_O, CTRL_SHIFT)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    qtbot.wait(100)
    assert window.session.dataset is before


def test_every_remaining_shortcut_reaches_its_command(window, qtbot, monkeypatch, gui_model_file):
    """Ctrl+O, Ctrl+Shift+S, Ctrl+E, Ctrl+Shift+E, Ctrl+0 and Ctrl+Q, pressed on the window.

    (Ctrl+R/P/./L, Ctrl+S, Ctrl+Shift+R and Ctrl+Shift+O have their own tests.) The file
    dialogs are the platform's and cannot be driven: they record their title and are cancelled.
    """
    from PySide6.QtWidgets import QInputDialog

    asked: list[str] = []
    cancel = staticmethod(lambda parent, title, *a, **k: (asked.append(title) or "", ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", cancel)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", cancel)
    monkeypatch.setattr(
        QInputDialog, "getInt", staticmethod(lambda parent, title, *a, **k: (asked.append(title) or 0, False))
    )
    open_model(window, str(gui_model_file[0]))
    ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
    for key, mods, title in (
        (Qt.Key.Key_O, ctrl, "Open model"),
        (Qt.Key.Key_S, ctrl | shift, "Save model as"),
        (Qt.Key.Key_E, ctrl, "Export size"),  # cancelled: no path is asked
        (Qt.Key.Key_E, ctrl | shift, "Export latent codes"),
    ):
        before = len(asked)
        qtbot.keyClick(window, key, mods)
        assert asked[before:] == [title]
    box = window.map.map.getViewBox()
    box.setRange(xRange=(100, 101), yRange=(100, 101), padding=0)
    plane = window.map.state.projection.to_plane(window.session.codes.means)

    def all_points_in_view() -> bool:
        (x0, x1), (y0, y1) = window.map.map.visible_region()
        return (
            x0 <= plane[:, 0].min() and plane[:, 0].max() <= x1 and y0 <= plane[:, 1].min() <= plane[:, 1].max() <= y1
        )

    assert not all_points_in_view()
    qtbot.keyClick(window, Qt.Key.Key_0, ctrl)  # fit: the data are back in view
    qtbot.waitUntil(all_points_in_view, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_Q, ctrl)  # quit: the opened model is saved, nothing to ask
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
