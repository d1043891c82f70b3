"""The Runs panel through the user's path: runs recorded, overlaid, compared, deleted, evaluated,
and TensorBoard logs written by the app's own training."""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.gui.helpers import plotted, shown_image
from vae_explorer.trainer.files.runs import RunRecord, read_record, write_record

Answer = QMessageBox.StandardButton
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture(autouse=True)
def runs_panel_open(request, qtbot):
    """The Runs panel starts hidden: open it as a user does, View ▸ Runs panel (Ctrl+Shift+U)."""
    if "window" in request.fixturenames:
        window = request.getfixturevalue("window")
        qtbot.keyClick(window, Qt.Key.Key_U, CTRL | Qt.KeyboardModifier.ShiftModifier)
        assert window.runs_dock.isVisible() and window.actions["runs"].isChecked()


def train_and_save(window, qtbot, path, preset="tutorial", epochs=1, seed=0):
    """Start a short run with the panel's button, wait for it, save its model (as Save as would)."""
    panel = window.training.panel
    panel.set_preset(preset)
    panel.latent_dim.setValue(2)
    panel.epochs.setValue(epochs)
    panel.batch_size.setValue(32)
    panel.seed.setValue(seed)
    qtbot.mouseClick(panel.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=60_000)
    if path is not None:
        assert window.files.save_to(str(path))


def click_row(window, qtbot, path, modifier=Qt.KeyboardModifier.NoModifier):
    panel = window.runs.panel
    row = panel.view_row_of(path)
    rect = panel.table.visualRect(panel.proxy.index(row, 0))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def map_point(plot, qtbot, x, y):
    """Where the view point (x, y) of a LatentMap is on its viewport."""
    qtbot.wait(50)
    return plot.mapFromScene(plot.getViewBox().mapViewToScene(QPointF(x, y)))


def hover(viewport, pos) -> None:
    """A mouse move over ``viewport`` at ``pos``, as the window system delivers it. Not
    ``QTest.mouseMove``: on the offscreen platform it goes to the top-level window under the
    global point, here the main window beneath the compare window, and never arrives."""
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(pos),
        QPointF(viewport.mapToGlobal(pos)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, event)


