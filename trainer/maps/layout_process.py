"""t-SNE in a process of its own, for a front end that must stay responsive, supervised.

On a thread of the app's process, openTSNE's gradient would share the interpreter with Qt and
TensorFlow and hold the GIL between iterations (GUI stalls). In a child process (``spawn``: a
fresh interpreter that imports NumPy, SciPy and openTSNE only) it cannot reach the app; the price
is one start-up (about a second), paid once, as the child serves every layout until it is closed.
Nothing blocks: the caller submits, then asks ``poll()`` (the app from a timer on its GUI
thread). A child that dies (an out-of-memory kill) is noticed by the next ``poll``, never waited
on; the next ``submit`` starts a new one. ``cancel()`` ends the child at once (a process, unlike
a thread, can be stopped at any moment without harm).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from typing import Any

import numpy as np

from vae_explorer.trainer.collector import collector_paused
from vae_explorer.trainer.maps.tsne import TSNEResult, sampled_plane, tsne_plane

JOIN_SECONDS = 2.0
# A request's neighbours: the lists of the child's last layout (a warm update of the same images).
# They stay in the child: sent both ways at each epoch, 25 MB at 70,000 points were pickled and
# unpickled beside the GUI thread. A new child has none and searches again.
KEPT = "kept"
# A request's schedule besides the one its start implies: a large map's first layout beside a
# training (a sample's, the rest placed), or a warm start that searches its lists again in full.
SAMPLED, REFRESH = "sampled", "refresh"
# The child's nice: 0. At 19 a one-core t-SNE loop beside `train` (70,000 images) let it keep
# 3,700 images/s instead of 2,400 (4,300 alone), but in the app the first layout of 70,000 points
# then never arrived within a 5-epoch training, and training beside it still ran about 20% slower
# than with no layout (tests/benchmarks/README.md, "The map at scale"). The benchmarks set others.
CHILD_NICE = 0
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class LayoutFailed(Exception):
    """The child raised while laying out (its message)."""


class LayoutDied(LayoutFailed):
    """The child ended (killed, out of memory) before it answered."""


def child_main(conn: Any, n_jobs: int, nice: int = CHILD_NICE) -> None:
    """The child process: at its priority, serving layouts."""
    if nice:
        with contextlib.suppress(AttributeError, OSError):  # no os.nice on Windows
            os.nice(nice)
    serve(conn, n_jobs)


def serve(conn: Any, n_jobs: int) -> None:
    """The child's loop: one request at a time, answered with (True, TSNEResult) or (False, why).
    It keeps the neighbour lists of its last answer for a request that asks for them (``KEPT``)."""
    kept: np.ndarray | None = None
    while True:
        try:
            means, start, seed, neighbours, labels, schedule = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        try:
            lists = _lists_for(neighbours, kept, len(means))
            result = laid_out(np.asarray(means, np.float64), start, seed, n_jobs, lists, labels, schedule)
            kept, result.neighbours = result.neighbours, None  # 12.6 MB at 70,000 points: not sent back
            answer: tuple = (True, result)
        except Exception as exc:  # noqa: BLE001 (said to the parent in one line)
            answer = (False, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        try:
            conn.send(answer)
        except OSError:  # the parent closed the pipe meanwhile (a newer request, or it closed)
            return


def _lists_for(neighbours: Any, kept: np.ndarray | None, n: int) -> np.ndarray | None:
    """The lists a request asks for: its own, the child's last ones (``KEPT``, if they are of
    ``n`` points), or None (search)."""
    if isinstance(neighbours, str):
        return kept if kept is not None and len(kept) == n else None
    return neighbours


def laid_out(
    means: np.ndarray,
    start: Any,
    seed: int,
    n_jobs: int,
    neighbours: Any,
    labels: np.ndarray | None,
    schedule: str = "",
) -> TSNEResult:
    """The layout (``schedule``: "" as ``start`` says, ``SAMPLED`` or ``REFRESH``), with its
    figures when it is a large map's: the parent would otherwise search the 70,000-point plane
    beside the training, at full priority. A sampled layout has no lists: its legibility only."""
    from vae_explorer.trainer.maps.figures import plane_figures

    if schedule == SAMPLED:
        result = sampled_plane(means, seed, n_jobs)
    else:
        result = tsne_plane(means, start, seed, n_jobs, neighbours=neighbours, refresh=schedule == REFRESH)
    if result.neighbours is not None or schedule == SAMPLED:
        result.figures = plane_figures(result.plane, labels, result.neighbours)
    return result


class LayoutProcess:
    """One t-SNE layout at a time in a supervised child: ``submit``, then ``poll``/``result``."""

    child_nice = CHILD_NICE  # the benchmarks compare others

    def __init__(self, n_jobs: int = 1):
        self.n_jobs = n_jobs
        self._process: Any = None
        self._conn: Any = None
        self._pending = False
        self._ended: list[Any] = []  # children told to end, not yet waited for (``cancel``)
        self.died_with: int | None = None  # the exit code of a child that died under a layout

    @property
    def busy(self) -> bool:
        return self._pending

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def prepare(self) -> None:
        """Start the child ahead of its first layout (it spends a second importing openTSNE, and
        spawning it took 20-30 ms of the GUI thread at the first epoch's end)."""
        if self._process is None or not self._process.is_alive():
            self._start_child()

    def submit(
        self,
        means: np.ndarray,
        start: np.ndarray | None,
        seed: int = 0,
        neighbours: np.ndarray | str | None = None,
        labels: np.ndarray | None = None,
        schedule: str = "",
    ) -> None:
        """Start ``tsne_plane(means, start, seed, neighbours=...)`` in the child (a new child if it
        is gone); ``neighbours`` may be ``KEPT``: the child's own lists of its last layout;
        ``labels`` for the legibility among the figures it returns; ``schedule`` ``SAMPLED`` or
        ``REFRESH`` (``laid_out``)."""
        if self._pending:
            raise RuntimeError("a layout is already being computed")
        self.prepare()
        means = np.asarray(means, np.float32)  # half the bytes to send
        request = (means, start, seed, neighbours, labels, schedule)
        sender = threading.Thread(target=_send, args=(self._conn, request), daemon=True, name="tsne-request")
        sender.start()  # a request larger than the pipe's buffer waits for the child to read it:
        self._pending = True  # a new child reads only once it has imported openTSNE (a second)

    def _start_child(self) -> None:
        """A fresh interpreter whose numerical libraries use ``n_jobs`` threads at most: with one,
        a training in the parent keeps the other core (BLAS would otherwise take both)."""
        self._ended.append(self._end_child())
        self._ended = [p for p in self._ended if p is not None and p.is_alive()]  # reaps the ended ones
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._process = context.Process(
            target=child_main, args=(child, self.n_jobs, self.child_nice), daemon=True, name="vae-explorer-tsne"
        )
        saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
        os.environ.update({name: str(self.n_jobs) for name in THREAD_VARIABLES})  # inherited by the child
        try:
            self._process.start()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        child.close()
        self._conn = parent

    def poll(self) -> str:
        """``idle``, ``busy``, ``ready`` (``result`` returns it) or ``died`` (the child is gone)."""
        if not self._pending:
            return "idle"
        if self._conn.poll():
            return "ready"  # an answer, or the end of a pipe whose child died: ``result`` tells
        if not self._process.is_alive() and not self._conn.poll():
            self._died()
            return "died"
        return "busy"

    def _died(self) -> None:
        self._pending = False
        self.died_with = self._process.exitcode
        self.close()

    def result(self) -> TSNEResult:
        """The finished layout; ``LayoutFailed`` with the child's one-line reason, or
        ``LayoutDied`` when the child ended without an answer."""
        self._pending = False
        try:
            ok, value = self._conn.recv()
        except (EOFError, OSError):
            self._process.join(JOIN_SECONDS)
            self._died()
            raise LayoutDied(f"the t-SNE process ended unexpectedly (exit code {self.died_with})") from None
        if not ok:
            raise LayoutFailed(value)
        return value

    def cancel(self) -> None:
        """Abandon the layout being computed: the child is told to end and not waited for (that
        took 30-80 ms on the GUI thread); a new one starts later."""
        if self._pending:
            self._pending = False
            self._ended.append(self._end_child())

    def close(self) -> None:
        """End the child (at once; it holds nothing that needs saving) and wait for it, and for
        every child ended before, briefly."""
        ended, self._ended = [self._end_child(), *self._ended], []
        for process in ended:
            if process is not None:
                process.join(JOIN_SECONDS)
                if process.is_alive():
                    process.kill()
                    process.join(JOIN_SECONDS)

    def _end_child(self) -> Any:
        """Close the pipe and terminate the child; the process, to wait for."""
        process, conn, self._process, self._conn = self._process, self._conn, None, None
        if conn is not None:
            conn.close()
        if process is not None and process.is_alive():
            process.terminate()
        return process


def _send(conn: Any, request: tuple) -> None:
    """Send on a thread of its own; a child that died meanwhile is noticed by ``poll``. A pipe
    closed while the request is being written (cancelled, closed or dead) ends the send: the
    connection raises OSError or ValueError, or TypeError once ``close`` has dropped its handle."""
    with contextlib.suppress(OSError, ValueError, TypeError), collector_paused():
        conn.send(request)
