"""GUI fixtures: a real main window on small real data, dialogs answered, no QThread leaks."""

from __future__ import annotations

import multiprocessing
import time
import traceback
import weakref

import pytest
from PySide6.QtCore import QSettings, QThread
from PySide6.QtWidgets import QApplication, QMessageBox

from vae_explorer.trainer import collector


@pytest.fixture(autouse=True)
def no_dangling_qthreads(monkeypatch):
    """Fail any test that leaves a QThread running (napari's ``_dangling_qthreads``), a helper
    process alive (the t-SNE child: closing the window must end it) or a window open."""
    started = weakref.WeakKeyDictionary()
    original = QThread.start

    def start(self, *args):
        started[self] = "".join(traceback.format_stack(limit=6))
        original(self, *args)

    monkeypatch.setattr(QThread, "start", start)
    yield
    deadline = time.monotonic() + 1.0
    running = []
    while True:
        running = []
        for thread, where in list(started.items()):
            try:
                if thread.isRunning():
                    running.append(where)
            except RuntimeError:  # deleted on the C++ side: finished
                pass
        if not running or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not running, "QThread(s) left running, started at:\n" + "\n".join(running)
    children = multiprocessing.active_children()
    assert not children, f"helper process(es) left alive: {[c.name for c in children]}"
    # A window left open keeps Python's collector to its GUI thread (trainer.collector): the
    # tests after it would run with no collection at all. (A close while busy ends 100 ms later.)
    deadline = time.monotonic() + 5.0
    while collector.held_by_windows() and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    assert collector.held_by_windows() == 0, "a window was left open: close it"


class Dialogs:
    """Records what the app would have shown, and answers questions."""

    def __init__(self):
        self.warnings: list[tuple[str, str]] = []
        self.questions: list[tuple[str, str]] = []  # (title, text) of each question asked
        self.answer = QMessageBox.StandardButton.Discard

    def question(self, parent, title, text, *args, **kwargs):
        self.questions.append((title, text))
        return self.answer


@pytest.fixture
def dialogs(monkeypatch):
    d = Dialogs()
    monkeypatch.setattr(
        QMessageBox, "warning", staticmethod(lambda parent, title, text, *a: d.warnings.append((title, text)))
    )
    monkeypatch.setattr(QMessageBox, "question", staticmethod(d.question))
    return d


@pytest.fixture
def window(qtbot, tmp_path, dialogs, mnist_small):
    """The real main window, TensorFlow loaded, on a few hundred real MNIST images."""
    from vae_explorer.explorer.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, runs_dir=str(tmp_path / "runs"))  # never the user's data folder
    # Not qtbot.addWidget: pytest-qt would delete the window before this fixture's teardown, while
    # a background job may still run (Qt aborts on a QThread destroyed while running).
    w.show()
    qtbot.waitUntil(lambda: w.session.tf_ready and w.session.dataset is not None and not w.busy(), timeout=60_000)
    w.datasets.show(mnist_small)
    yield w
    if w.training.runner.running:
        w.training.runner.stop()
        w.training.runner.wait(5000)
    dialogs.answer = QMessageBox.StandardButton.Discard  # a test may have left Cancel: the window must close
    w.close()
    qtbot.waitUntil(lambda: not w.busy() and not w.isVisible(), timeout=10_000)  # closed, or closing
    w.deleteLater()


@pytest.fixture(scope="session")
def gui_model_file(tmp_path_factory, mnist, train_and_save):
    """A small model that already draws distinct digits: `dense`, latent 2, ~120 steps."""
    from vae_explorer.trainer.model.config import TrainConfig

    config = TrainConfig(preset="dense", latent_dim=2, epochs=2, batch_size=64, learning_rate=3e-3, seed=0)
    path = tmp_path_factory.mktemp("gui") / "dense.h5"
    _, result = train_and_save(config, mnist.subset(4000, 64), path)
    return path, result


@pytest.fixture
def long_training(window, mnist) -> list:
    """The window's panel set for a run that only a Stop ends; the list batch reports land in.

    The training split is 4,000 images (125 batches of 32) so that a Stop sent after a few
    batch reports always lands inside the first epoch: with a few hundred images a whole
    epoch could end between two bundled reports on a busy machine.
    """
    window.datasets.show(mnist.subset(4000, 64))
    panel = window.training.panel
    panel.set_preset("tutorial")
    panel.epochs.setValue(1000)
    panel.batch_size.setValue(32)
    batches: list = []
    window.training.runner.batches_done.connect(batches.extend)
    return batches


@pytest.fixture(scope="session")
def two_versions(tmp_path_factory, mnist_small, train_and_save):
    """Two files of one `tutorial` model: after 1 and after 2 epochs (same seed)."""
    from vae_explorer.trainer.model.config import TrainConfig

    folder = tmp_path_factory.mktemp("versions")
    paths = []
    for epochs in (1, 2):
        path = folder / f"v{epochs}.h5"
        train_and_save(TrainConfig(preset="tutorial", epochs=epochs, batch_size=32, seed=3), mnist_small, path)
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def wide_model_file(tmp_path_factory, mnist, train_and_save):
    """A `dense` model with latent 6 on 2,000 real images, 64 held out: its map is a t-SNE layout."""
    from vae_explorer.trainer.model.config import TrainConfig

    path = tmp_path_factory.mktemp("wide") / "wide.h5"
    config = TrainConfig(preset="dense", latent_dim=6, epochs=2, batch_size=64, learning_rate=3e-3, seed=0)
    train_and_save(config, mnist.subset(2000, 64), path)
    return path
