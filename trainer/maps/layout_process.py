"""t-SNE in a process of its own, for a front end that must stay responsive.

On a thread of the app's process, openTSNE's Barnes-Hut gradient would share the interpreter
with Qt and TensorFlow and hold the GIL between iterations (GUI stalls). In a child process
(``spawn``: a fresh interpreter that imports NumPy, SciPy and openTSNE only) it cannot reach
the app; the price is one start-up (about a second), paid once, as the process serves every
layout until it is closed. Nothing blocks: the caller submits, then asks ``ready()`` (the app
from a timer on its GUI thread), and ``cancel()`` ends the child at once (a process, unlike a
thread, can be stopped at any moment without harm).
"""

from __future__ import annotations

import multiprocessing

import numpy as np

from vae_explorer.trainer.maps.tsne import tsne_plane


class LayoutProcess:
    """One t-SNE layout at a time in a child process: ``submit``, then ``ready``/``result``."""

    def __init__(self, n_jobs: int = 1):
        self.n_jobs = n_jobs
        self._pool = None
        self._pending = None

    @property
    def busy(self) -> bool:
        return self._pending is not None

    def submit(self, means: np.ndarray, start: np.ndarray | None, seed: int = 0) -> None:
        """Start ``tsne_plane(means, start, seed)`` in the child (one at a time)."""
        if self._pending is not None:
            raise RuntimeError("a layout is already being computed")
        if self._pool is None:
            self._pool = multiprocessing.get_context("spawn").Pool(1)
        self._pending = self._pool.apply_async(tsne_plane, (np.asarray(means, np.float64), start, seed, self.n_jobs))

    def ready(self) -> bool:
        return self._pending is not None and self._pending.ready()

    def result(self) -> np.ndarray:
        """The finished layout (N×2), or the child's exception raised here."""
        pending, self._pending = self._pending, None
        return pending.get()

    def cancel(self) -> None:
        """Abandon the layout being computed: the child process is ended (a new one starts later)."""
        if self._pending is not None:
            self._pending = None
            self.close()

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()
            pool.join()
