"""Owns the training thread: start, pause/resume, cooperative stop, and a bounded wait on close."""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal, Slot

from vae_explorer.explorer.workers import TrainingWorker, start_worker


class TrainingRunner(QObject):
    """At most one training at a time; re-emits the worker's signals on the GUI thread."""

    batches_done = Signal(object)  # a list of BatchReports (what arrived since the last one)
    epoch_done = Signal(object)
    returned = Signal(object)
    errored = Signal(str)
    finished = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.worker: TrainingWorker | None = None  # kept until its thread has ended
        self._thread: QThread | None = None
        self._active = False
        self.paused = False

    @property
    def running(self) -> bool:
        return self._active

    def start(self, trainer) -> None:
        if self.running:
            raise RuntimeError("a training is already running")
        worker = TrainingWorker(trainer)
        # Each to a @Slot of this GUI-thread object: queued, never a Python call on the
        # worker thread (see explorer.workers.Job).
        worker.batches_done.connect(self._batches_done)
        worker.epoch_done.connect(self._epoch_done)
        worker.returned.connect(self._returned)
        worker.errored.connect(self._errored)
        self.worker, self.paused, self._active = worker, False, True
        self._thread = start_worker(worker, self, on_thread_finished=self._thread_ended)

    def toggle_pause(self) -> None:
        if not self._active:
            return
        self.paused = not self.paused
        (self.worker.pause if self.paused else self.worker.resume)()

    def stop(self) -> None:
        if self._active:
            self.worker.stop()

    def wait(self, msecs: int) -> bool:
        """Block until the thread has ended (True) or ``msecs`` passed (False)."""
        thread = self._thread
        if thread is None:
            return True
        try:
            return thread.wait(msecs)
        except RuntimeError:  # already deleted: it has finished
            return True

    @property
    def thread_alive(self) -> bool:
        return self._thread is not None

    @Slot(object)
    def _batches_done(self, reports) -> None:
        self.batches_done.emit(reports)

    @Slot(object)
    def _epoch_done(self, report) -> None:
        self.epoch_done.emit(report)

    @Slot(object)
    def _returned(self, result) -> None:
        self.returned.emit(result)

    @Slot(str)
    def _errored(self, message: str) -> None:
        self.errored.emit(message)

    @Slot()
    def _thread_ended(self) -> None:
        """The thread has really ended: only now may another training start."""
        self._thread = None
        self.worker = None
        self._active = False
        self.paused = False
        self.finished.emit()
