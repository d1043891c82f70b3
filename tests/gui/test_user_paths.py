"""What a user does, through the real window: buttons, shortcuts, drops, the Recent menu, closing."""

from __future__ import annotations

import os
import shutil

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from tests.gui.helpers import drawn_xy, drop, open_model, open_tool, reads_on_threads, recorded_calls, shown_image
from tests.gui.test_main_window import click_map

Answer = QMessageBox.StandardButton
CTRL = Qt.KeyboardModifier.ControlModifier


def count_starts(window, monkeypatch) -> list:
    starts: list = []
    runner = window.training.runner
    original = runner.start
    monkeypatch.setattr(runner, "start", lambda trainer: (starts.append(trainer), original(trainer)))
    return starts


def slow_to_build(monkeypatch, building, release, also=lambda: None) -> None:
    """Trainers that say when their building starts (``building``) and wait for ``release``."""
    from vae_explorer.trainer.training import loop as training

    class SlowToBuild(training.Trainer):
        def __init__(self, *args, **kwargs):
            also()
            building.set()
            release.wait(30)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(training, "Trainer", SlowToBuild)


def one_epoch(window):
    panel = window.training.panel
    panel.set_preset("tutorial")
    panel.epochs.setValue(1)
    panel.batch_size.setValue(32)


def test_double_click_on_start_starts_one_training(window, qtbot, monkeypatch):
    starts = count_starts(window, monkeypatch)
    one_epoch(window)
    qtbot.mouseDClick(window.training.panel.start, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.training.panel.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=60_000)
    assert len(starts) == 1


def test_the_model_is_built_off_the_gui_thread_which_stays_live_and_refuses_a_second_start(window, qtbot, monkeypatch):
    """Start builds and traces the model on the training thread: while it does, the window keeps
    processing events (a timer fires, a click lands) and Start is disabled and refused."""
    import threading

    from PySide6.QtCore import QTimer

    starts = count_starts(window, monkeypatch)
    one_epoch(window)
    building, release, threads = threading.Event(), threading.Event(), []

    slow_to_build(
        monkeypatch, building, release, lambda: threads.append(threading.current_thread() is threading.main_thread())
    )
    qtbot.mouseClick(window.training.panel.start, Qt.MouseButton.LeftButton)
    assert building.wait(10)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=2_000)  # the event loop runs while the model is built
    timer.stop()
    assert window.training.state.preparing and not window.training.panel.start.isEnabled()
    qtbot.mouseClick(window.training.panel.start, Qt.MouseButton.LeftButton)
    window.training.start()  # also the action's command itself (a queued shortcut)
    release.set()
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=60_000)
    assert threads == [False] and len(starts) == 1 and len(window.session.history) == 1


def test_closing_while_the_model_is_built_drops_it_and_ends_the_thread(window, qtbot, monkeypatch):
    import threading

    one_epoch(window)
    building, release = threading.Event(), threading.Event()
    slow_to_build(monkeypatch, building, release)
    qtbot.mouseClick(window.training.panel.start, Qt.MouseButton.LeftButton)
    assert building.wait(10)
    window.close()
    release.set()
    qtbot.waitUntil(lambda: not window.busy() and not window.isVisible(), timeout=60_000)
    assert window.session.history == [] and not window.training.state.busy  # nothing trained


def test_shortcuts_start_pause_resume_stop_and_log_scale(window, qtbot, long_training):
    batches, state = long_training, window.training.state
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_R, CTRL)
    assert window.training.runner.running
    qtbot.waitUntil(lambda: len(batches) > 1, timeout=30_000)
    qtbot.keyClick(window, Qt.Key.Key_P, CTRL)
    assert state.paused and window.training.panel.pause.text() == "Resume"
    qtbot.keyClick(window, Qt.Key.Key_P, CTRL)
    assert not state.paused and window.training.panel.pause.text() == "Pause"
    qtbot.keyClick(window, Qt.Key.Key_Period, CTRL)
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=10_000)
    assert window.training.panel.start.isEnabled() and not window.actions["stop"].isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_L, CTRL)
    assert window.actions["log"].isChecked() and window.training.loss_plot.getAxis("left").logMode
    qtbot.keyClick(window, Qt.Key.Key_L, CTRL)
    assert not window.training.loss_plot.getAxis("left").logMode


