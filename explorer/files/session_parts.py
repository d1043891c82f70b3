"""Which state objects a session keeps and undo takes back, gathered from the window's parts.

Sessions and undo work on the same state objects the widgets are bound to (glue's ``.glu``
sessions and its ``CommandStack`` do the same): the map's ``MapState`` and ``ViewState``, the
training settings, and every tool's settings that declare ``SAVED`` fields. Undo leaves out the
training settings (a form, whose fields keep their own Ctrl+Z) and adds the Draw part's drawing
and placed images. ``build`` makes the three parts this needs and wires when the undo stack
is cleared: a new model, new codes (each epoch of a training), a session opened.
"""

from __future__ import annotations

from typing import Any

from vae_explorer.explorer.core.evented import EventedModel
from vae_explorer.explorer.core.undo import UndoRecorder
from vae_explorer.explorer.files.sessions import SessionFiles
from vae_explorer.explorer.map.view_range import ViewRangeSync

DRAW_FIELDS = ("drawing", "images")


def saved_states(window: Any) -> dict[str, EventedModel]:
    """{name in the session file: state object}, the map before its view (a layout, then a zoom)."""
    states = {"map": window.map.state, "view": window.map.view_state, "train": window.training.settings}
    for name, tool in window.map.tools.items():
        settings = getattr(tool, "settings", None)
        if isinstance(settings, EventedModel) and settings.SAVED:
            states[name] = settings
    return states


def undoable_parts(window: Any) -> dict[str, tuple[EventedModel, tuple[str, ...]]]:
    parts = {name: (state, state.SAVED) for name, state in saved_states(window).items() if name != "train"}
    parts["draw"] = (window.draw.state, DRAW_FIELDS)
    return parts


def build(window: Any) -> tuple[ViewRangeSync, SessionFiles, UndoRecorder]:
    """The view range kept as state, the session files and the undo recorder of ``window``.

    Built after every other part: the recorder's slots then run last, after the changes a new
    model brings (points forgotten, the selection cleared), so that those are cleared, not undone.
    """
    view_range = ViewRangeSync(window.map.map, window.map.view_state, window.session, window)
    m = window.map
    sessions = SessionFiles(window.app, window.files, window.datasets, saved_states(window), m.panel, window.runs)
    undo = UndoRecorder(undoable_parts(window), window)
    sessions.applied.connect(undo.clear)
    window.session.changed.connect(lambda names: undo.clear() if names & {"model", "codes"} else None)
    window.training.state.changed.connect(lambda names: undo.clear() if window.training.state.busy else None)
    return view_range, sessions, undo


def handlers(sessions: SessionFiles, undo: UndoRecorder) -> dict:
    """What the File menu's session actions and the Edit menu do."""
    return {
        "save_session": sessions.save_dialog,
        "open_session": sessions.open_dialog,
        "reopen_session": sessions.reopen_last,
        "undo": undo.stack.undo,
        "redo": undo.stack.redo,
    }
