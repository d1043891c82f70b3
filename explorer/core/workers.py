"""Background work the superqt way: a QObject worker moved to a QThread, stopped cooperatively.

``Job`` runs one function (TensorFlow import, dataset or model loading) off the GUI thread;
``TrainingWorker`` turns the trainer's plain callbacks into Qt signals. Signals carry
plain Python floats and NumPy arrays; Qt queues them to the GUI thread. ``errored`` carries
the exception object itself (type and traceback), for ``explorer.core.errors.ErrorSink`` to word.
Nothing here ever calls ``QThread.terminate()``.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, SignalInstance, Slot

from vae_explorer.trainer.collector import collector_paused


class Worker(Protocol):
    """What ``start_worker`` runs: a QObject with a ``work`` slot and a ``finished`` signal."""

    @property
    def finished(self) -> SignalInstance: ...

    def work(self) -> None: ...

    def moveToThread(self, thread: QThread, /) -> bool: ...


class FunctionWorker(QObject):
    """Calls ``fn()`` once on its thread; emits ``returned(result)`` or ``errored(exception)``."""

    returned = Signal(object)
    errored = Signal(object)  # the exception, its traceback attached
    finished = Signal()

    def __init__(self, fn):
        super().__init__()
        self._fn = fn

    @Slot()
    def work(self) -> None:
        try:
            with collector_paused():  # see trainer.collector
                result = self._fn()
        except Exception as exc:  # the app stays alive; the GUI thread says what happened
            self.errored.emit(exc)
        else:
            self.returned.emit(result)
        finally:
            self.finished.emit()


def start_worker(worker: Worker, parent: QObject, on_thread_finished=None) -> QThread:
    """Move ``worker`` to a new QThread owned by ``parent`` and start it.

    ``thread.started → worker.work``, ``worker.finished → thread.quit``, ``deleteLater`` on both.
    ``on_thread_finished`` is connected before the start, so even an instant job reports.
    The caller keeps a reference to the worker until the thread has finished.
    """
    thread = QThread(parent)
    worker.moveToThread(thread)
    thread.started.connect(worker.work)
    # Direct: quit() is thread-safe, and a GUI thread blocked in wait() must not be needed.
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    # No deleteLater on the worker: Python owns it, and the GUI-thread owner drops it only
    # after the thread has ended (a C++ delete on the worker thread raced PySide's own).
    if on_thread_finished is not None:
        thread.finished.connect(on_thread_finished)
    thread.finished.connect(thread.deleteLater)
    thread.start()
    return thread


class Job(QObject):
    """The GUI-thread end of one background function: its callbacks run on the GUI thread.

    Every worker signal is connected to a ``@Slot`` of this object (which lives on the GUI
    thread), so Qt queues them; no lambda is ever called from the worker thread (PySide6
    has crashed on exactly that: PYSIDE-3124).
    """

    done = Signal(object)  # self, when the thread has ended

    def __init__(self, fn, on_returned, on_errored, parent: QObject):
        super().__init__(parent)
        self._on_returned, self._on_errored = on_returned, on_errored
        self.worker: FunctionWorker | None = FunctionWorker(fn)
        self.worker.returned.connect(self._returned)
        self.worker.errored.connect(self._errored)
        # Started once the event loop is back: what asked for the job (a new model, a colour mode)
        # usually asked for a repaint too, which then runs on a CPU the worker does not share yet.
        QTimer.singleShot(0, self, self._start)

    @Slot()
    def _start(self) -> None:
        assert self.worker is not None
        start_worker(self.worker, self, on_thread_finished=self._thread_finished)

    @Slot(object)
    def _returned(self, result) -> None:
        self._on_returned(result)

    @Slot(object)
    def _errored(self, error) -> None:
        self._on_errored(error)

    @Slot()
    def _thread_finished(self) -> None:
        self.worker = None
        self.done.emit(self)


class TrainingWorker(QObject):
    """Builds a ``trainer.training.loop.Trainer`` on its thread, hands it to the GUI thread
    (``prepared``), waits for ``go()`` and runs it, reporting through signals.

    Building on this thread keeps the GUI thread free while the model is built and its step
    functions are traced (a second or more); the wait lets the GUI thread show the new model and
    put its listeners in front of the trainer before the first batch.
    """

    prepared = Signal(object)  # the Trainer, built: the GUI thread shows it, then calls go()
    build_failed = Signal(object)  # the exception the building raised (no training ran)
    batches_done = Signal(object)  # list of trainer.reports.BatchReport, at most every 50 ms
    epoch_done = Signal(object)  # trainer.reports.EpochReport
    returned = Signal(object)  # trainer.training.TrainResult
    errored = Signal(object)  # the exception
    finished = Signal()

    def __init__(self, build):
        super().__init__()
        self._build = build
        self.trainer = None
        self._go, self._cancelled = threading.Event(), False

    @Slot()
    def work(self) -> None:
        try:
            with collector_paused():
                if self._prepare():
                    self._run()
        finally:
            self.finished.emit()

    def _prepare(self) -> bool:
        from vae_explorer.trainer.tf_runtime import tracing

        try:
            with tracing():  # building traces the steps: never beside the GUI thread's collector
                trainer = self._build()
        except Exception as exc:
            self.build_failed.emit(exc)
            return False
        self.trainer = trainer
        self.prepared.emit(trainer)
        while not self._go.wait(0.05):
            if self._cancelled:
                return False
        return not self._cancelled

    def _run(self) -> None:
        trainer = self.trainer
        assert trainer is not None  # prepared
        trainer.listener = _Relay(self, inner=trainer.listener)  # e.g. a TensorBoardLog the window attached
        try:
            result = trainer.run()
            trainer.listener.flush()  # the last batches of a stopped run
            self.returned.emit(result)
        except Exception as exc:
            self.errored.emit(exc)

    # Called from the GUI thread: they only set flags that the thread checks.
    def go(self) -> None:
        self._go.set()

    def stop(self) -> None:
        self._cancelled = True
        if self.trainer is not None:
            self.trainer.request_stop()

    def pause(self) -> None:
        if self.trainer is not None:
            self.trainer.pause()

    def resume(self) -> None:
        if self.trainer is not None:
            self.trainer.resume()


class _Relay:
    """The trainer's listener: re-emits its reports as the worker's signals (queued to the GUI).

    Batch reports are sent in bundles, at most every ``BATCH_INTERVAL`` seconds and at the end
    of each epoch: a fast trainer would otherwise queue hundreds of cross-thread signals a
    second, each costing the GUI thread (and the GIL the trainer needs) a wake-up.
    """

    BATCH_INTERVAL = 0.05

    def __init__(self, worker: TrainingWorker, inner=None):
        self.worker = worker
        self.inner = inner  # the trainer's own listener, called first on the training thread
        self._pending: list = []
        self._last = 0.0

    def on_batch(self, report) -> None:
        if self.inner is not None:
            self.inner.on_batch(report)
        self._pending.append(report)
        now = time.monotonic()
        if now - self._last >= self.BATCH_INTERVAL or report.batch == report.batches:
            self._last = now
            self.worker.batches_done.emit(self._pending)
            self._pending = []

    def on_epoch(self, report) -> None:
        if self.inner is not None:
            self.inner.on_epoch(report)
        self.worker.epoch_done.emit(report)

    def flush(self) -> None:
        if self._pending:
            self.worker.batches_done.emit(self._pending)
            self._pending = []
