"""t-SNE layouts of the map, computed off the GUI thread while the user keeps clicking.

A layout of 2,000 codes takes a few seconds (``trainer.layouts.TSNELayout``), longer while a
training shares the two cores: it runs as a background job, and the map shows the last layout
until the new one arrives. Requests that come in while one is computing are not queued: only
the newest waits (an epoch that ended meanwhile is already out of date). Each layout starts
from the previous one of the same model (warm start), so points drift instead of jumping.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

# One thread for t-SNE: the training (when one runs) has the other core.
TSNE_THREADS = 1


def _compute(means, previous, seed: int, cancelled: threading.Event):
    from vae_explorer.trainer.layouts import LayoutCancelled, TSNELayout

    try:
        return TSNELayout(means, previous=previous, seed=seed, n_jobs=TSNE_THREADS, should_stop=cancelled.is_set)
    except LayoutCancelled:
        return None


class TSNEService(QObject):
    """``ready(codes, layout)`` when the layout of ``codes`` (a ``LatentCodes``) is done."""

    ready = Signal(object, object)
    failed = Signal(object)

    def __init__(self, jobs, parent: QObject):
        super().__init__(parent)
        self.jobs = jobs
        self.latest = None  # the newest finished layout, the start of the next one
        self._running = False
        self._waiting = None  # the newest codes asked for while one was computing
        self._computing = None  # the codes being laid out
        self._generation = 0  # bumped by ``forget``: results of a previous model are dropped
        self._cancelled = threading.Event()  # set by ``forget``: the running layout stops early

    @property
    def computing(self) -> bool:
        return self._running

    def forget(self) -> None:
        """A different model, or the window closes: no warm start from the old model, the layout
        being computed stops within a few iterations, and its result is dropped."""
        self._generation += 1
        self.latest, self._waiting = None, None
        self._cancelled.set()

    def request(self, codes) -> None:
        """Lay out ``codes`` (now, or after the layout being computed)."""
        if self._running:
            if codes is not self._computing:
                self._waiting = codes
            return
        self._start(codes)

    def _start(self, codes) -> None:
        self._running, self._computing = True, codes
        self._cancelled = cancelled = threading.Event()
        generation, previous = self._generation, self.latest
        self.jobs.run(lambda: _compute(codes.means, previous, 0, cancelled),
                      lambda layout: self._done(generation, codes, layout),
                      lambda error: self._failed(generation, error))

    def _done(self, generation: int, codes, layout) -> None:
        self._running = False
        if generation == self._generation and layout is not None:
            self.latest = layout
            self.ready.emit(codes, layout)
        self._next()

    def _failed(self, generation: int, error) -> None:
        self._running = False
        if generation == self._generation:
            self.failed.emit(error)
        self._next()

    def _next(self) -> None:
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            self._start(waiting)
