"""The window's background jobs: run a function off the GUI thread, know when none is left.

Closing waits for them: a TensorFlow import or a dataset load cannot be interrupted, and no
thread is ever terminated.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QWidget

from vae_explorer.explorer.core.progress import ProgressJob
from vae_explorer.explorer.core.workers import Job
from vae_explorer.trainer import collector

# How long a thread running Python may keep the GIL while another waits for it (Python's default
# is 5 ms). The GUI thread gives the GIL up at every Qt call that may block and must then wait
# that long to take it back whenever a job runs Python (tracing a graph, NumPy glue): a repaint
# of the map that takes 10-20 ms alone took 230-730 ms beside a busy Python thread, and 25-60 ms
# at 0.2-0.5 ms. The training's images/s did not change measurably (tests/benchmarks/README.md).
SWITCH_INTERVAL_S = 0.0005
COLLECT_EVERY_MS = 200  # trainer.collector.collect_due: Python's collector runs on this thread only


class BackgroundJobs(QObject):
    """Keeps each running ``Job`` alive until its thread has ended."""

    def __init__(self, on_error, parent: QObject, status: Callable[[str], None] | None = None):
        super().__init__(parent)
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        collector.hold()  # no collection on any other thread while the window is open
        self._collector = QTimer(self)
        self._collector.timeout.connect(collector.collect_due)
        self._collector.start(COLLECT_EVERY_MS)
        self._on_error = on_error  # used when a job names no error callback of its own
        self._status = status  # where long work says what it is doing
        self._jobs: list[Job | ProgressJob] = []
        self._closing = False  # the window closes: no new work starts (it would outlive the window)

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def run(self, fn, on_done, on_error=None) -> None:
        """Call ``fn()`` on a worker thread; ``on_done(result)`` or ``on_error(exception)`` on this one."""
        if self._closing:
            return
        job = Job(fn, on_done, on_error or self._on_error, self)
        self._jobs.append(job)
        job.done.connect(self._job_done)

    def run_with_progress(
        self,
        title: str,
        fn: Callable[..., Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
    ) -> ProgressJob | None:
        """Call ``fn(progress, should_stop)`` on a worker thread, with a progress dialog and Cancel
        when it lasts over a second (``core.progress``); the callbacks run on this thread. None
        once the window closes."""
        if self._closing:
            return None
        window = self.parent()
        job = ProgressJob(
            title,
            fn,
            on_done,
            on_error or self._on_error,
            window if isinstance(window, QWidget) else None,
            on_cancelled=on_cancelled,
            status=self._status,
        )
        self._jobs.append(job)
        job.done.connect(self._job_done)
        return job

    def cancel_all(self) -> None:
        """Ask every long job to stop and start no new one (the window closes: nobody will read a
        result, and a thread still running when Qt deletes the window aborts the process)."""
        self._closing = True
        for job in self._jobs:
            if isinstance(job, ProgressJob):
                job.cancel()

    def closed(self) -> None:
        """The window closed and no thread of its own runs: the collector is everyone's again."""
        if self._collector.isActive():
            self._collector.stop()
            collector.release()

    @Slot(object)
    def _job_done(self, job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
        job.deleteLater()