def test_ctrl_s_saves_the_opened_model(window, qtbot, gui_model_file, tmp_path):
    path = tmp_path / "mine.h5"
    shutil.copy(gui_model_file[0], path)
    assert open_model(window, str(path))
    window.session.dirty = True
    assert window.windowTitle() == "vae-explorer — mine.h5 *"
    os.utime(path, (0, 0))
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_S, CTRL)
    assert not window.session.dirty and os.path.getmtime(path) > 0
    assert window.windowTitle() == "vae-explorer — mine.h5"


def test_dropping_a_model_and_a_dataset(window, qtbot, gui_model_file, small_npz):
    assert drop(window, gui_model_file[0])
    qtbot.waitUntil(lambda: window.session.path == os.path.abspath(gui_model_file[0]), timeout=60_000)
    assert drop(window, small_npz)
    qtbot.waitUntil(lambda: window.session.dataset.source.endswith("small.npz"), timeout=20_000)
    assert "small.npz" in window.datasets.box.dataset.currentText()


def test_the_recent_menu_reopens_a_model(window, qtbot, gui_model_file, tmp_path):
    first, second = tmp_path / "first.h5", tmp_path / "second.h5"
    for copy in (first, second):
        shutil.copy(gui_model_file[0], copy)
        assert open_model(window, str(copy))
    entries = window.recent_menu.actions()
    assert [a.text() for a in entries] == [str(second), str(first)]
    entries[1].trigger()
    qtbot.waitUntil(lambda: window.session.path == str(first), timeout=60_000)


def test_ctrl_o_reads_the_model_off_the_gui_thread_with_a_wait_cursor(window, qtbot, gui_model_file, monkeypatch):
    import threading

    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(gui_model_file[0]), "")))
    read_on = reads_on_threads(monkeypatch)
    qtbot.keyClick(window, Qt.Key.Key_O, CTRL)
    assert (
        QApplication.overrideCursor() is not None and QApplication.overrideCursor().shape() == Qt.CursorShape.WaitCursor
    )
    qtbot.waitUntil(lambda: window.session.path == str(gui_model_file[0]), timeout=60_000)
    assert read_on and read_on[0] is not threading.main_thread()
    assert QApplication.overrideCursor() is None and window.session.has_model


def start_long(window, qtbot, batches) -> None:
    window.training.panel.start.click()
    qtbot.waitUntil(lambda: len(batches) > 3, timeout=30_000)


def test_closing_while_training_asks_first_and_cancel_keeps_training(window, qtbot, dialogs, long_training):
    batches = long_training
    start_long(window, qtbot, batches)
    dialogs.answer = Answer.Cancel
    window.close()
    assert dialogs.questions and dialogs.questions[-1][0] == "Quit"
    assert window.isVisible() and window.training.runner.running and not window.training.state.stopping
    seen = len(batches)
    qtbot.waitUntil(lambda: len(batches) > seen, timeout=30_000)  # still training
    dialogs.answer = Answer.Discard
    window.close()
    qtbot.waitUntil(lambda: not window.busy(), timeout=2_000)
    assert not window.isVisible() and len(dialogs.questions) == 2


def test_closing_while_training_and_saving_saves_then_closes(window, qtbot, dialogs, long_training, tmp_path):
    batches = long_training
    start_long(window, qtbot, batches)
    out = tmp_path / "closing.h5"
    window.session.path = str(out)
    dialogs.answer = Answer.Save
    window.close()
    assert dialogs.questions[-1][0] == "Quit"
    assert out.exists() and not window.isVisible() and not window.session.dirty
    qtbot.waitUntil(lambda: not window.busy(), timeout=2_000)


def test_a_stop_inside_epoch_1_still_offers_to_save(window, qtbot, dialogs, long_training):
    batches = long_training
    start_long(window, qtbot, batches)
    window.training.stop()
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=10_000)
    assert window.session.history == [] and window.session.dirty
    dialogs.answer = Answer.Cancel
    window.close()
    assert window.isVisible() and [q[0] for q in dialogs.questions] == ["Quit"]


def test_ctrl_s_writes_the_map_s_codes_as_they_are(window, qtbot, gui_model_file, tmp_path, monkeypatch):
    """Encoding the held-out set again was a third of a save's freeze of the window: the codes an
    opened model (or a finished epoch) gave are the weights' own, written as they are."""
    from vae_explorer.trainer.files.modelfile import load_model

    path = tmp_path / "copy.h5"
    shutil.copy(gui_model_file[0], path)
    assert open_model(window, path) and window.session.held_out_images() is not None
    encodes = recorded_calls(monkeypatch, window.session.space, "codes", lambda codes, images, *_: len(images))
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_S, CTRL)
    assert encodes == [] and window.statusBar().currentMessage().startswith("Saved")
    np.testing.assert_array_equal(load_model(path).latent.means, window.session.codes.means)


