"""Load TensorFlow once, quietly, with this project's settings.

TensorFlow's C++ start-up writes oneDNN and CPU-feature notices straight to file descriptor 2,
which ``TF_CPP_MIN_LOG_LEVEL`` no longer silences; a user of ``vae-explorer train`` should see
a progress bar, not those. So the import runs with fd 2 pointed at /dev/null, and restored.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

_lock = threading.Lock()


def import_tensorflow() -> Any:
    """Import and return ``tensorflow`` with its start-up chatter silenced (thread-safe)."""
    with _lock:
        if "tensorflow" in sys.modules:
            import tensorflow as tf

            return tf
        quiet = os.environ.get("VAE_EXPLORER_TF_VERBOSE") != "1"
        saved = None
        if quiet:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 2)
                os.close(devnull)
            except OSError:
                saved = None
        try:
            import keras  # noqa: F401  (loads the backend while fd 2 is still quiet)
            import tensorflow as tf
        finally:
            if saved is not None:
                os.dup2(saved, 2)
                os.close(saved)
        tf.get_logger().setLevel("ERROR")
        return tf


_trace_lock = threading.RLock()
_pause_lock = threading.Lock()
_pauses = [0, False]  # threads inside ``collector_paused``; whether the collector ran before


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while this thread (not the GUI's) runs Python.

    The collector runs in whichever thread happens to allocate. Run on a worker thread, it once
    freed the wrappers of Qt objects left by a closed window: a QObject destroyed there waited
    for the GIL inside Qt's lock while the GUI thread, holding the GIL, waited for that lock to
    delete a menu (seen in CI, both stacks in py-spy). Every worker thread runs inside this;
    while any does, ``collect_young`` on the GUI thread keeps the young generations small and
    the automatic collector, full collections included, resumes when the last one ends.
    """
    with _pause_lock:
        if _pauses[0] == 0:
            _pauses[1] = gc.isenabled()
            gc.disable()
        _pauses[0] += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses[0] -= 1
            if _pauses[0] == 0 and _pauses[1]:
                gc.enable()


def collect_young() -> None:
    """On the GUI thread, while workers keep the collector paused: collect generation 0 (and
    1) when the automatic collector would have, unless a graph is being traced (see
    ``tracing``). About a millisecond; full collections (0.2 s here) wait for the workers."""
    if _pauses[0] == 0 or not _trace_lock.acquire(blocking=False):
        return
    try:
        (young, middle, _), (limit, middle_limit, _) = gc.get_count(), gc.get_threshold()
        if young > limit:
            gc.collect(1 if middle > middle_limit else 0)
    finally:
        _trace_lock.release()


@contextlib.contextmanager
def tracing() -> Iterator[None]:
    """One thread traces at a time, with Python's cycle collector paused meanwhile.

    A graph traced on a worker thread deadlocked with the collector running on the GUI thread
    (tensorflow#66115, seen here in CI): the collector finalised a graph object whose C++ side
    waited for the lock the tracing thread held while that thread waited for the GIL. With the
    collector paused while anything traces, and traces one at a time, neither can happen; the
    collector catches up afterwards. Wrap whatever builds or traces a model off the GUI thread.
    """
    with _trace_lock, collector_paused():
        yield


def compile_now(fn: Callable[..., Any], *signature: Any) -> Any:
    """``fn`` as a graph traced right now for ``signature`` (TensorSpecs), never retraced.

    Traced once, under ``tracing()`` (any thread may call it); calls of the built graph from any
    thread are fine.

    Tracing a training step goes through ``tf.custom_gradient`` in graph mode (Keras's
    optimizer all-reduces the gradients through it), which registers a gradient function in
    TensorFlow's global registry and never removes it; that function holds the traced graph,
    so every traced step (about 10 MB for the ``tutorial`` preset) stayed in memory for good
    (tensorflow#27492, #97697). Here those registrations live as long as the returned function
    (the ones made while it was traced: one thread traces at a time, see ``tracing``).
    """
    tf = import_tensorflow()
    registry = _gradient_registry()
    with tracing():
        before = set(registry)
        concrete = tf.function(fn, input_signature=list(signature)).get_concrete_function()
        added = [name for name in list(registry) if name not in before and name.startswith(_CUSTOM_GRADIENT)]
    if added:
        weakref.finalize(concrete, _forget, registry, added)
    return concrete


_CUSTOM_GRADIENT = "CustomGradient-"  # tensorflow.python.ops.custom_gradient.generate_name()


def _gradient_registry() -> dict:
    """TensorFlow's name → gradient function table (private; an empty dict if it moved)."""
    try:
        from tensorflow.python.framework import ops

        registry = ops._gradient_registry._registry
    except (ImportError, AttributeError):
        return {}
    return registry if isinstance(registry, dict) else {}


def _forget(registry: dict, names: list[str]) -> None:
    for name in names:
        registry.pop(name, None)
