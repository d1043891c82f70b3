"""*Evaluate likelihood…*: the importance-weighted bound on the current model's held-out images.

A small dialog chooses K (default 1,000) and whether to binarise the images, says which figure
that gives, computes it in the background with a progress bar and Cancel, and shows the
result. On grey pixels the Bernoulli "likelihood" the model was trained with is not a
normalised density, so the dialog never calls that figure a log-likelihood of the images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QVBoxLayout,
)

from vae_explorer.explorer.core.errors import error_text
from vae_explorer.explorer.core.workers import start_worker
from vae_explorer.explorer.runs.evaluate_worker import EvaluationWorker
from vae_explorer.explorer.widgets.spin_boxes import int_spin
from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.latent.likelihood import LONG_SECONDS, MAX_K, binarize, duration_text, figures_of

DEFAULT_K = 1000
GREY_NOTE = (
    "On grey pixels the Bernoulli 'likelihood' the model was trained with is not a normalised "
    "density: the figure compares models and K with each other, it is not a negative "
    "log-likelihood of the images and must not be set beside published numbers."
)
BINARY_NOTE = (
    "On images binarised at 0.5 the figure is a negative log-likelihood (of the binarised "
    "images), the kind binarised-MNIST papers report; this model was trained on grey images."
)


@dataclass
class Target:
    """What is evaluated: a model, the held-out images, and how sure it is they are its own."""

    model: Any  # trainer.model.vae.VAE
    images: np.ndarray
    dataset_name: str
    held_out: str  # trainer.data.dataset.held_out_status: verified, differs or unverified
    source: str | None = None  # the model file, named in errors


def result_text(figures: dict, n: int) -> str:
    kind = "binarised" if figures["likelihood"] == "bernoulli-binarized" else "grey"
    return (
        f"Importance-weighted bound, K = {figures['iw_k']:,}, on {n:,} {kind} held-out images: "
        f"−log p(x) ≤ {figures['iw_nll']:.2f} nats per image ({figures['iw_bits_per_dim']:.4f} bits/dim).\n"
        + (BINARY_NOTE if kind == "binarised" else GREY_NOTE)
    )


class EvaluateDialog(QDialog):
    """Window-modal while it is open (the model must not train meanwhile); ``evaluated(figures)``."""

    evaluated = Signal(dict)  # trainer.likelihood.LikelihoodFigures.to_dict() + data, n, seed
    # The line that says what happened. The name hides QDialog.result() (the exit code), which
    # nothing calls on this dialog; the GUI tests read the line under this name.
    result: QLabel  # type: ignore[assignment]

    def __init__(self, target: Target, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Evaluate likelihood (importance-weighted bound)")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.target = target
        self.worker: EvaluationWorker | None = None
        self._thread: QThread | None = None
        self._close_when_done = False
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        about = QLabel(
            "The K-sample importance-weighted bound (IWAE) on log p(x), averaged over the held-out "
            "images: it rises towards log p(x) as K grows (K = 1 is the ELBO)."
        )
        about.setWordWrap(True)
        layout.addWidget(about)
        layout.addLayout(self._form())
        self.note = QLabel(self._data_text())
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        layout.addWidget(self.progress)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.run_button = self.buttons.addButton("&Evaluate", QDialogButtonBox.ButtonRole.ActionRole)
        self.run_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        self.binarize.toggled.connect(lambda _: self.note.setText(self._data_text()))
        layout.addWidget(self.buttons)

    def _form(self) -> QFormLayout:
        form = QFormLayout()
        self.k = int_spin(1, MAX_K, DEFAULT_K)
        self.k.setToolTip("Samples per image: more is a tighter bound and proportionally slower")
        self.binarize = QCheckBox("Binarise the images at 0.5 (a true negative log-likelihood)")
        self.seed = int_spin(0, 2**31 - 1, 0)
        self.seed.setToolTip("Picks the samples: the same seed gives the same figure")
        form.addRow("K", self.k)
        form.addRow("", self.binarize)
        form.addRow("Seed", self.seed)
        return form

    def _data_text(self) -> str:
        t = self.target
        text = f"On the {len(t.images):,} held-out images of {t.dataset_name}. " + (
            BINARY_NOTE if self.binarize.isChecked() else GREY_NOTE
        )
        if t.held_out == "differs":
            text = "Warning: these are not the images the model held out in training (checksum differs). " + text
        return text

    @property
    def running(self) -> bool:
        return self._thread is not None

    # -- running --------------------------------------------------------------------------
    def start(self) -> None:
        """Build the graph here (GUI thread), say how long it will take (asking first when it is
        hours), then compute on a worker thread."""
        from vae_explorer.trainer.latent.likelihood import ImportanceWeighted

        if self.running:
            return
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            iw = ImportanceWeighted(self.target.model, self.target.source)
            seconds = iw.estimate_seconds(self._images(), self.k.value(), self.seed.value())
        except UserError as exc:
            self.result.setText(str(exc))
            return
        finally:
            QApplication.restoreOverrideCursor()
        if self._confirmed(seconds):
            self._run(iw, seconds)

    def _images(self):
        return binarize(self.target.images) if self.binarize.isChecked() else self.target.images

    def _confirmed(self, seconds: float) -> bool:
        """Past an hour, go on only when the user says so."""
        if seconds <= LONG_SECONDS:
            return True
        answer = QMessageBox.question(
            self,
            "A long evaluation",
            f"K = {self.k.value():,} on {len(self.target.images):,} images will take "
            f"{duration_text(seconds)}. Start it?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            self.result.setText(f"Not started: it would take {duration_text(seconds)}. Choose a smaller K.")
            return False
        return True

    def _run(self, iw, seconds: float) -> None:
        self.worker = EvaluationWorker(iw, self._images(), self.k.value(), self.seed.value())
        for signal, slot in (
            (self.worker.progressed, self._progressed),
            (self.worker.returned, self._returned),
            (self.worker.cancelled, self._cancelled),
            (self.worker.errored, self._errored),
        ):
            signal.connect(slot)
        self._set_running(True)
        self.result.setText(f"Computing… ({duration_text(seconds)})")
        self._thread = start_worker(self.worker, self, on_thread_finished=self._thread_ended)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.result.setText("Cancelling…")

    def _set_running(self, on: bool) -> None:
        for widget in (self.k, self.binarize, self.seed, self.run_button):
            widget.setEnabled(not on)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText("Cancel" if on else "Close")
        if on:
            self.progress.setRange(0, 0)  # busy until the first call reports
            self.result.setText("Computing…")

    def reject(self) -> None:
        """Close, or Cancel while computing (the dialog closes when the thread has ended)."""
        if self.running:
            self._close_when_done = True
            self.cancel()
            return
        super().reject()

    @Slot(int, int)
    def _progressed(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    @Slot(object)
    def _returned(self, nll) -> None:
        t = self.target
        figures = figures_of(nll, t.model.image_shape, self.k.value(), binarized=self.binarize.isChecked()).to_dict()
        self.result.setText(result_text(figures, len(nll)))
        self.evaluated.emit({**figures, "data": t.dataset_name, "n": int(len(nll)), "seed": self.seed.value()})

    @Slot()
    def _cancelled(self) -> None:
        self.result.setText("Cancelled: nothing was computed.")

    @Slot(object)
    def _errored(self, error) -> None:
        self.result.setText(f"Failed: {error_text(error)}")

    @Slot()
    def _thread_ended(self) -> None:
        self._thread, self.worker = None, None
        self._set_running(False)
        if self._close_when_done:
            super().reject()
