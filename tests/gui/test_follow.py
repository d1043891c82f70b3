"""File ▸ Follow model file and ``--follow``: each version a training elsewhere saves is shown."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from tests.gui.helpers import point_count, reads_on_threads, shown_image
from tests.gui.test_main_window import click_map


def replace_with(source, target) -> None:
    """A new version lands the way ``train`` writes it: a temporary file, then ``os.replace``."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-")
    with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
        out.write(src.read())
    os.replace(tmp, target)


def zoom_in(plot) -> None:
    """One notch of the mouse wheel over the middle of the map, as a user zooms."""
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    centre = QPointF(plot.viewport().rect().center())
    event = QWheelEvent(
        centre,
        QPointF(plot.viewport().mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    before = plot.getViewBox().viewRange()
    QApplication.sendEvent(plot.viewport(), event)
    assert plot.getViewBox().viewRange() != before


def test_following_shows_a_replaced_file_and_keeps_the_view_and_the_clicked_point(
    window, qtbot, dialogs, monkeypatch, two_versions, tmp_path
):
    followed = tmp_path / "model.h5"
    replace_with(two_versions[0], followed)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(followed), "")))
    versions: list[int] = []
    window.follower.version_loaded.connect(versions.append)
    assert window.actions["follow"] in window.menuBar().actions()[0].menu().actions()  # File ▸ Follow…
    read_on = reads_on_threads(monkeypatch)
    window.actions["follow"].trigger()
    assert versions == [] and window.actions["follow"].isChecked()  # read by a background job…
    qtbot.waitUntil(lambda: versions == [1], timeout=30_000)
    assert read_on and threading.main_thread() not in read_on  # …never on the GUI thread
    assert point_count(window.map.map) == len(window.session.codes.means)
    qtbot.waitUntil(lambda: not window.busy(), timeout=10_000)  # the model's dataset, loaded behind
    qtbot.wait(100)
    box = window.map.map.getViewBox()
    (x0, x1), (y0, y1) = window.map.map.visible_region()
    click_map(window, qtbot, x0 + 0.4 * (x1 - x0), y0 + 0.6 * (y1 - y0))
    zoom_in(window.map.map)  # the user's own view: from now on the map keeps it
    clicked, view = window.map.state.current.copy(), box.viewRange()
    before = shown_image(window.map.tools["point"].page.decoded).copy()

    replace_with(two_versions[1], followed)
    qtbot.waitUntil(lambda: versions == [1, 2], timeout=10_000)
    assert len(window.session.history) == 2 and not window.session.dirty
    np.testing.assert_array_equal(window.map.state.current, clicked)  # the clicked point stays…
    np.testing.assert_allclose(box.viewRange(), view)  # …and so does the view
    after = shown_image(window.map.tools["point"].page.decoded)
    np.testing.assert_allclose(after, window.session.space.decode(clicked)[0][..., 0], atol=1e-6)
    assert np.abs(after - before).max() > 1e-3  # decoded with the new weights
    assert threading.main_thread() not in read_on
    assert len(window.training.loss_plot._ex) == 2  # the loss curves show both epochs
    assert dialogs.warnings == [] and dialogs.questions == []
    window.actions["follow"].trigger()  # unchecked: stop
    assert window.follower.path is None and not window.actions["follow"].isChecked()


def test_a_file_that_is_not_a_model_is_said_in_the_status_bar_and_following_goes_on(
    window, qtbot, dialogs, two_versions, tmp_path
):
    followed = tmp_path / "model.h5"
    window.follower.follow(str(followed))  # what --follow does; the file is not there yet
    assert "waiting" in window.statusBar().currentMessage()
    followed.write_bytes(b"not a model")
    qtbot.waitUntil(lambda: "cannot be read" in window.statusBar().currentMessage(), timeout=5000)
    assert "model.h5" in window.statusBar().currentMessage() and dialogs.warnings == []
    replace_with(two_versions[0], followed)
    qtbot.waitUntil(lambda: window.session.path == str(followed), timeout=10_000)
    assert len(window.session.history) == 1


def test_following_a_cli_training_that_saves_every_epoch(window, qtbot, dialogs, tmp_path, mnist):
    """``train --save-every 1`` in another process; the app shows its versions without any action."""
    data = mnist.subset(3000, 64)
    npz = tmp_path / "data.npz"
    np.savez(npz, x_train=data.x_train, y_train=data.y_train, x_test=data.x_test, y_test=data.y_test)
    out = tmp_path / "remote.h5"
    versions: list[int] = []
    window.follower.version_loaded.connect(versions.append)
    window.follower.follow(str(out))
    train = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vae_explorer.explorer.launcher",
            "train",
            "--data",
            str(npz),
            "--preset",
            "tutorial",
            "--epochs",
            "5",
            "--batch-size",
            "64",
            "--save-every",
            "1",
            "--out",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        qtbot.waitUntil(lambda: len(set(versions)) >= 2 or train.poll() is not None, timeout=120_000)
        assert len(set(versions)) >= 2, (versions, train.stderr.read()[-2000:] if train.poll() is not None else "")
        assert versions == sorted(versions)  # successive versions, in order
        assert train.wait(timeout=120) == 0
        qtbot.waitUntil(lambda: versions[-1] == 5, timeout=10_000)  # the final save too
    finally:
        if train.poll() is None:
            train.kill()
            train.wait()
    assert len(window.session.history) == 5 and window.session.path == str(out)
    assert dialogs.warnings == [] and dialogs.questions == []


def test_starting_a_training_in_the_app_stops_following(window, qtbot, two_versions, tmp_path):
    followed = tmp_path / "model.h5"
    replace_with(two_versions[0], followed)
    window.follower.follow(str(followed))
    assert window.actions["follow"].isChecked()
    panel = window.training.panel
    panel.epochs.setValue(1)
    panel.batch_size.setValue(64)
    qtbot.mouseClick(panel.start, Qt.MouseButton.LeftButton)
    assert window.follower.path is None and not window.actions["follow"].isChecked()
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=60_000)
