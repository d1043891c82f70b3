"""The installed PySide6 must not steal references to True or None.

PySide6/shiboken6 6.12.0 drop one reference to ``True`` per ``Signal.emit()`` and one to
``None`` per call of a void Qt method. On CPython 3.11 those objects are not immortal, so
after enough signals (a test suite, a long session) the count reaches zero and the
interpreter aborts at exit: "Fatal Python error: bool_dealloc" (exit 134). pyproject.toml
excludes that release; this test fails if an environment gets it anyway.
"""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QGraphicsRectItem

CALLS = 200


class _Emitter(QObject):
    changed = Signal(object)


def _drift(fn, obj) -> int:
    fn()
    gc.collect()
    before = sys.getrefcount(obj)
    for _ in range(CALLS):
        fn()
    gc.collect()
    return sys.getrefcount(obj) - before


def test_signal_emit_keeps_the_reference_count_of_true(qapp):
    emitter = _Emitter()
    emitter.changed.connect(lambda value: None)
    assert _drift(lambda: emitter.changed.emit(emitter), True) > -CALLS // 2


def test_void_qt_calls_keep_the_reference_count_of_none(qapp):
    item = QGraphicsRectItem(0, 0, 1, 1)
    assert _drift(lambda: item.setVisible(True), None) > -CALLS // 2
