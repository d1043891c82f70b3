"""The main window: it builds itself from the parts and wires them, nothing more.

Training on the left, the loss plot above, the latent map and its tools below. Each concern is a
part with its own package and state objects, built with one ``AppContext`` (session, settings,
jobs, errors, status line): ``training``, ``datasets``, ``files`` (open, save, recents, drops,
follow), ``map`` (the map, its layouts, and the tools that plug in through its ``ToolContext``),
``exports``, ``runs``, and the action table. TensorFlow is loaded on a background thread after
the window is shown; until then its actions are disabled.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QSplitter, QVBoxLayout, QWidget

from vae_explorer.explorer.context import AppContext
from vae_explorer.explorer.core.actions import ActionTable, Facts
from vae_explorer.explorer.core.errors import ErrorSink
from vae_explorer.explorer.core.guide import Guide
from vae_explorer.explorer.core.jobs import BackgroundJobs
from vae_explorer.explorer.core.session import Session
from vae_explorer.explorer.data.chooser import DatasetChooser
from vae_explorer.explorer.files import session_parts
from vae_explorer.explorer.files.controller import Answer, ModelFiles
from vae_explorer.explorer.files.drops import DropFilter
from vae_explorer.explorer.files.exports import Exporter
from vae_explorer.explorer.files.follow import ModelFollower
from vae_explorer.explorer.files.recents import RecentFiles, RecentMenu
from vae_explorer.explorer.files.report import ReportExporter
from vae_explorer.explorer.map.controller import MapController
from vae_explorer.explorer.map.data_layer import MapDataLayer
from vae_explorer.explorer.map.palette_choice import PaletteChoice
from vae_explorer.explorer.runs.controller import RunsController
from vae_explorer.explorer.tools import all_tools
from vae_explorer.explorer.training.controller import TrainingController
from vae_explorer.trainer.data import DEFAULT_DATASET

if TYPE_CHECKING:
    from vae_explorer.explorer.draw.controller import DrawTool

CLOSE_WAIT_MS = 2000
ABOUT = (
    "vae-explorer: train a convolutional VAE and explore its latent space.\n"
    "Embedded data: MNIST (Yann LeCun, Corinna Cortes), CC BY-SA 3.0."
)


def _load_tensorflow():
    """Import TensorFlow and what needs it (on a worker thread), and what the first map draw needs:
    imported on the GUI thread, scipy.spatial stalled it 0.2-0.4 s, scipy.signal (holes) 0.85 s."""
    import scipy.signal  # noqa: F401
    import scipy.spatial  # noqa: F401

    import vae_explorer.trainer.files.modelfile  # noqa: F401
    import vae_explorer.trainer.maps.layout_process  # noqa: F401
    import vae_explorer.trainer.maps.legibility  # noqa: F401
    import vae_explorer.trainer.model.space  # noqa: F401
    import vae_explorer.trainer.training.loop  # noqa: F401
    from vae_explorer.trainer.tf_runtime import import_tensorflow

    return import_tensorflow() is not None  # those import it lazily: at Start it froze the window 2-8 s


class MainWindow(QMainWindow):
    closed = Signal()  # the window has really closed (after any background work ended)
    # The menus' actions by name (hides QWidget.actions(), which nothing calls on the window).
    actions: ActionTable  # type: ignore[assignment]

    def __init__(self, settings: QSettings | None = None, runs_dir: str | None = None):
        """``runs_dir``: where run records go (default: the user data folder; tests pass their own)."""
        super().__init__()
        self._runs_dir = runs_dir
        self.resize(1400, 900)
        self.setAcceptDrops(True)
        self.settings = settings or QSettings("vae-explorer", "vae-explorer")
        self.session = Session()
        self._closing = False
        self._build_parts()
        self._build_layout()
        self._build_actions()
        self._connect()
        self._update_title()
        self.statusBar().showMessage("Loading TensorFlow…")
        self.jobs.run(
            _load_tensorflow, lambda _: self._tf_loaded(), self.errors.reporter("TensorFlow could not be loaded")
        )
        self.datasets.load(DEFAULT_DATASET)

    # -- building -------------------------------------------------------------------------
    def _build_parts(self) -> None:
        self.errors = ErrorSink(self)
        self.jobs = BackgroundJobs(
            self.errors.reporter("Error"), self, status=lambda text: self.show_status(text, 8000)
        )
        self.app = AppContext(self, self.session, self.settings, self.jobs, self.errors, self.show_status)
        self.recents = RecentFiles(self.settings, self)
        self.training = TrainingController(self.app, self._confirm_discard)
        self.datasets = DatasetChooser(self.app, self.training.state)
        self.files = ModelFiles(self.app, self.training.state, self.recents, self.datasets)
        self.follower = ModelFollower(
            self.app,
            self.training.state,
            self.files,
            self.training.loss_plot.set_history,
            in_use=lambda: self.runs.busy,
        )
        self.map = MapController(self.app)
        self.map.points.training = lambda: self.training.state.running
        self.map_data = MapDataLayer(self.map.context, self.map.style, self)
        self.map.context.want_metrics = lambda: self.map_data.want_metrics(asked=True)
        self.exports = Exporter(self.app, self.map.tools, self.recents, self.training.settings)
        self.map.context.export_png = self.exports.export_png
        self.report = ReportExporter(self.app, self.recents.last_folder, self.map.live_picture)
        self.map.add_tools(all_tools())
        self.draw = cast("DrawTool", self.map.tools["draw"])
        self.runs: RunsController = RunsController(self.app, self.training, self.files, self._runs_dir)
        self.drops = DropFilter(self)
        self.installEventFilter(self.drops)
        self.guide = Guide(self, lambda: [self.map_data.toolbar.thumbnails])  # Ctrl+Shift+P, F1
        self.colours = PaletteChoice(self.map.view_state, self.settings, self)  # View ▸ Class colours
        self.view_range, self.sessions, self.undo = session_parts.build(self)  # last: see session_parts.build

    def _build_layout(self) -> None:
        left = _column(self.datasets.box, self.training.panel)
        left.setMaximumWidth(330)
        lower = _splitter(
            Qt.Orientation.Horizontal, _column(self.map.axes, self.map_data.toolbar, self.map.map), self.map.panel
        )
        lower.setSizes([700, 360])
        right = _splitter(Qt.Orientation.Vertical, self.training.loss_plot, lower)
        right.setSizes([260, 640])
        main = _splitter(Qt.Orientation.Horizontal, left, right)
        main.setStretchFactor(1, 1)
        self.setCentralWidget(main)
        self.statusBar().addPermanentWidget(self.training.elbo_label)
        self.training.panel.add_option(self.runs.tensorboard_box)
        self.runs_dock = QDockWidget("Runs", self)
        self.runs_dock.setObjectName("runs")
        self.runs_dock.setWidget(self.runs.panel)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.runs_dock)
        self.resizeDocks([self.runs_dock], [170], Qt.Orientation.Vertical)
        self.runs_dock.hide()  # View ▸ Runs panel (Ctrl+Shift+U): shown, it takes the loss plot's height

    def _build_actions(self) -> None:
        t = self.training
        self.actions = ActionTable(self._handlers(), self)
        self.actions["runs"].setChecked(False)  # the dock starts hidden
        self.runs_dock.visibilityChanged.connect(self.actions["runs"].setChecked)
        self.recent_menu = RecentMenu(self.recents, self)
        self.actions.build_menus(self.menuBar(), {"recent": self.recent_menu})
        self.colours.bind(self.actions.actions)
        for name, button in (
            ("start", t.panel.start),
            ("pause", t.panel.pause),
            ("stop", t.panel.stop),
            ("continue", t.panel.continue_training),
        ):
            self.actions.bind_button(name, button)
        self._refresh_actions()

    def _handlers(self) -> dict[str, Callable]:
        """What each action of ``core.actions.ACTIONS`` does."""
        t, f, e = self.training, self.files, self.exports
        return {
            "open": f.open_dialog,
            "follow": self.follower.toggle,
            "open_data": self.datasets.open_dialog,
            "save": f.save,
            "save_as": f.save_as,
            "open_image": self.draw.open_dialog,
            "export_grid": lambda: e.export_png("grid"),
            "export_samples": lambda: e.export_png("samples"),
            "export_interp": lambda: e.export_png("interpolation"),
            "export_traverse": lambda: e.export_png("traversal"),
            "export_csv": e.export_csv,
            "export_keras": e.export_keras,
            "export_report": self.report.export,
            "quit": self.close,
            "start": t.start,
            "continue": t.continue_training,
            "pause": t.toggle_pause,
            "stop": t.stop,
            "log": t.loss_plot.set_log_scale,
            "fit": self._fit_views,
            "about": lambda: QMessageBox.about(self, "About vae-explorer", ABOUT),
            "evaluate": self.runs.evaluate,
            "runs": self.runs_dock.setVisible,
            **self.guide.handlers(),
            **self.colours.handlers(),
            **session_parts.handlers(self.sessions, self.undo),
        }

    def _connect(self) -> None:
        self._start_notes = self._skipped_at_start()
        self.session.changed.connect(self._say_what_was_skipped)
        self.session.changed.connect(self._refresh_actions)
        self.session.changed.connect(self._update_title)
        self.training.state.changed.connect(self._refresh_actions)
        self.errors.reported.connect(lambda title, text: self.show_status(text.splitlines()[0], 10000))
        self.datasets.opened.connect(self.recents.add)
        self.recent_menu.chosen.connect(self.files.open_path)
        self.drops.dropped.connect(self.files.open_path)
        self.follower.following.connect(self.actions["follow"].setChecked)
        self.training.runner.finished.connect(self.map.final_layout)
        self.drops.images_dropped.connect(self.draw.open_images)

    # -- state shown ----------------------------------------------------------------------
    def _refresh_actions(self, *_) -> None:
        self.undo.refresh(self.actions, Facts.of(self.session, self.training.state))  # Edit ▸ Undo's rule too

    def _update_title(self, *_) -> None:
        name = f" — {os.path.basename(self.session.path)}" if self.session.path else ""
        self.setWindowTitle(f"vae-explorer{name}{' *' if self.session.dirty else ''}")

    def show_status(self, text: str, msecs: int = 0) -> None:
        self.statusBar().showMessage(text, msecs)

    def _tf_loaded(self) -> None:
        self.show_status("TensorFlow ready", 3000)
        self.session.tf_ready = True

    def _say_what_was_skipped(self, names) -> None:
        """Once the window is ready (TensorFlow loaded, a dataset shown), say in the status bar what
        its settings and runs folder held that could not be used; it was left out."""
        if self._start_notes and self.session.tf_ready and self.session.dataset is not None:
            notes, self._start_notes = self._start_notes, ""
            self.show_status("Started" + notes, 15000)

    def _skipped_at_start(self) -> str:
        notes = []
        if self.runs.state.warnings:
            notes.append(f"{len(self.runs.state.warnings)} unreadable run record(s) skipped (View ▸ Runs panel)")
        if self.recents.missing():
            notes.append(f"{len(self.recents.missing())} recent file(s) no longer exist")
        return "".join(f" · {note}" for note in notes)

    def _fit_views(self) -> None:
        self.map.fit_view()
        self.training.loss_plot.fit()

    def busy(self) -> bool:
        """True while any background thread of this window runs."""
        return self.jobs.busy or self.training.runner.running or self.runs.busy

    # -- closing --------------------------------------------------------------------------
    def _confirm_discard(self, what: str) -> bool:
        return self.files.confirm_discard(what)

    def _may_close(self) -> bool:
        """Ask first (the training goes on meanwhile); stop it only on Save or Discard."""
        if not (self.session.dirty or self.training.state.running):
            return True
        answer = self.files.ask_save("Quit")
        if answer == Answer.Cancel:
            return False
        self.training.stop_and_wait(CLOSE_WAIT_MS)  # the last epoch and the result arrive
        return answer == Answer.Discard or self.files.save()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Ask, stop training within 2 s, and leave no thread running."""
        if not self._closing and not self._may_close():
            event.ignore()
            return
        self._closing = True
        self.map.layouts.close()  # a layout nobody will see: its process ends at once
        self.runs.cancel()  # an evaluation nobody will read: it ends after its current call
        self.jobs.cancel_all()  # a report or a load nobody will see: they end at their next step
        self.training.stop()  # a model still being built is dropped once built (a training stopped above)
        if self.busy():
            # A background job (e.g. TensorFlow still importing) cannot be interrupted:
            # hide now and finish closing when it ends; nothing is terminated.
            self.hide()
            event.ignore()
            QTimer.singleShot(100, self.close)
            return
        self.training.loss_plot.stop_updates()
        self.settings.sync()  # the process may end without running QSettings's destructor
        self.jobs.closed()
        event.accept()
        self.closed.emit()


def _column(*widgets) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget, 1 if widget is widgets[-1] else 0)
    return box


def _splitter(orientation, *widgets) -> QSplitter:
    splitter = QSplitter(orientation)
    for widget in widgets:
        splitter.addWidget(widget)
    return splitter
