"""The importance-weighted bound computed on a worker thread, stoppable between two calls.

The graph (``trainer.latent.likelihood.ImportanceWeighted``) is built by the caller on the GUI thread
(TensorFlow may deadlock tracing on a worker thread, tensorflow#66115); the worker only runs
it. Cancel sets a flag that ``log_px`` asks before each compiled call.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal, Slot


class EvaluationWorker(QObject):
    """Emits ``progressed(done, total)`` per call, then ``returned(nll)``, ``cancelled`` or ``errored``."""

    progressed = Signal(int, int)
    returned = Signal(object)  # per-image −log p(x) bounds (float64 array)
    cancelled = Signal()
    errored = Signal(object)
    finished = Signal()

    def __init__(self, iw, x, k: int, seed: int):
        super().__init__()
        self.iw, self.x, self.k, self.seed = iw, x, k, seed
        self._stop = threading.Event()

    def cancel(self) -> None:
        """From the GUI thread: end after the call in progress."""
        self._stop.set()

    @Slot()
    def work(self) -> None:
        from vae_explorer.trainer.latent.likelihood import Cancelled  # imported already: the caller built the graph

        try:
            nll = -self.iw.log_px(self.x, self.k, self.seed, self.progressed.emit, self._stop.is_set)
        except Cancelled:
            self.cancelled.emit()
        except Exception as exc:  # the dialog says what happened, in one line
            self.errored.emit(exc)
        else:
            self.returned.emit(nll)
        finally:
            self.finished.emit()
