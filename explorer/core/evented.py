"""A state object with change notification, the way napari's evented models work.

Subclasses list their fields and defaults in ``FIELDS`` and declare each as a ``Field``.
Reading a field is plain; assigning one (or several, with ``update``) emits ``changed`` once
with the names of the fields whose value changed. Widgets and controllers subscribe to
``changed`` instead of being refreshed by hand after every change.
"""

from __future__ import annotations

import copy

from PySide6.QtCore import QObject, Signal


class Field:
    """An evented attribute: reading is plain, assigning goes through ``update``."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, model, owner=None):
        return self if model is None else model._values[self.name]

    def __set__(self, model, value) -> None:
        model.update(**{self.name: value})


def same(a, b) -> bool:
    """Unchanged: the same object, or an equal plain value (arrays and models compare by identity)."""
    if a is b:
        return True
    plain = (bool, int, float, str, tuple, list, dict)
    return isinstance(a, plain) and isinstance(b, plain) and type(a) is type(b) and _equal(a, b)


def _equal(a, b) -> bool:
    try:
        return bool(a == b)
    except ValueError:  # containers of arrays: ambiguous, so changed
        return False


class EventedModel(QObject):
    """Base of the app's state objects: ``changed(frozenset of field names)``."""

    changed = Signal(object)
    FIELDS: dict = {}

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._values = {name: copy.copy(default) for name, default in self.FIELDS.items()}

    def update(self, _also: tuple = (), **values) -> None:
        """Set several fields at once; emit ``changed`` once, naming what changed (and ``_also``)."""
        unknown = set(values) - set(self.FIELDS)
        if unknown:
            raise AttributeError(f"{type(self).__name__} has no field(s) {sorted(unknown)}")
        names = {k for k, v in values.items() if not same(self._values[k], v)}
        self._values.update(values)
        names.update(_also)
        if names:
            self.changed.emit(frozenset(names))
