"""The app's side of the defects a review reproduced (issue 20): following a damaged or changed
file, the figure in the status bar, a t-SNE child that dies, and a window that starts whatever its
settings and runs folder hold."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from tests.gui.helpers import open_model
from tests.gui.test_follow import replace_with
from tests.gui.test_map_layouts_gui import tsne_ready
from tests.test_defects import zeroed_copy


@pytest.fixture(scope="module")
def mse_version(tmp_path_factory, mnist_small, train_and_save):
    """The `tutorial` model of ``two_versions`` trained with squared error: the same shapes, another loss."""
    from vae_explorer.trainer.model.config import TrainConfig

    path = tmp_path_factory.mktemp("mse") / "mse.h5"
    train_and_save(
        TrainConfig(preset="tutorial", epochs=2, batch_size=32, seed=3, reconstruction="mse", beta=4.0),
        mnist_small,
        path,
    )
    return path


def following(window, qtbot, path, versions):
    window.follower.version_loaded.connect(versions.append)
    window.follower.follow(str(path))
    qtbot.waitUntil(lambda: len(versions) == 1, timeout=10_000)


def test_1_a_followed_file_with_a_zeroed_tail_is_said_and_the_last_good_version_stays(
    window, qtbot, dialogs, two_versions, tmp_path
):
    followed, versions = tmp_path / "model.h5", []
    replace_with(two_versions[0], followed)
    following(window, qtbot, followed, versions)
    model, history = window.session.model, list(window.session.history)
    replace_with(zeroed_copy(two_versions[1], tmp_path / "partial.h5"), followed)
    qtbot.waitUntil(lambda: "cannot be read" in window.statusBar().currentMessage(), timeout=10_000)
    assert "the last good version stays" in window.statusBar().currentMessage()
    assert window.session.model is model and window.session.history == history and versions == [1]
    assert dialogs.warnings == []
    replace_with(two_versions[1], followed)  # the copy completed
    qtbot.waitUntil(lambda: versions == [1, 2], timeout=10_000)


def test_7_a_followed_file_replaced_by_another_loss_opens_as_a_new_model(
    window, qtbot, two_versions, mse_version, tmp_path
):
    followed, versions = tmp_path / "model.h5", []
    replace_with(two_versions[0], followed)
    following(window, qtbot, followed, versions)
    shown = window.session.model
    replace_with(mse_version, followed)
    qtbot.waitUntil(lambda: versions == [1, 2], timeout=10_000)
    assert window.session.model is not shown  # not the old model with new weights
    assert window.session.config.reconstruction == "mse" and window.session.config.beta == 4.0
    assert "SSE+KL" in window.training.elbo_label.text()


def test_10_every_figure_on_screen_belongs_to_the_version_shown(window, qtbot, two_versions, tmp_path):
    followed, versions = tmp_path / "model.h5", []
    replace_with(two_versions[0], followed)
    following(window, qtbot, followed, versions)
    assert window.training.elbo_label.text().startswith("1 epoch · ")
    replace_with(two_versions[1], followed)
    qtbot.waitUntil(lambda: versions == [1, 2], timeout=10_000)
    last = window.session.history[-1]["val_neg_elbo"]
    assert window.training.elbo_label.text() == f"2 epochs · held-out −ELBO {last:.2f}"


def test_5_a_killed_t_sne_child_is_noticed_and_the_next_layout_starts_a_new_one(window, qtbot, wide_model_file):
    assert open_model(window, str(wide_model_file))
    service = window.map.layouts
    qtbot.waitUntil(lambda: service.child_pid is not None and service.computing, timeout=10_000)
    os.kill(service.child_pid, signal.SIGKILL)  # as an out-of-memory kill does
    qtbot.waitUntil(lambda: not service.computing, timeout=2_000)  # noticed within 2 s
    assert "ended unexpectedly" in window.statusBar().currentMessage()
    assert "ended unexpectedly" in window.map.axes.mode.text() and "PCA meanwhile" in window.map.axes.mode.text()
    assert window.map.state.projection.kind == "pca"  # the map stays usable
    window.map.axes.choose("pca")
    window.map.axes.choose("tsne")  # the next request starts a new child
    qtbot.waitUntil(lambda: tsne_ready(window), timeout=60_000)


def test_the_window_starts_whatever_its_settings_and_runs_folder_hold(qtbot, tmp_path, dialogs, trained_file):
    from vae_explorer.explorer.main_window import MainWindow

    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "nested.run.json").write_text("[" * 100_000 + "]" * 100_000)
    (runs / "inf.run.json").write_text(
        json.dumps({"format": "vae-explorer-run", "format_version": 1, "wall_time": 1e999})
    )
    (runs / "a-folder.run.json").mkdir()
    damaged = zeroed_copy(trained_file[0], tmp_path / "damaged.h5")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("recent", [str(tmp_path / "deleted.h5"), str(damaged), 5])
    settings.setValue("tensorboard/enabled", [1, 2])
    settings.setValue("tensorboard/folder", 17)
    settings.sync()
    window = MainWindow(settings=settings, runs_dir=str(runs))
    window.show()  # not qtbot.addWidget: pytest-qt would delete it before it is idle (see gui/conftest.py)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Started"), timeout=60_000)
    message = window.statusBar().currentMessage()
    assert "3 unreadable run record(s) skipped" in message and "1 recent file(s) no longer exist" in message
    assert window.recent_menu.isEnabled() and [a.text() for a in window.recent_menu.actions()] == [str(damaged)]
    window.recent_menu.actions()[0].trigger()  # the damaged one: one dialog line, the window goes on
    qtbot.waitUntil(lambda: bool(dialogs.warnings), timeout=60_000)
    assert str(damaged) in dialogs.warnings[-1][1] and "\n" not in dialogs.warnings[-1][1]
    assert np.isfinite(window.training.settings.learning_rate)
    window.close()
    qtbot.waitUntil(lambda: not window.busy(), timeout=10_000)
    window.deleteLater()
