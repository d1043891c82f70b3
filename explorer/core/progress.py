"""Long work with a progress count and Cancel: a function run off the GUI thread that reports.

``ProgressJob`` runs ``fn(progress, should_stop)`` on a worker thread (``core.workers``);
``progress(done, total, what)`` may be called from that thread at any rate (the GUI hears of it
through a queued signal, at most every 50 ms), and ``should_stop()`` turns true when the user
presses Cancel. Work that ends within ``SHOW_AFTER_MS`` shows nothing but the status line; longer
work shows a progress dialog with a count and Cancel. A cancelled function raises ``Cancelled``
(or returns whatever it likes); the job then calls neither callback but ``on_cancelled``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from vae_explorer.explorer.core.workers import start_worker
from vae_explorer.trainer.collector import collector_paused

SHOW_AFTER_MS = 1000
REPORT_EVERY = 0.05  # seconds between two progress signals
Progress = Callable[[int, int, str], None]


class Cancelled(Exception):
    """The user pressed Cancel; raised inside the work function by ``check``."""


class _ProgressWorker(QObject):
    returned = Signal(object)
    errored = Signal(object)
    progressed = Signal(int, int, str)
    finished = Signal()

    def __init__(self, fn: Callable[[Progress, Callable[[], bool]], Any], stop: threading.Event) -> None:
        super().__init__()
        self._fn, self._stop, self._last = fn, stop, 0.0

    def report(self, done: int, total: int, what: str) -> None:
        now = time.monotonic()
        if now - self._last >= REPORT_EVERY or done >= total:
            self._last = now
            self.progressed.emit(int(done), int(total), str(what))

    @Slot()
    def work(self) -> None:
        try:
            with collector_paused():  # see trainer.collector
                result = self._fn(self.report, self._stop.is_set)
            self.returned.emit(result)
        except Exception as exc:  # the GUI thread words it (or drops it after a Cancel)
            self.errored.emit(exc)
        finally:
            self.finished.emit()


class ProgressJob(QObject):
    """One piece of long work; ``done`` (self) when its thread has ended. Keep a reference."""

    done = Signal(object)

    def __init__(
        self,
        title: str,
        fn: Callable[[Progress, Callable[[], bool]], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
        parent: QWidget | None,
        on_cancelled: Callable[[], None] | None = None,
        status: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.title, self._stop = title, threading.Event()
        self._on_done, self._on_error, self._on_cancelled = on_done, on_error, on_cancelled
        self._status = status or (lambda text: None)
        self.dialog = QProgressDialog(title, "Cancel", 0, 0, parent)
        self.dialog.setWindowTitle(title)
        self.dialog.setMinimumDuration(SHOW_AFTER_MS)  # shown only when the work lasts
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel)
        self.dialog.setValue(0)  # starts the dialog's clock: shown after SHOW_AFTER_MS if still busy
        self.worker: _ProgressWorker | None = _ProgressWorker(fn, self._stop)
        self.worker.progressed.connect(self._progressed)
        self.worker.returned.connect(self._returned)
        self.worker.errored.connect(self._errored)
        self._status(f"{title}…")
        start_worker(self.worker, self, on_thread_finished=self._thread_finished)

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    @Slot()
    def cancel(self) -> None:
        """Ask the work to stop (it checks between two steps); the dialog closes at once."""
        self._stop.set()
        self.dialog.hide()
        self._status(f"{self.title}: cancelled")

    @Slot(int, int, str)
    def _progressed(self, done: int, total: int, what: str) -> None:
        if self.cancelled:
            return
        self.dialog.setMaximum(max(total, 1))
        self.dialog.setValue(min(done, max(total, 1)))
        text = f"{self.title}: {what} ({done:,} of {total:,})" if what else f"{self.title} ({done:,} of {total:,})"
        self.dialog.setLabelText(text)
        self._status(text)

    @Slot(object)
    def _returned(self, result: Any) -> None:
        self._close()
        if self.cancelled:
            self._cancelled()
        else:
            self._on_done(result)

    @Slot(object)
    def _errored(self, error: BaseException) -> None:
        self._close()
        if self.cancelled or isinstance(error, Cancelled):
            self._cancelled()
        else:
            self._on_error(error)

    def _cancelled(self) -> None:
        if self._on_cancelled is not None:
            self._on_cancelled()

    def _close(self) -> None:
        self.dialog.hide()
        self.dialog.deleteLater()

    @Slot()
    def _thread_finished(self) -> None:
        self.worker = None
        self.done.emit(self)


def check(should_stop: Callable[[], bool]) -> None:
    """Raise ``Cancelled`` when the user has pressed Cancel (call it between two steps)."""
    if should_stop():
        raise Cancelled()
