"""The real window: training through the worker, clicks on the map, interpolation, files, closing."""

from __future__ import annotations

import struct
import time

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from tests.gui.helpers import open_model, plotted, point_count, shown_image


def png_size(path) -> tuple[int, int]:
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def train(window, qtbot, epochs=2, preset="tutorial"):
    panel = window.training.panel
    panel.set_preset(preset)
    panel.epochs.setValue(epochs)
    panel.batch_size.setValue(32)
    batches = []
    window.training.runner.batches_done.connect(batches.extend)
    qtbot.mouseClick(panel.start, Qt.MouseButton.LeftButton)
    assert window.training.runner.running
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=120_000)
    return batches


def click_map(window, qtbot, x, y):
    """Click the map at view coordinates (x, y) the way a user's click arrives: on the viewport."""
    plot = window.map.map
    qtbot.wait(50)  # let the view finish auto-ranging to the data, as it would on screen
    scene_pos = plot.getViewBox().mapViewToScene(QPointF(x, y))
    widget_pos = plot.mapFromScene(scene_pos)
    QTest.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, widget_pos)
    qtbot.wait(20)


def test_window_opens_and_closes(window):
    assert window.isVisible()
    assert window.training.panel.start.isEnabled()
    assert window.actions["save"].isEnabled() is False
    assert "MNIST" in window.datasets.box.dataset.currentText()


def test_training_emits_signals_and_updates_plot_and_map(window, qtbot):
    batches = train(window, qtbot, epochs=2)
    assert len(batches) == 2 * 8
    points = plotted(window.training.loss_plot)
    assert points["epoch_x"] == [1.0, 2.0]
    assert len(points["batch_x"]) == 16
    assert points["epoch"]["loss"][1] < points["epoch"]["loss"][0]
    assert point_count(window.map.map) == 64
    assert window.session.dirty and len(window.session.history) == 2
    assert "held-out" in window.training.elbo_label.text()
    assert window.training.panel.start.isEnabled() and not window.training.panel.stop.isEnabled()


def test_click_on_map_decodes_that_point(window, qtbot, gui_model_file):
    path, _ = gui_model_file
    assert open_model(window, str(path))
    assert point_count(window.map.map) == 64
    space = window.session.space
    (x0, x1), (y0, y1) = window.map.map.visible_region()
    targets = [(x0 + 0.2 * (x1 - x0), y0 + 0.3 * (y1 - y0)), (x0 + 0.8 * (x1 - x0), y0 + 0.7 * (y1 - y0))]
    shown = []
    for x, y in targets:
        window.map.state.current = None
        click_map(window, qtbot, x, y)
        z = window.map.state.current
        assert z is not None, "the click did not reach the map"
        tol = 0.03 * max(x1 - x0, y1 - y0)
        if window.map.state.current_index is None:  # empty space: the point under the mouse
            assert abs(z[0] - x) < tol and abs(z[1] - y) < tol
        image = shown_image(window.map.tools["point"].page.decoded)
        np.testing.assert_allclose(image, space.decode(z)[0][..., 0], atol=1e-6)
        shown.append(image.copy())
    assert np.abs(shown[0] - shown[1]).max() > 0.05  # two places, two different digits


def test_click_on_data_point_shows_original_and_reconstruction(window, qtbot, gui_model_file, mnist_small):
    path, _ = gui_model_file
    open_model(window, str(path))
    i = 5
    x, y = window.map.state.projection.to_plane(window.session.codes.means[i])[0]
    click_map(window, qtbot, float(x), float(y))
    assert window.map.state.current_index is not None
    j = window.map.state.current_index
    np.testing.assert_array_equal(shown_image(window.map.tools["point"].page.original), mnist_small.x_test[j][..., 0])
    assert shown_image(window.map.tools["point"].page.reconstruction) is not None


class LayoutRequests(QObject):
    """Records the widgets with a layout asked to lay themselves out again."""

    def __init__(self):
        super().__init__()
        self.receivers: list[str] = []

    def eventFilter(self, receiver, event):  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LayoutRequest and isinstance(receiver, QWidget) and receiver.layout():
            self.receivers.append(type(receiver).__name__)
        return False


def test_clicks_and_hovers_on_the_map_lay_out_no_part_of_the_window(window, qtbot, gui_model_file):
    """Their texts change at each one; a QLabel's new text laid the whole window out again."""
    open_model(window, str(gui_model_file[0]))
    plane = window.map.state.projection.to_plane(window.session.codes.means[:3])
    click_map(window, qtbot, *map(float, plane[0]))  # the first shows the originals' panes
    requests = LayoutRequests()
    QApplication.instance().installEventFilter(requests)
    qtbot.wait(100)  # what opening the model asked: laid out a level per pass of the event loop
    requests.receivers.clear()
    try:
        for step, (x, y) in enumerate(plane[1:]):
            click_map(window, qtbot, float(x), float(y))
            label = window.map.tools["point"].page.label
            assert label.text().startswith("image ") and window.map.state.current_index is not None
            QTest.mouseMove(window.map.map.viewport(), window.map.map.viewport().rect().center() + QPoint(9 * step, 0))
            qtbot.waitUntil(lambda label=label: label.text().startswith("hover"), timeout=2000)
        qtbot.wait(50)
    finally:
        QApplication.instance().removeEventFilter(requests)
    assert requests.receivers == []


