"""The dataset choice: the combo box of datasets, loading one in the background, its summary.

A dataset the user asked for later always wins over a slower one asked for earlier (the
embedded MNIST the window starts with may arrive after ``--data``'s dataset). What was chosen
goes into ``Session.dataset``; the training and the map take it from there.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from vae_explorer.trainer.data import DEFAULT_DATASET

EMBEDDED_LABEL = "MNIST (embedded)"
DATASET_FILTER = "Datasets (*.npz);;All files (*)"
MAX_WARNINGS_SHOWN = 10


class DatasetBox(QGroupBox):
    """The combo box of datasets met so far, an Open… button and a one-line summary."""

    chosen = Signal(str)  # a name or path from the combo box
    open_requested = Signal()

    def __init__(self, parent=None):
        super().__init__("Data", parent)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.dataset = QComboBox()
        self.dataset.setToolTip("The dataset to train on and to draw the map from")
        self.dataset.activated.connect(lambda i: self.chosen.emit(self.dataset.itemData(i)))
        self.open_data = QPushButton("Open…")
        self.open_data.setToolTip("Open an .npz file, an IDX folder or a folder of images")
        self.open_data.clicked.connect(self.open_requested)
        row.addWidget(self.dataset, 1)
        row.addWidget(self.open_data)
        layout.addLayout(row)
        self.info = QLabel("—")
        self.info.setWordWrap(True)
        layout.addWidget(self.info)

    def add_dataset(self, label: str, spec: str) -> None:
        """List the dataset (once) and select it."""
        index = self.dataset.findData(spec)
        if index < 0:
            self.dataset.addItem(label, spec)
            index = self.dataset.count() - 1
        self.dataset.setCurrentIndex(index)


def summary(dataset) -> str:
    shape = "×".join(map(str, dataset.image_shape))
    labels = f", {len(dataset.label_names)} classes" if dataset.label_names else ""
    return f"{len(dataset.x_train):,} train / {len(dataset.x_test):,} held-out images, {shape}{labels}"


def with_checksum(dataset):
    """``dataset`` with its held-out checksum computed, on the loading thread: each Start and
    each saved model records it, and at 10,000 images it takes 50 ms of the GUI thread."""
    dataset.held_out_digest()
    return dataset


class DatasetChooser(QObject):
    """Loads datasets with ``jobs`` and puts the newest asked-for one into the session.

    The box is locked while ``training`` (a ``TrainingState``) is busy.
    """

    opened = Signal(str)  # the source of a dataset loaded from a file (for the recent files)

    def __init__(self, app, training):
        super().__init__(app.window)
        self.session, self.jobs, self.errors, self.status = app.session, app.jobs, app.errors, app.status
        self.box = DatasetBox()
        training.changed.connect(lambda *_: self.box.setEnabled(not training.busy))
        self.box.add_dataset(EMBEDDED_LABEL, DEFAULT_DATASET)
        self.box.chosen.connect(self.load)
        self.box.open_requested.connect(self.open_dialog)
        self._requests = 0  # numbers ``load`` calls, so that a slow one cannot
        self._shown = 0  # replace a dataset asked for later that arrived first

    def load(self, spec: str) -> None:
        from vae_explorer.trainer.data import load_dataset

        self._requests += 1
        request = self._requests
        self.status(f"Loading dataset {spec}…")
        self.jobs.run(
            lambda: with_checksum(load_dataset(spec)),
            lambda dataset: self._arrived(request, dataset),
            self.errors.reporter("Cannot open dataset"),
        )

    def _arrived(self, request: int, dataset) -> None:
        if request < self._shown:
            return
        self._shown = request
        self.show(dataset)

    def show(self, dataset) -> None:
        """Make ``dataset`` the one the app trains on and draws the map from."""
        embedded = dataset.name == DEFAULT_DATASET
        label = EMBEDDED_LABEL if embedded else os.path.basename(dataset.source) or dataset.name
        self.box.add_dataset(label, DEFAULT_DATASET if embedded else dataset.source)
        self.box.info.setText(summary(dataset))
        self.status(f"Dataset {dataset.name} loaded", 3000)  # before the parts that follow say more
        self.session.dataset = dataset
        if not embedded:
            self.opened.emit(dataset.source)
        if dataset.warnings:
            self._report_warnings(dataset)
        if self.session.has_model and self.session.codes is None:
            self.session.encode_held_out()

    def _report_warnings(self, dataset) -> None:
        """Skipped files, and images resized because they were too large for a model."""
        shown = "\n".join(dataset.warnings[:MAX_WARNINGS_SHOWN])
        extra = len(dataset.warnings) - MAX_WARNINGS_SHOWN
        more = f"\n… and {extra} more" if extra > 0 else ""
        self.errors.report(
            "Dataset loaded with warnings", f"{dataset.source}: {len(dataset.warnings)} warning(s):\n{shown}{more}"
        )

    def load_for_model(self, info: dict) -> None:
        """Show originals beside reconstructions: load a model's own dataset if we can."""
        current = self.session.dataset
        if (
            current is not None
            and current.name == info.get("name")
            and list(current.image_shape) == list(info.get("image_shape", []))
        ):
            return
        source, name = info.get("source", ""), info.get("name")
        spec = source if source and os.path.exists(source) else (name if name == DEFAULT_DATASET else None)
        if spec:
            self.load(spec)

    def open_dialog(self) -> None:
        box = QMessageBox(self.box.window())
        box.setWindowTitle("Open dataset")
        box.setText("What kind of dataset?")
        npz = box.addButton(".npz file…", QMessageBox.ButtonRole.AcceptRole)
        folder = box.addButton("IDX or image folder…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is npz:
            path, _ = QFileDialog.getOpenFileName(self.box.window(), "Open dataset", "", DATASET_FILTER)
        elif box.clickedButton() is folder:
            path = QFileDialog.getExistingDirectory(self.box.window(), "Open IDX or image folder")
        else:
            return
        if path:
            self.load(path)