def test_a_save_after_a_stop_inside_a_later_epoch_writes_the_codes_of_the_weights_it_saves(
    window, qtbot, long_training, tmp_path, monkeypatch
):
    from vae_explorer.trainer.files.modelfile import load_model
    from vae_explorer.trainer.model.space import LatentSpace

    batches = long_training
    start_long(window, qtbot, batches)
    qtbot.waitUntil(lambda: len(window.session.history) >= 1, timeout=60_000)
    seen = len(batches)
    qtbot.waitUntil(lambda: len(batches) > seen + 3, timeout=30_000)
    window.training.stop()
    qtbot.waitUntil(lambda: not window.training.runner.running and not window.busy(), timeout=10_000)
    out = tmp_path / "stopped.h5"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "")))
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_S, CTRL)  # a fresh model: Save asks where
    assert window.session.path == str(out) and not window.session.dirty
    saved = load_model(out)
    again = LatentSpace(saved.model).codes(window.session.dataset.x_test)
    np.testing.assert_allclose(saved.latent.means, again.means, rtol=1e-4, atol=1e-4)


def test_the_traversal_is_decoded_only_in_view_and_exports_reuse_decodes(
    window, qtbot, gui_model_file, tmp_path, monkeypatch
):
    open_model(window, str(gui_model_file[0]))
    traverse = window.map.tools["traverse"]
    sheet_rows = window.session.latent_dim * traverse.page.steps.value()
    sizes = recorded_calls(monkeypatch, window.session.space, "decode", lambda out, *_: len(out))
    (x0, x1), (y0, y1) = window.map.map.visible_region()
    click_map(window, qtbot, x0 + 0.6 * (x1 - x0), y0 + 0.3 * (y1 - y0))
    assert sizes == [1] and shown_image(traverse.page.sheet) is None
    open_tool(window, qtbot, "Traverse")
    assert sizes == [1, sheet_rows] and shown_image(traverse.page.sheet) is not None
    assert window.exports.export_png("traversal", str(tmp_path / "t.png"), scale=1)
    grid_page = open_tool(window, qtbot, "Grid")
    grid_page.n.setValue(4)
    qtbot.mouseClick(grid_page.decode, Qt.MouseButton.LeftButton)
    assert window.exports.export_png("grid", str(tmp_path / "g.png"), scale=1)
    assert sizes == [1, sheet_rows, 16]  # the exports decoded nothing again


def test_a_worker_error_is_one_dialog_line(window, qtbot, dialogs, monkeypatch):
    from vae_explorer.trainer import data as trainer_data

    def broken(spec, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(trainer_data, "load_dataset", broken)
    window.datasets.load("anything")
    qtbot.waitUntil(lambda: bool(dialogs.warnings), timeout=10_000)
    assert dialogs.warnings == [("Cannot open dataset", "unexpected error: RuntimeError: boom")]


def test_chosen_dimensions_axis_shows_z_d_itself(window, tmp_path, mnist_small, train_and_save):
    import numpy as np

    from vae_explorer.trainer.model.config import TrainConfig

    path = tmp_path / "latent3.h5"
    train_and_save(TrainConfig(preset="dense", latent_dim=3, epochs=1, batch_size=64, seed=1), mnist_small, path)
    assert open_model(window, str(path))
    axes, plot = window.map.axes, window.map.map
    axes.choose("pca")
    assert axes.layout_box.isEnabled() and plot.getAxis("bottom").labelText == "PCA 1"
    axes.choose("dims")
    axes.x_dim.setValue(2)
    axes.y_dim.setValue(0)
    assert window.map.state.layout == "dims" and window.map.state.dims == (2, 0)
    assert (plot.getAxis("bottom").labelText, plot.getAxis("left").labelText) == ("z[2]", "z[0]")
    means = window.session.codes.means
    np.testing.assert_allclose(drawn_xy(plot), means[:, [2, 0]], atol=1e-5)


def test_ctrl_shift_r_continues_the_model_it_trained(window, qtbot):
    one_epoch(window)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_R, CTRL)
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=60_000)
    model = window.session.model
    assert len(window.session.history) == 1 and window.actions["continue"].isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_R, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert window.training.runner.running
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=60_000)
    assert window.session.model is model and [h["epoch"] for h in window.session.history] == [1, 2]
