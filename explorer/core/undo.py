"""Edit ▸ Undo / Redo over the state objects (glue's ``CommandStack``, on Qt's ``QUndoStack``).

One generic recorder instead of a command class per gesture: it listens to each state object's
``changed`` and pushes a command holding the old and new values of the recorded fields that
changed; undoing writes the old values back through ``update``, so every widget and the map
follow as they follow any change. Writing them back is not itself recorded. A step is named by
``core.undo_names``. Changes of one field within ``MERGE_SECONDS`` of each other are one step
(the moves of a stroke, the steps of a spin box or a slider); a zoom is already one change per
gesture (``map.view_range``). A new model, new codes (each epoch of a training) or a session
opened make the old values meaningless: the stack is cleared.
"""

from __future__ import annotations

import time
from dataclasses import replace
from functools import partial

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

from vae_explorer.explorer.core.actions import Facts
from vae_explorer.explorer.core.evented import EventedModel
from vae_explorer.explorer.core.undo_names import step_name

MERGE_SECONDS = 0.5
UNDO_LIMIT = 500  # steps kept: each holds a few small arrays at most
NEVER_MERGED = {("view", "selection"), ("view", "hidden"), ("map", "ends"), ("view", "view_range"), ("draw", "images")}


class StateStep(QUndoCommand):
    """Fields of one state object, from ``old`` to ``new``."""

    def __init__(self, recorder: UndoRecorder, part: str, old: dict, new: dict, text: str):
        super().__init__(text)
        self.recorder, self.part, self.old, self.new = recorder, part, old, new
        self.when = time.monotonic()
        self._done = True  # pushed after the change happened: the first redo does nothing

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self.recorder.write(self.part, self.new)

    def undo(self) -> None:
        self.recorder.write(self.part, self.old)

    def id(self) -> int:
        return 1

    def mergeWith(self, other) -> bool:  # noqa: N802 (Qt's name)
        """One step for quick changes of the same field (not for gestures that are steps by themselves)."""
        same = isinstance(other, StateStep) and other.part == self.part and set(other.new) == set(self.new)
        if not same or (self.part, next(iter(self.new))) in NEVER_MERGED or other.when - self.when > MERGE_SECONDS:
            return False
        self.new, self.when = other.new, other.when
        return True


class UndoRecorder(QObject):
    """``parts`` maps a name to (state object, the fields of it that undo takes back)."""

    def __init__(self, parts: dict[str, tuple[EventedModel, tuple[str, ...]]], parent: QObject):
        super().__init__(parent)
        self.stack = QUndoStack(self)
        self.stack.setUndoLimit(UNDO_LIMIT)
        self.parts = parts
        self._writing = False
        self._facts: Facts | None = None  # the window's last facts, for a refresh the stack asks for
        self._actions = None  # the window's ActionTable, once ``refresh`` has been given it
        self._last = {name: state.values(fields) for name, (state, fields) in parts.items()}
        for name, (state, _) in parts.items():
            state.changed.connect(partial(self._changed, name))

    def _changed(self, part: str, names) -> None:
        state, fields = self.parts[part]
        changed = [f for f in fields if f in names]
        if not changed:
            return
        old = {f: self._last[part][f] for f in changed}
        new = state.values(tuple(changed))
        self._last[part].update(new)
        if not self._writing:
            how = getattr(state, "selected_by", "") if "selected_by" in names else ""  # else not a drag's
            extra = {"selected_by": how} if part == "view" else None
            self.stack.push(StateStep(self, part, old, new, step_name(part, changed, old, new, extra)))

    def write(self, part: str, values: dict) -> None:
        """Put ``values`` back into the state (an undo or a redo): not recorded as a new step."""
        self._writing = True
        try:
            self.parts[part][0].update(**values)
        finally:
            self._writing = False

    def clear(self, *_) -> None:
        """Nothing before this moment can be taken back (a new model, a training, a session)."""
        self.stack.clear()

    def refresh(self, actions, facts: Facts) -> None:
        """Enable ``actions`` (an ``ActionTable``) by their rules, with what the stack holds filled
        in. The first call also makes Edit ▸ Undo / Redo name their step and follow the stack."""
        if self._facts is None:
            undo, redo = actions["undo"], actions["redo"]
            self.stack.undoTextChanged.connect(lambda text: undo.setText(f"&Undo {text}".rstrip()))
            self.stack.redoTextChanged.connect(lambda text: redo.setText(f"&Redo {text}".rstrip()))
            self._actions = actions
            self.stack.canUndoChanged.connect(self._stack_changed)
            self.stack.canRedoChanged.connect(self._stack_changed)
        self._facts = facts
        actions.refresh(replace(facts, can_undo=self.stack.canUndo(), can_redo=self.stack.canRedo()))

    def _stack_changed(self, *_) -> None:
        """Something to undo now, or nothing any more (not while the window is being torn down)."""
        if shiboken6.isValid(self.stack) and self._facts is not None:
            self.refresh(self._actions, self._facts)
