"""Python's cycle collector, kept off every thread but the GUI's while the app runs.

The collector runs in whichever thread happens to allocate. Run on a worker thread, it freed
the wrappers of a closed window's Qt objects: a QObject destroyed there waited for the GIL
inside one of Qt's locks while the GUI thread, holding the GIL, waited for that lock (a
deadlock seen twice in CI, the second time when a worker re-enabled the collector and its next
allocation collected). Workers are not only ours: ``tf.data.Dataset.from_generator`` runs
Python on TensorFlow's own threads. So while a window is open (``hold``), automatic
collection is off and the GUI thread collects what is due (``collect_due``, on a timer).

Without a window (the command line) the collector is only paused while a graph is traced or
a worker runs (``collector_paused``): there is no Qt object to deadlock over.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

trace_lock = threading.RLock()  # held while a graph is traced: see ``tf_runtime.tracing``
_lock = threading.Lock()
_held = {"windows": 0, "pauses": 0, "resume": False}  # what keeps the collector off; whether it ran before


def hold() -> None:
    """A window opened: from now on only the GUI thread collects, through ``collect_due``."""
    with _lock:
        _switch_off()
        _held["windows"] += 1


def release() -> None:
    """A window closed with no thread of its own left: automatic collection resumes after the last."""
    with _lock:
        _held["windows"] = max(0, _held["windows"] - 1)
        _resume_if_free()


def held_by_windows() -> int:
    return _held["windows"]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic collection while this thread runs: wraps every worker and every trace."""
    with _lock:
        _switch_off()
        _held["pauses"] += 1
    try:
        yield
    finally:
        with _lock:
            _held["pauses"] -= 1
            _resume_if_free()


def collect_due() -> None:
    """On the GUI thread, while a window holds the collector: collect the generations that the
    automatic collector would have (a young one in about a millisecond; a full one in 10-35 ms
    since ``tf_runtime`` freezes TensorFlow's own objects), never while a graph is traced
    (tensorflow#66115: see ``tf_runtime.tracing``)."""
    if not _held["windows"] or not trace_lock.acquire(blocking=False):
        return
    try:
        (young, middle, old), (limit, middle_limit, old_limit) = gc.get_count(), gc.get_threshold()
        if young > limit:
            gc.collect(_due_generation(middle > middle_limit, old > old_limit))
    finally:
        trace_lock.release()


def _due_generation(middle_due: bool, old_due: bool) -> int:
    if not middle_due:
        return 0
    return 2 if old_due else 1


def _switch_off() -> None:
    if not (_held["windows"] or _held["pauses"]):
        _held["resume"] = gc.isenabled()
        gc.disable()


def _resume_if_free() -> None:
    if not (_held["windows"] or _held["pauses"]) and _held["resume"]:
        gc.enable()