def test_interpolation_yields_n_frames_and_a_path(window, gui_model_file):
    path, _ = gui_model_file
    open_model(window, str(path))
    window.map.tools["interpolate"].page.steps.setValue(7)
    window.map.click_position(-1.0, -1.0)
    window.map.tools["interpolate"].set_endpoint("A")
    window.map.click_position(1.5, 1.0)
    window.map.tools["interpolate"].set_endpoint("B")
    frames = window.map.tools["interpolate"].frames
    assert frames.shape == (7, 28, 28, 1)
    np.testing.assert_allclose(window.map.tools["interpolate"].path[0], [-1.0, -1.0], atol=1e-6)
    np.testing.assert_allclose(window.map.tools["interpolate"].path[-1], [1.5, 1.0], atol=1e-6)
    window.map.tools["interpolate"].page.slider.setValue(6)
    np.testing.assert_allclose(shown_image(window.map.tools["interpolate"].page.frame), frames[6][..., 0])
    window.map.tools["interpolate"].page.method.setCurrentText("spherical")
    assert window.map.tools["interpolate"].frames.shape[0] == 7
    window.map.panel.setCurrentWidget(window.map.tools["traverse"].page)  # decoded when its tab is in view
    assert shown_image(window.map.tools["traverse"].page.sheet) is not None  # traversal follows the current point


def test_export_png_and_csv(window, gui_model_file, tmp_path):
    path, _ = gui_model_file
    open_model(window, str(path))
    window.map.tools["grid"].page.n.setValue(5)
    out = tmp_path / "grid.png"
    assert window.exports.export_png("grid", str(out), scale=2)
    assert png_size(out) == (5 * 28 * 2, 5 * 28 * 2)
    assert window.exports.export_png("samples", str(tmp_path / "s.png"), scale=1)
    csv = tmp_path / "codes.csv"
    assert window.exports.export_csv(str(csv))
    lines = csv.read_text().splitlines()
    assert lines[0].startswith("index,z0,z1") and len(lines) == 65


def test_opening_a_saved_model_restores_the_map(window, gui_model_file):
    path, result = gui_model_file
    assert open_model(window, str(path))
    s = window.session
    assert len(s.history) == result.epochs_done
    assert point_count(window.map.map) == len(s.codes.means) == 64
    assert plotted(window.training.loss_plot)["epoch_x"] == [1.0, 2.0]
    assert window.actions["save"].isEnabled() and not s.dirty


def test_save_then_reopen(window, qtbot, tmp_path):
    train(window, qtbot, epochs=1)
    out = tmp_path / "saved.h5"
    assert window.files.save_to(str(out))
    assert not window.session.dirty
    z = np.array([[0.5, -0.5]], np.float32)
    before = window.session.space.decode(z)
    assert open_model(window, str(out))
    np.testing.assert_array_equal(window.session.space.decode(z), before)


def test_bad_files_give_dialogs_and_the_app_goes_on(window, qtbot, tmp_path, dialogs, gui_model_file):
    junk = tmp_path / "junk.h5"
    junk.write_bytes(np.random.default_rng(0).bytes(4096))
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(gui_model_file[0].read_bytes()[:2000])
    nan = tmp_path / "nan.npz"
    np.savez(nan, x_train=np.full((10, 8, 8), np.nan))
    for bad in (junk, truncated, tmp_path / "missing.h5"):
        assert open_model(window, str(bad)) is False
    window.datasets.load(str(nan))
    qtbot.waitUntil(lambda: len(dialogs.warnings) == 4, timeout=20_000)
    for (_title, text), name in zip(
        dialogs.warnings, ["junk.h5", "truncated.h5", "missing.h5", "nan.npz"], strict=True
    ):
        assert name in text and "Traceback" not in text
    assert "NaN" in dialogs.warnings[3][1]
    assert open_model(window, str(gui_model_file[0]))  # still works
    assert window.session.dataset.name != "nan"


def test_a_dataset_asked_for_later_is_not_replaced_by_a_slower_earlier_one(window, qtbot, monkeypatch, mnist):
    """`vae-explorer --data X` loads X while the window's embedded MNIST may still be loading."""
    from vae_explorer.trainer import data as trainer_data

    slow, fast = mnist.subset(300, 60), mnist.subset(200, 40)
    slow.name, fast.name = "slow", "fast"

    def load(spec, *args, **kwargs):
        if spec == "slow":
            time.sleep(0.5)
            return slow
        return fast

    monkeypatch.setattr(trainer_data, "load_dataset", load)
    window.datasets.load("slow")
    window.datasets.load("fast")
    qtbot.waitUntil(lambda: window.session.dataset is fast, timeout=10_000)
    qtbot.waitUntil(lambda: not window.busy(), timeout=10_000)  # the slow one has arrived too
    assert window.session.dataset is fast


def test_closing_during_training_stops_within_2s(window, qtbot, long_training):
    panel = window.training.panel
    batches = long_training
    panel.start.click()
    qtbot.waitUntil(lambda: len(batches) > 3, timeout=30_000)
    t0 = time.perf_counter()
    window.close()
    qtbot.waitUntil(lambda: not window.busy(), timeout=2_000)
    elapsed = time.perf_counter() - t0
    print(f"close while training: worker stopped in {elapsed * 1000:.0f} ms")
    assert elapsed < 2.0
    assert not window.isVisible()
