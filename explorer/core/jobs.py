"""The window's background jobs: run a function off the GUI thread, know when none is left.

Closing waits for them: a TensorFlow import or a dataset load cannot be interrupted, and no
thread is ever terminated.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from vae_explorer.explorer.core.workers import Job


class BackgroundJobs(QObject):
    """Keeps each running ``Job`` alive until its thread has ended."""

    def __init__(self, on_error, parent: QObject):
        super().__init__(parent)
        self._on_error = on_error  # used when a job names no error callback of its own
        self._jobs: list[Job] = []

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def run(self, fn, on_done, on_error=None) -> None:
        """Call ``fn()`` on a worker thread; ``on_done(result)`` or ``on_error(exception)`` on this one."""
        job = Job(fn, on_done, on_error or self._on_error, self)
        self._jobs.append(job)
        job.done.connect(self._job_done)

    @Slot(object)
    def _job_done(self, job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
        job.deleteLater()
