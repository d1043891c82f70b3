"""Bind a form's widgets to a state object's fields in one call (glue's ``autoconnect_callbacks_to_qt``).

A bound widget shows the field and writes it when the user edits it; when anything else changes
the field (a session restored, an undo, a new model), the widget follows without echoing the
change back. Nothing reads a spin box to learn a setting: the state holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox, QWidget

from vae_explorer.explorer.core.evented import EventedModel


def _combo(widget: QComboBox) -> tuple[Any, Callable[[Any], None], Callable[[], Any]]:
    def show(value: Any) -> None:
        index = widget.findData(value)
        widget.setCurrentIndex(index if index >= 0 else widget.currentIndex())

    return widget.currentIndexChanged, show, widget.currentData


def _accessors(widget: QWidget, scale: float) -> tuple[Any, Callable[[Any], None], Callable[[], Any]]:
    """The widget's changed signal, a setter and a getter of the field's value."""
    if isinstance(widget, QComboBox):
        return _combo(widget)
    if isinstance(widget, QAbstractButton):
        return widget.toggled, widget.setChecked, widget.isChecked
    if isinstance(widget, QAbstractSlider):
        return (
            widget.valueChanged,
            lambda v: widget.setValue(round(v * scale)),
            lambda: widget.value() / scale if scale != 1 else widget.value(),
        )
    if isinstance(widget, QAbstractSpinBox):
        return widget.valueChanged, widget.setValue, widget.value  # type: ignore[attr-defined]
    raise TypeError(f"cannot bind a {type(widget).__name__}")


def bind(state: EventedModel, field: str, widget: QWidget, scale: float = 1.0) -> None:
    """Keep ``widget`` and ``state.<field>`` equal; a slider shows ``value × scale``."""
    changed, show, read = _accessors(widget, scale)

    def to_widget(names: frozenset[str] | None = None) -> None:
        # Not when the widget already shows the value (the user's own edit coming back): setting a
        # spin box rewrites its text, and "0.5" typed into a field of 3 decimals became 0.000.
        if (names is None or field in names) and read() != getattr(state, field):
            widget.blockSignals(True)
            show(getattr(state, field))
            widget.blockSignals(False)

    changed.connect(lambda *_: state.update(**{field: read()}))
    state.changed.connect(to_widget)
    to_widget()


def bind_all(state: EventedModel, widgets: dict[str, QWidget]) -> None:
    """``bind`` each field of ``widgets`` ({field: widget})."""
    for field, widget in widgets.items():
        bind(state, field, widget)
