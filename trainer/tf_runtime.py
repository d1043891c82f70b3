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

from vae_explorer.trainer.collector import collector_paused, trace_lock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

_lock = threading.Lock()
_frozen: list[bool] = []  # whether TensorFlow's objects were put out of the collector's sight


def import_tensorflow() -> Any:
    """Import and return ``tensorflow`` with its start-up chatter silenced (thread-safe)."""
    with _lock:
        if "tensorflow" not in sys.modules:
            _import_quietly()
        import tensorflow as tf

        if not _frozen:
            # TensorFlow's 300,000 objects are never garbage: out of the collector's sight, a
            # full collection takes 10-35 ms instead of 260 ms (a freeze of the window).
            gc.freeze()
            _frozen.append(True)
        return tf


def _import_quietly() -> None:
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


@contextlib.contextmanager
def tracing() -> Iterator[None]:
    """One thread traces at a time, with Python's cycle collector paused meanwhile.

    A graph traced on a worker thread deadlocked with the collector running on the GUI thread
    (tensorflow#66115, seen here in CI): the collector finalised a graph object whose C++ side
    waited for the lock the tracing thread held while that thread waited for the GIL. With the
    collector paused while anything traces, and traces one at a time, neither can happen; the
    collector catches up afterwards. Wrap whatever builds or traces a model off the GUI thread.
    """
    with trace_lock, collector_paused():
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
