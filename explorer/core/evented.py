"""State objects with change notification, without Qt (napari's evented models, psygnal's Signal).

Subclasses list their fields and defaults in ``FIELDS`` and declare each as a ``Field``. Reading a
field is plain; assigning one (or several, with ``update``) emits ``changed`` once with the names
of the fields whose value changed. Widgets and controllers subscribe to ``changed`` instead of
being refreshed by hand after every change. No Qt here: the same objects are read by exports,
tests, session files and undo, and change only on the GUI thread, so a plain list of callbacks
called in order is all a signal needs to be.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, ClassVar


class Signal:
    """Callbacks called in the order they were connected, with the emitted arguments."""

    def __init__(self) -> None:
        self._slots: list[Callable[..., Any]] = []

    def connect(self, slot: Callable[..., Any]) -> Callable[..., Any]:
        self._slots.append(slot)
        return slot

    def disconnect(self, slot: Callable[..., Any]) -> None:
        if slot in self._slots:
            self._slots.remove(slot)

    def emit(self, *args: Any) -> None:
        for slot in list(self._slots):
            slot(*args)


class Field:
    """An evented attribute: reading is plain, assigning goes through ``update``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, model: EventedModel | None, owner: type | None = None) -> Any:
        return self if model is None else model._values[self.name]

    def __set__(self, model: EventedModel, value: Any) -> None:
        model.update(**{self.name: value})


def same(a: Any, b: Any) -> bool:
    """Unchanged: the same object, or an equal plain value (arrays and models compare by identity)."""
    if a is b:
        return True
    plain = (bool, int, float, str, tuple, list, dict, frozenset)
    return isinstance(a, plain) and isinstance(b, plain) and type(a) is type(b) and _equal(a, b)


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except ValueError:  # containers of arrays: ambiguous, so changed
        return False


class EventedModel:
    """Base of the app's state objects: ``changed(frozenset of field names)``.

    ``SAVED`` names the fields a session file keeps (what the user set, not what is derived)."""

    FIELDS: ClassVar[dict[str, Any]] = {}
    SAVED: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **values: Any) -> None:
        self.changed = Signal()
        self._values = {name: copy.copy(default) for name, default in self.FIELDS.items()}
        self._values.update(self._known(values))

    def _known(self, values: dict[str, Any]) -> dict[str, Any]:
        unknown = set(values) - set(self.FIELDS)
        if unknown:
            raise AttributeError(f"{type(self).__name__} has no field(s) {sorted(unknown)}")
        return values

    def update(self, _also: tuple[str, ...] = (), **values: Any) -> None:
        """Set several fields at once; emit ``changed`` once, naming what changed (and ``_also``)."""
        names = {k for k, v in self._known(values).items() if not same(self._values[k], v)}
        self._values.update(values)
        names.update(_also)
        if names:
            self.changed.emit(frozenset(names))

    def values(self, names: tuple[str, ...] | None = None) -> dict[str, Any]:
        """The current values of ``names`` (default: the ``SAVED`` fields), as they are."""
        return {name: self._values[name] for name in (self.SAVED if names is None else names)}
