"""Owns the training thread: start, pause/resume, cooperative stop, and a bounded wait on close."""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal, Slot

from vae_explorer.explorer.core.workers import TrainingWorker, start_worker


class TrainingRunner(QObject):
    """At most one training at a time; re-emits the worker's signals on the GUI thread.

    Whether it is paused is not kept here: ``TrainingState.paused`` is the one copy.
    """

    prepared = Signal(object)  # the Trainer, built on the training thread; call go() to run it
    build_failed = Signal(object)  # the exception building it raised
    batches_done = Signal(object)  # a list of BatchReports (what arrived since the last one)
    epoch_done = Signal(object)
    returned = Signal(object)
    errored = Signal(object)  # the exception
    finished = Signal()  # the thread has ended

    def __init__(self, parent=None):
        super().__init__(parent)
        self.worker: TrainingWorker | None = None  # kept until its thread has ended
        self._thread: QThread | None = None

    @property
    def running(self) -> bool:
        """A training thread exists (it may be paused or stopping)."""
        return self._thread is not None

    def start(self, build) -> None:
        """Build a Trainer with ``build()`` on a new training thread; ``prepared`` hands it over."""
        if self.running:
            raise RuntimeError("a training is already running")
        worker = TrainingWorker(build)
        worker.prepared.connect(self._prepared)
        worker.build_failed.connect(self._build_failed)
        # Each to a @Slot of this GUI-thread object: queued, never a Python call on the
        # worker thread (see explorer.workers.Job).
        worker.batches_done.connect(self._batches_done)
        worker.epoch_done.connect(self._epoch_done)
        worker.returned.connect(self._returned)
        worker.errored.connect(self._errored)
        self.worker = worker
        self._thread = start_worker(worker, self, on_thread_finished=self._thread_ended)

    def go(self) -> None:
        """Run the prepared trainer (the GUI thread shows its model first)."""
        if self.worker is not None:
            self.worker.go()

    def set_paused(self, paused: bool) -> None:
        if self.worker is not None:
            (self.worker.pause if paused else self.worker.resume)()

    def stop(self) -> None:
        if self.worker is not None:
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

    @Slot(object)
    def _prepared(self, trainer) -> None:
        self.prepared.emit(trainer)

    @Slot(object)
    def _build_failed(self, error) -> None:
        self.build_failed.emit(error)

    @Slot(object)
    def _batches_done(self, reports) -> None:
        self.batches_done.emit(reports)

    @Slot(object)
    def _epoch_done(self, report) -> None:
        self.epoch_done.emit(report)

    @Slot(object)
    def _returned(self, result) -> None:
        self.returned.emit(result)

    @Slot(object)
    def _errored(self, error) -> None:
        self.errored.emit(error)

    @Slot()
    def _thread_ended(self) -> None:
        """The thread has really ended: only now may another training start."""
        self._thread = None
        self.worker = None
        self.finished.emit()