def loneliest(plane: np.ndarray) -> int:
    """The held-out point farthest from any other: the mouse over it is over it alone."""
    d = np.linalg.norm(plane[:, None] - plane[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    return int(np.argmax(d.min(axis=1)))


def check_overlay(window, records) -> None:
    """Each selected run's curves are in the loss plot, in its own colour, named in the legend."""
    plot, overlay = window.training.loss_plot, window.runs.overlay
    for record in records:
        train_curve, held_out_curve = overlay.items[record.path]
        assert train_curve in plot.listDataItems() and held_out_curve in plot.listDataItems()
        np.testing.assert_allclose(train_curve.yData, [h["loss"] for h in record.history])
        np.testing.assert_allclose(held_out_curve.yData, [h["val_loss"] for h in record.history])
    legend = [label.text for _, label in plot.plotItem.legend.items]
    assert sum("tutorial d=2" in t for t in legend) == 1 and sum("dense d=2" in t for t in legend) == 1
    colours = {overlay.items[r.path][0].opts["pen"].color().name() for r in records}
    assert len(colours) == 2


def check_compare_hover(window, qtbot) -> None:
    """Hovering a point on map A rings the same held-out image on map B and shows both decodes."""
    compare = window.runs.compare_window
    qtbot.waitExposed(compare)
    assert compare.linked and "same 64 images" in compare.note.text()
    left, right = compare.sides
    index = loneliest(left.plane)
    hover(compare.maps[0].viewport(), map_point(compare.maps[0], qtbot, *left.plane[index]))
    qtbot.waitUntil(lambda: compare.current_index == index, timeout=5_000)
    ring_b = compare.rings[1].data
    assert (float(ring_b["x"][0]), float(ring_b["y"][0])) == pytest.approx(tuple(right.plane[index]), abs=1e-5)
    for side, pane in zip(compare.sides, compare.reconstructions, strict=True):
        np.testing.assert_allclose(shown_image(pane), side.space.decode(side.means[index])[0][..., 0], atol=1e-6)
    np.testing.assert_allclose(shown_image(compare.original), window.session.dataset.x_test[index][..., 0])
    assert f"#{index}" in compare.point_label.text()
    compare.close()


def test_two_runs_appear_overlay_and_compare_in_sync(window, qtbot, dialogs, tmp_path):
    train_and_save(window, qtbot, tmp_path / "a.h5", "tutorial", epochs=1)
    first_history = list(window.session.history)
    train_and_save(window, qtbot, tmp_path / "b.h5", "dense", epochs=2, seed=1)
    records = window.runs.state.records
    assert [r.status for r in records] == ["finished", "finished"] and window.runs.panel.proxy.rowCount() == 2
    assert [r.model_path for r in records] == [str(tmp_path / "a.h5"), str(tmp_path / "b.h5")]
    assert records[0].history == first_history and records[1].history == window.session.history
    assert sorted(glob.glob(str(tmp_path / "runs" / "run-*.run.json"))) == sorted(r.path for r in records)
    on_disk = read_record(records[1].path)
    assert on_disk.config["preset"] == "dense" and on_disk.wall_time > 0 and "tensorflow" in on_disk.versions

    click_row(window, qtbot, records[0].path)
    click_row(window, qtbot, records[1].path, CTRL)
    assert set(window.runs.state.selected) == {r.path for r in records}
    check_overlay(window, records)
    qtbot.mouseClick(window.runs.panel.compare_button, Qt.MouseButton.LeftButton)
    check_compare_hover(window, qtbot)

    # a new run trains beside the overlaid old ones, and is recorded unsaved
    plot, overlay = window.training.loss_plot, window.runs.overlay
    train_and_save(window, qtbot, None, "tutorial", epochs=1, seed=4)
    assert all(overlay.items[r.path][0] in plot.listDataItems() for r in records)
    assert plotted(plot)["epoch_x"] == [1.0]
    assert len(window.runs.state.records) == 3 and window.runs.state.records[2].model_path == ""

    # double-clicking a run opens its model through the files part: the unsaved run is asked about
    panel = window.runs.panel
    rect = panel.table.visualRect(panel.proxy.index(panel.view_row_of(records[0].path), 0))
    dialogs.answer = Answer.Discard
    # a real double-click: a click, then the double-click event (QTest's alone has no press before it)
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialogs.questions[-1][0] == "Open another model"
    qtbot.waitUntil(lambda: window.session.path == str(tmp_path / "a.h5"), timeout=60_000)
    assert window.session.history == first_history


def fake_record(folder, name, model_path, started):
    record = RunRecord(
        started=started,
        status="finished",
        model_path=str(model_path),
        config={"preset": "dense", "latent_dim": 2, "beta": 1.0},
        dataset={"name": "small"},
        history=[{"epoch": 1, "loss": 190.0, "val_loss": 185.0, "val_neg_elbo": 185.0}],
        final={"val_neg_elbo": 185.0},
        wall_time=3.0,
    )
    return write_record(record, os.path.join(folder, name))


def test_delete_asks_and_removes_the_record_not_the_model(window, qtbot, dialogs, tmp_path):
    folder = window.runs.state.folder
    os.makedirs(folder)
    model = tmp_path / "kept.h5"
    model.write_bytes(b"not touched")
    doomed = fake_record(folder, "run-a.run.json", model, "2026-01-01T10:00:00+00:00")
    fake_record(folder, "run-b.run.json", tmp_path / "other.h5", "2026-01-02T10:00:00+00:00")
    window.runs.reload()
    assert window.runs.panel.proxy.rowCount() == 2
    click_row(window, qtbot, doomed)
    dialogs.answer = Answer.No
    qtbot.mouseClick(window.runs.panel.delete_button, Qt.MouseButton.LeftButton)
    assert os.path.exists(doomed) and window.runs.panel.proxy.rowCount() == 2
    title, text = dialogs.questions[-1]
    assert title == "Delete run record" and "kept" in text and str(model) in text
    dialogs.answer = Answer.Yes
    qtbot.mouseClick(window.runs.panel.delete_button, Qt.MouseButton.LeftButton)
    assert not os.path.exists(doomed) and model.read_bytes() == b"not touched"
    assert window.runs.panel.proxy.rowCount() == 1 and window.runs.state.selected == ()


def test_evaluate_shows_progress_and_the_figure_and_records_it(window, qtbot, dialogs, tmp_path):
    train_and_save(window, qtbot, tmp_path / "e.h5", "tutorial", epochs=1)
    window.actions["evaluate"].trigger()
    dialog = window.runs.evaluate_dialog
    qtbot.waitExposed(dialog)
    assert dialog.k.value() == 1000 and "not a negative log-likelihood" in dialog.note.text()
    dialog.k.selectAll()
    qtbot.keyClicks(dialog.k, "5")
    dialog.k.interpretText()
    steps = []
    dialog.progress.valueChanged.connect(steps.append)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
    assert steps and dialog.progress.value() == dialog.progress.maximum() > 0
    assert "K = 5" in dialog.result.text() and "not a negative log-likelihood" in dialog.result.text()
    (record,) = window.runs.state.records
    figures = record.latest_likelihood()
    assert figures["iw_k"] == 5 and figures["likelihood"] == "bernoulli-on-grey" and figures["n"] == 64
    assert f"{figures['iw_nll']:.2f}" in dialog.result.text()
    row = window.runs.panel.view_row_of(record.path)
    assert window.runs.panel.proxy.index(row, 10).data() == f"{figures['iw_nll']:.2f} (K=5)"
    qtbot.mouseClick(dialog.binarize, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
    assert "binarised held-out images" in dialog.result.text()
    assert read_record(record.path).latest_likelihood()["likelihood"] == "bernoulli-binarized"
    check_cancel(dialog, qtbot, record.path)


def check_cancel(dialog, qtbot, record_path) -> None:
    """A long evaluation cancelled from its button: it ends after the current call, adds nothing,
    and the dialog closes once its thread has ended."""
    figures_before = read_record(record_path).likelihood
    dialog.k.setValue(500_000)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=30_000)
    cancel = dialog.buttons.button(dialog.buttons.StandardButton.Close)
    assert cancel.text() == "Cancel"
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running and not dialog.isVisible(), timeout=30_000)
    assert dialog.progress.value() < dialog.progress.maximum()
    assert dialog.result.text().startswith("Cancelled") and read_record(record_path).likelihood == figures_before


def test_a_stopped_run_is_recorded_as_stopped(window, qtbot, long_training):
    qtbot.mouseClick(window.training.panel.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.training.state.running, timeout=30_000)  # the model built and traced
    (running,) = window.runs.state.records
    assert running.status == "running" and running.model_path == ""  # written when the run starts
    qtbot.waitUntil(lambda: len(long_training) > 2, timeout=30_000)
    qtbot.mouseClick(window.training.panel.stop, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=10_000)
    (record,) = window.runs.state.records
    assert record.status == "stopped" and "stopped by request" in record.message and record.history == []
    assert record.config["epochs"] == 1000 and record.dataset["n_train"] == 4000


def test_the_tensorboard_checkbox_logs_the_runs_history(window, qtbot, dialogs, tmp_path):
    from tests.test_cli_runs import events

    box = window.runs.tensorboard_box
    qtbot.mouseClick(box.enabled, Qt.MouseButton.LeftButton)
    assert box.enabled.isChecked() and box.folder() == os.path.join(window.runs.state.folder, "tensorboard")
    train_and_save(window, qtbot, None, "tutorial", epochs=2)
    (record,) = window.runs.state.records
    logdir = record.tensorboard
    assert os.path.dirname(logdir) == box.folder() and not dialogs.warnings
    found = events(__import__("pathlib").Path(logdir))
    for tag, key in {
        "loss": "loss",
        "reconstruction": "reconstruction_loss",
        "kl": "kl_loss",
        "val_neg_elbo": "val_neg_elbo",
    }.items():
        assert {s: v for s, v in found[f"epoch/{tag}"].items() if s != "plugin"} == {
            row["epoch"]: pytest.approx(np.float32(row[key]), rel=1e-6) for row in record.history
        }, tag
    assert record.history == window.session.history
    assert os.path.exists(os.path.join(logdir, "projector_config.pbtxt"))


def test_compare_links_only_models_that_held_out_the_same_images():
    from vae_explorer.explorer.runs.compare import same_held_out

    a = {"name": "mnist", "source": "x.npz", "n_test": 64, "split": {"method": "given"}, "held_out_sha256": "1"}
    assert same_held_out(a, dict(a))[0]
    linked, text = same_held_out(a, {**a, "held_out_sha256": "2"})
    assert not linked and "checksums differ" in text and "not linked" in text
    old = {k: v for k, v in a.items() if k != "held_out_sha256"}
    linked, text = same_held_out(old, dict(old))
    assert linked and "not verified" in text
    assert not same_held_out(old, {**old, "n_test": 32})[0]
