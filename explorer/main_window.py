"""The main window: training on the left, the loss plot above, the latent map and its panels below.

TensorFlow is loaded on a background thread after the window is shown; until then the
buttons that need it are disabled. Every file the user names goes through the core, and any
``UserError`` becomes a dialog that names the file and the problem: the app goes on.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from PySide6.QtCore import QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QFileDialog, QInputDialog, QLabel, QMainWindow, QMessageBox, QSplitter,
    QVBoxLayout, QWidget,
)

from vae_explorer.explorer.explore_controller import AxesChooser, ExploreController
from vae_explorer.explorer.explore_panel import ExplorePanel
from vae_explorer.explorer.latent_map import LatentMap
from vae_explorer.explorer.loss_plot import LossPlot
from vae_explorer.explorer.session import Session
from vae_explorer.explorer.train_panel import TrainPanel
from vae_explorer.explorer.training_runner import TrainingRunner
from vae_explorer.explorer.workers import Job
from vae_explorer.trainer.data import DEFAULT_DATASET
from vae_explorer.trainer.errors import UserError

MAX_RECENT = 8
EMBEDDED_LABEL = "MNIST (embedded)"
MODEL_FILTER = "vae-explorer models (*.h5);;All files (*)"
DATASET_FILTER = "Datasets (*.npz);;All files (*)"


def _load_tensorflow():
    """Import everything that needs TensorFlow (runs on a worker thread)."""
    import vae_explorer.trainer.latent  # noqa: F401
    import vae_explorer.trainer.modelfile  # noqa: F401
    import vae_explorer.trainer.training  # noqa: F401

    return True


class MainWindow(QMainWindow):
    closed = Signal()  # the window has really closed (after any background work ended)

    def __init__(self, settings: QSettings | None = None, load_tf: bool = True):
        super().__init__()
        self.setWindowTitle("vae-explorer")
        self.resize(1400, 900)
        self.setAcceptDrops(True)
        self.settings = settings or QSettings("vae-explorer", "vae-explorer")
        self.session = Session()
        self.tf_ready = False
        self.runner = TrainingRunner(self)
        self._jobs: list[Job] = []  # running background jobs
        self._pending_model: str | None = None
        self._dataset_requests = 0  # numbers load_dataset calls, so that a slow one cannot
        self._dataset_shown = 0  # replace a dataset asked for later that arrived first
        self._closing = False
        self._build_widgets()
        self._build_menus()
        self._connect()
        self.train_panel.add_dataset(EMBEDDED_LABEL, DEFAULT_DATASET)
        self._update_state()
        self.status_elbo = QLabel("")
        self.statusBar().addPermanentWidget(self.status_elbo)
        if load_tf:
            self.statusBar().showMessage("Loading TensorFlow…")
            self.run_in_background(_load_tensorflow, self._tf_loaded, self._tf_failed)
        self.load_dataset(DEFAULT_DATASET)

    # ------------------------------------------------------------------ layout
    def _build_widgets(self) -> None:
        self.train_panel = TrainPanel()
        self.train_panel.setMaximumWidth(330)
        self.loss_plot = LossPlot()
        self.latent_map = LatentMap()
        self.explore_panel = ExplorePanel()
        self.axes = AxesChooser()
        map_box = QWidget()
        map_layout = QVBoxLayout(map_box)
        map_layout.setContentsMargins(0, 0, 0, 0)
        map_layout.addWidget(self.axes)
        map_layout.addWidget(self.latent_map, 1)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(map_box)
        lower.addWidget(self.explore_panel)
        lower.setSizes([700, 360])
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.loss_plot)
        right.addWidget(lower)
        right.setSizes([260, 640])
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(self.train_panel)
        main.addWidget(right)
        main.setStretchFactor(1, 1)
        self.setCentralWidget(main)
        self.explorer = ExploreController(self.session, self.latent_map, self.explore_panel, self.axes,
                                          status=lambda text: self.statusBar().showMessage(text, 8000))

    def _action(self, menu, text, slot, shortcut=None, tip=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self.act_open = self._action(file, "&Open model…", self.open_model_dialog, QKeySequence.StandardKey.Open)
        self.act_open_data = self._action(file, "Open &dataset…", self.open_dataset_dialog, "Ctrl+Shift+O",
                                          "An .npz file, an IDX folder or a folder of images")
        self.recent_menu = file.addMenu("Open &recent")
        file.addSeparator()
        self.act_save = self._action(file, "&Save model", self.save_model, QKeySequence.StandardKey.Save)
        self.act_save_as = self._action(file, "Save model &as…", self.save_model_as, "Ctrl+Shift+S")
        file.addSeparator()
        export = file.addMenu("&Export")
        self.act_export_grid = self._action(export, "Manifold &grid (PNG)…", lambda: self.export_png("grid"), "Ctrl+E")
        self.act_export_samples = self._action(export, "Random &samples (PNG)…", lambda: self.export_png("samples"))
        self.act_export_interp = self._action(export, "&Interpolation strip (PNG)…",
                                              lambda: self.export_png("interpolation"))
        self.act_export_traverse = self._action(export, "&Traversal (PNG)…", lambda: self.export_png("traversal"))
        export.addSeparator()
        self.act_export_csv = self._action(export, "Latent &codes (CSV)…", self.export_csv, "Ctrl+Shift+E")
        self.act_export_keras = self._action(export, "&Keras model (.keras)…", self.export_keras)
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        train = bar.addMenu("&Training")
        self.act_start = self._action(train, "&Start", self.start_training, "Ctrl+R")
        self.act_continue = self._action(train, "&Continue training", self.continue_training, "Ctrl+Shift+R")
        self.act_pause = self._action(train, "&Pause / resume", self.toggle_pause, "Ctrl+P")
        self.act_stop = self._action(train, "S&top", self.stop_training, "Ctrl+.")
        view = bar.addMenu("&View")
        self.act_log = self._action(view, "&Log-scale loss", lambda on: self.loss_plot.set_log_scale(on), "Ctrl+L")
        self.act_log.setCheckable(True)
        self._action(view, "&Fit plots to data", self._fit_views, "Ctrl+0")
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About", self._about)
        self._refresh_recent()

    def _connect(self) -> None:
        p = self.train_panel
        p.start.clicked.connect(self.start_training)
        p.pause.clicked.connect(self.toggle_pause)
        p.stop.clicked.connect(self.stop_training)
        p.continue_training.clicked.connect(self.continue_training)
        p.open_dataset_requested.connect(self.open_dataset_dialog)
        p.dataset_chosen.connect(self.load_dataset)
        self.runner.batches_done.connect(self._on_batches)
        self.runner.epoch_done.connect(self._on_epoch)
        self.runner.returned.connect(self._on_trained)
        self.runner.errored.connect(lambda msg: self.show_error("Training failed", msg))
        self.runner.finished.connect(self._update_state)

    def _update_state(self) -> None:
        training = self.runner.running
        has_model = self.session.has_model
        ready = self.tf_ready and self.session.dataset is not None
        self.train_panel.set_state(ready, training, self.runner.paused, has_model)
        self.act_start.setEnabled(ready and not training)
        self.act_continue.setEnabled(ready and not training and has_model)
        self.act_pause.setEnabled(training)
        self.act_stop.setEnabled(training)
        for act in (self.act_open, self.act_open_data):
            act.setEnabled(self.tf_ready and not training)
        for act in (self.act_save, self.act_save_as, self.act_export_grid, self.act_export_samples,
                    self.act_export_traverse, self.act_export_interp, self.act_export_csv, self.act_export_keras):
            act.setEnabled(has_model and not training)
        title = "vae-explorer"
        if self.session.path:
            title += f" — {os.path.basename(self.session.path)}"
        self.setWindowTitle(title + (" *" if self.session.dirty else ""))

    # ------------------------------------------------------------------ background jobs
    def run_in_background(self, fn, on_done, on_error=None) -> None:
        job = Job(fn, on_done, on_error or (lambda msg: self.show_error("Error", msg)), self)
        self._jobs.append(job)
        job.done.connect(self._job_done)

    @Slot(object)
    def _job_done(self, job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
        job.deleteLater()

    def _tf_loaded(self, _=None) -> None:
        self.tf_ready = True
        self.statusBar().showMessage("TensorFlow ready", 3000)
        self._update_state()
        if self._pending_model:
            path, self._pending_model = self._pending_model, None
            self.open_model(path)

    def _tf_failed(self, message: str) -> None:
        self.show_error("TensorFlow could not be loaded", message)

    def busy(self) -> bool:
        """True while any background thread of this window runs."""
        return bool(self._jobs) or self.runner.thread_alive

    # ------------------------------------------------------------------ datasets
    def load_dataset(self, spec: str) -> None:
        from vae_explorer.trainer.data import load_dataset

        self._dataset_requests += 1
        request = self._dataset_requests
        self.statusBar().showMessage(f"Loading dataset {spec}…")
        self.run_in_background(lambda: load_dataset(spec), lambda dataset: self._dataset_arrived(request, dataset),
                               lambda msg: self.show_error("Cannot open dataset", msg))

    def _dataset_arrived(self, request: int, dataset) -> None:
        """E.g. the embedded MNIST the window starts with, arriving after ``--data``'s dataset."""
        if request < self._dataset_shown:
            return
        self._dataset_shown = request
        self._dataset_loaded(dataset)

    def _dataset_loaded(self, dataset) -> None:
        self.session.dataset = dataset
        embedded = dataset.name == DEFAULT_DATASET
        if embedded:
            self.train_panel.add_dataset(EMBEDDED_LABEL, DEFAULT_DATASET)
        else:
            self.train_panel.add_dataset(os.path.basename(dataset.source) or dataset.name, dataset.source)
        shape = "×".join(map(str, dataset.image_shape))
        labels = f", {len(dataset.label_names)} classes" if dataset.label_names else ""
        self.train_panel.dataset_info.setText(
            f"{len(dataset.x_train):,} train / {len(dataset.x_test):,} held-out images, {shape}{labels}")
        if not embedded:
            self._add_recent(dataset.source)
        if dataset.warnings:
            shown = "\n".join(dataset.warnings[:10])
            more = f"\n… and {len(dataset.warnings) - 10} more" if len(dataset.warnings) > 10 else ""
            # Skipped files, and images resized because they were too large for a model.
            self.show_error("Dataset loaded with warnings",
                            f"{dataset.source}: {len(dataset.warnings)} warning(s):\n{shown}{more}")
        self.statusBar().showMessage(f"Dataset {dataset.name} loaded", 3000)
        if self.session.has_model and self.session.codes is None:
            self._encode_held_out()
        self._update_state()

    def open_dataset_dialog(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle("Open dataset")
        box.setText("What kind of dataset?")
        npz = box.addButton(".npz file…", QMessageBox.ButtonRole.AcceptRole)
        folder = box.addButton("IDX or image folder…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is npz:
            path, _ = QFileDialog.getOpenFileName(self, "Open dataset", "", DATASET_FILTER)
        elif box.clickedButton() is folder:
            path = QFileDialog.getExistingDirectory(self, "Open IDX or image folder")
        else:
            return
        if path:
            self.load_dataset(path)

    # ------------------------------------------------------------------ training
    def start_training(self) -> None:
        if self.runner.running or not self.tf_ready or self.session.dataset is None:
            return
        if self.session.dirty and not self._confirm_discard("Start a new model"):
            return
        from vae_explorer.trainer.training import Trainer

        try:
            config = self.train_panel.config()
            with self._preparing():
                # The old model is discarded: its compiled graphs are reused if it has the same
                # architecture (its weights are reset to a new model's), which saves the tracing.
                trainer = Trainer(config, self.session.dataset, encode_each_epoch=True,
                                  recycle=self.session.compiled)
        except UserError as exc:
            self.show_error("Cannot start training", str(exc))
            return
        self.session.path = None
        self._begin(trainer, fresh=True)

    def continue_training(self) -> None:
        if self.runner.running or not self.session.has_model or self.session.dataset is None:
            return
        from vae_explorer.trainer.config import TrainConfig
        from vae_explorer.trainer.training import Trainer

        panel = self.train_panel.config()
        base = self.session.config.to_dict()
        base.update(epochs=panel.epochs, batch_size=panel.batch_size, learning_rate=panel.learning_rate,
                    beta=panel.beta, kl_warmup_epochs=panel.kl_warmup_epochs)
        try:
            with self._preparing():
                trainer = Trainer(TrainConfig.from_dict(base), self.session.dataset, model=self.session.model,
                                  history=self.session.history, encode_each_epoch=True,
                                  recycle=self.session.compiled)
        except UserError as exc:
            self.show_error("Cannot continue training", str(exc))
            return
        self._begin(trainer, fresh=False)

    @contextmanager
    def _preparing(self):
        """Building and compiling the model runs here, on the GUI thread, on purpose:
        TensorFlow may deadlock when a function is first traced on a worker thread
        (tensorflow#66115). It takes a second or two; say so and show a busy cursor."""
        self.statusBar().showMessage("Preparing the model (building and compiling)…")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        QApplication.processEvents()
        try:
            yield
        finally:
            QApplication.restoreOverrideCursor()

    def _begin(self, trainer, fresh: bool) -> None:
        from vae_explorer.trainer.latent import LatentSpace

        s = self.session
        s.model, s.config, s.history = trainer.model, trainer.config, list(trainer.history)
        s.compiled = trainer.compiled
        s.dataset_info = s.dataset.describe()
        s.space = trainer.latent if fresh else (s.space or LatentSpace(trainer.model))
        if fresh:
            s.codes = None
            self.loss_plot.clear_data()
            self.explorer.reset()
            self.latent_map.getViewBox().enableAutoRange()
        else:
            self.loss_plot.set_history(s.history)
        self.loss_plot.set_planned_epochs(len(trainer.history) + trainer.config.epochs)
        self.runner.start(trainer)
        self.statusBar().showMessage(f"Training '{trainer.config.preset}' on {s.dataset.name}…")
        self._update_state()

    def toggle_pause(self) -> None:
        self.runner.toggle_pause()
        if self.runner.paused:
            self.train_panel.show_idle("paused")
        self._update_state()

    def stop_training(self) -> None:
        self.runner.stop()
        self.statusBar().showMessage("Stopping after this batch…")

    def _on_batches(self, reports) -> None:
        for report in reports:
            self.loss_plot.add_batch(report)
        self.train_panel.show_batch(reports[-1])

    def _on_epoch(self, report) -> None:
        from vae_explorer.trainer.latent import LatentCodes

        s = self.session
        row = report.history_row()
        s.history.append(row)
        s.dirty = True
        self.loss_plot.add_epoch(row)
        self.status_elbo.setText(f"epoch {report.epoch}/{report.epochs} · held-out −ELBO {report.val_neg_elbo:.2f}")
        if report.latent_means is not None:
            s.codes = LatentCodes(report.latent_means, None, s.dataset.y_test)
            self.explorer.refresh_map(keep_view=True)
        self._update_state()

    def _on_trained(self, result) -> None:
        s = self.session
        s.history = list(result.history)
        s.dirty = s.dirty or result.epochs_done > 0
        self.train_panel.show_idle({"finished": "finished", "stopped": "stopped",
                                    "diverged": "stopped: loss diverged"}[result.status])
        if result.status == "diverged":
            self.show_error("Training stopped", result.message)
        else:
            self.statusBar().showMessage(result.message, 8000)
        if s.codes is None and s.model is not None:
            self._encode_held_out()
        self._update_state()

    def _encode_held_out(self) -> None:
        s = self.session
        if s.space is None or s.dataset is None or s.dataset.image_shape != tuple(s.model.image_shape):
            return
        s.codes = s.space.codes(s.dataset.x_test, s.dataset.y_test)
        self.explorer.refresh_map()

    # ------------------------------------------------------------------ model files
    def open_model_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model", self._last_folder(), MODEL_FILTER)
        if path:
            self.open_model(path)

    def open_model(self, path: str) -> bool:
        """Load a model file into the window; a bad file gives a dialog and changes nothing."""
        if not self.tf_ready:
            self._pending_model = path
            self.statusBar().showMessage(f"{path} opens when TensorFlow is ready…")
            return False
        if self.runner.running:
            self.show_error("Cannot open a model", "Stop the training first.")
            return False
        if self.session.dirty and not self._confirm_discard("Open another model"):
            return False
        from vae_explorer.trainer.latent import LatentSpace
        from vae_explorer.trainer.modelfile import load_model

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            loaded = load_model(path)
        except UserError as exc:
            self.show_error("Cannot open model", str(exc))
            return False
        finally:
            QApplication.restoreOverrideCursor()
        s = self.session
        s.model, s.config, s.history = loaded.model, loaded.config, list(loaded.history)
        s.dataset_info, s.codes, s.path, s.dirty = loaded.dataset, loaded.latent, os.path.abspath(path), False
        s.space, s.compiled = LatentSpace(loaded.model), None
        self.train_panel.show_config(loaded.config)
        self.loss_plot.set_history(s.history)
        self.explorer.reset()
        if s.codes is None:
            self._encode_held_out()
        self.explorer.refresh_map()
        self._maybe_load_model_dataset(loaded.dataset)
        if s.history:
            self.status_elbo.setText(f"{len(s.history)} epochs · held-out −ELBO {s.history[-1].get('val_neg_elbo', float('nan')):.2f}")
        self._add_recent(path)
        self.statusBar().showMessage(f"Opened {path}", 5000)
        self._update_state()
        return True

    def _maybe_load_model_dataset(self, info: dict) -> None:
        """Show originals beside reconstructions: load the model's own dataset if we can."""
        current = self.session.dataset
        if current is not None and current.describe().get("name") == info.get("name") \
                and list(current.image_shape) == list(info.get("image_shape", [])):
            return
        source, name = info.get("source", ""), info.get("name")
        spec = source if source and os.path.exists(source) else (name if name == DEFAULT_DATASET else None)
        if spec:
            self.load_dataset(spec)

    def save_model(self) -> bool:
        if not self.session.path:
            return self.save_model_as()
        return self._save_to(self.session.path)

    def save_model_as(self) -> bool:
        if not self.session.has_model:
            return False
        path, _ = QFileDialog.getSaveFileName(self, "Save model as", self._last_folder("model.h5"), MODEL_FILTER)
        if not path:
            return False
        if not path.lower().endswith(".h5"):
            path += ".h5"
        return self._save_to(path)

    def _save_to(self, path: str) -> bool:
        from vae_explorer.trainer.modelfile import save_model

        s = self.session
        codes = s.codes
        images = s.held_out_images()
        if images is not None and s.space is not None:
            codes = s.space.codes(images, s.dataset.y_test)
        try:
            save_model(path, s.model, s.config, s.history, s.dataset_info, codes)
        except UserError as exc:
            self.show_error("Cannot save model", str(exc))
            return False
        s.path, s.dirty = os.path.abspath(path), False
        self._add_recent(path)
        self.statusBar().showMessage(f"Saved {path}", 5000)
        self._update_state()
        return True

    # ------------------------------------------------------------------ exports
    def export_png(self, what: str, path: str | None = None, scale: int | None = None) -> bool:
        """Write the manifold grid, samples, interpolation strip or traversal as a PNG."""
        from vae_explorer.trainer import exports
        from vae_explorer.trainer.imagegrid import tile, upscale, write_png

        s = self.session
        if s.space is None:
            return False
        if what == "grid":
            (x0, x1), (y0, y1) = self.latent_map.visible_region()
            image = exports.manifold_grid(s.space, self.explorer.projection, self.explore_panel.grid_n.value(),
                                          (x0, x1), (y0, y1))
        elif what == "samples":
            image = exports.samples(s.space, 64, seed=self.train_panel.seed.value())
        elif what == "interpolation":
            if self.explorer.frames is None:
                self.show_error("Nothing to export", "Set two endpoints (A and B) in the Interpolate tab first.")
                return False
            image = tile(self.explorer.frames, cols=len(self.explorer.frames))
        else:
            if self.explorer.current is None:
                self.show_error("Nothing to export", "Click a point on the map first: the traversal is around it.")
                return False
            image = exports.traversal_sheet(s.space, self.explorer.current,
                                            self.explore_panel.traverse_steps.value(),
                                            self.explore_panel.traverse_span.value())
        if scale is None:
            h, w = image.shape[:2]
            scale, ok = QInputDialog.getInt(self, "Export size", f"Enlarge each pixel by (1× is {w}×{h} px):",
                                            4, 1, 32)
            if not ok:
                return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export PNG", self._last_folder(f"{what}.png"), "PNG (*.png)")
            if not path:
                return False
        if not path.lower().endswith(".png"):
            path += ".png"
        try:
            write_png(path, upscale(image, scale))
        except UserError as exc:
            self.show_error("Cannot export", str(exc))
            return False
        self.statusBar().showMessage(f"Wrote {path}", 5000)
        return True

    def export_csv(self, path: str | None = None) -> bool:
        from vae_explorer.trainer.exports import write_latent_csv

        s = self.session
        if s.codes is None:
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export latent codes", self._last_folder("latent.csv"),
                                                  "CSV (*.csv)")
            if not path:
                return False
        try:
            write_latent_csv(path, s.codes, s.label_names())
        except UserError as exc:
            self.show_error("Cannot export", str(exc))
            return False
        self.statusBar().showMessage(f"Wrote {path}", 5000)
        return True

    def export_keras(self) -> bool:
        from vae_explorer.trainer.keras_export import export_keras

        path, _ = QFileDialog.getSaveFileName(self, "Export Keras model", self._last_folder("vae.keras"),
                                              "Keras (*.keras)")
        if not path:
            return False
        if not path.endswith(".keras"):
            path += ".keras"
        try:
            export_keras(path, self.session.model, "vae")
        except UserError as exc:
            self.show_error("Cannot export", str(exc))
            return False
        self.statusBar().showMessage(f"Wrote {path}", 5000)
        return True

    # ------------------------------------------------------------------ recent files, drops
    def _recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        if isinstance(value, str):
            value = [value]
        return [v for v in (value or []) if isinstance(v, str)]

    def _add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        items = [path] + [p for p in self._recent() if p != path]
        self.settings.setValue("recent", items[:MAX_RECENT])
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in self._recent():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(self._recent()))

    def _last_folder(self, name: str = "") -> str:
        recent = self._recent()
        folder = os.path.dirname(recent[0]) if recent else os.getcwd()
        return os.path.join(folder, name) if name else folder

    def open_path(self, path: str) -> None:
        """A model (.h5) opens as a model; anything else is tried as a dataset."""
        if path.lower().endswith(".h5"):
            self.open_model(path)
        else:
            self.load_dataset(path)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.open_path(url.toLocalFile())
                break

    # ------------------------------------------------------------------ dialogs
    def show_error(self, title: str, message: str) -> None:
        self.statusBar().showMessage(message.splitlines()[0], 10000)
        QMessageBox.warning(self, title, message)

    def _confirm_discard(self, what: str) -> bool:
        answer = QMessageBox.question(
            self, what, "The current model has unsaved training. Save it first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Save:
            return self.save_model()
        return answer == QMessageBox.StandardButton.Discard

    def _fit_views(self) -> None:
        self.latent_map.getViewBox().enableAutoRange()
        self.loss_plot.fit()

    def _about(self) -> None:
        QMessageBox.about(self, "About vae-explorer",
                          "vae-explorer: train a convolutional VAE and explore its latent space.\n"
                          "Embedded data: MNIST (Yann LeCun, Corinna Cortes), CC BY-SA 3.0.")

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event) -> None:
        """Stop training within 2 s, offer to save, and leave no thread running."""
        if self.runner.running:
            self.runner.stop()
            self.runner.wait(2000)
            QApplication.processEvents()  # deliver the last epoch and the result
        if self.session.dirty and not self._closing:
            if not self._confirm_discard("Quit"):
                event.ignore()
                return
        self._closing = True
        if self.busy():
            # A background job (e.g. TensorFlow still importing) cannot be interrupted:
            # hide now and finish closing when it ends; nothing is terminated.
            self.hide()
            event.ignore()
            QTimer.singleShot(100, self.close)
            return
        self.loss_plot.stop_updates()
        self.settings.sync()  # the process may end without running QSettings's destructor
        event.accept()
        self.closed.emit()
