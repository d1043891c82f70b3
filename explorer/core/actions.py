"""Every menu command in one table: its text, shortcut, menu place, and when it is enabled.

Enabled state is derived, never kept by hand: ``ActionTable.refresh(facts)`` evaluates each
action's rule on ``Facts``, a snapshot of the parts' state, whenever that state changes.
Buttons that do the same as an action (Start, Pause, Stop, Continue) are bound to it, so they
follow the same rule and go through the same command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

Key = QKeySequence.StandardKey


@dataclass(frozen=True)
class Facts:
    """What the enabled rules may look at."""

    tf_ready: bool = False
    has_dataset: bool = False
    has_model: bool = False
    training: bool = False  # preparing or running (also paused): the model may change
    running: bool = False  # a training thread exists: it can be paused or stopped
    can_undo: bool = False  # the undo stack has a step to take back (the window fills these two in)
    can_redo: bool = False

    @classmethod
    def of(cls, session, training) -> Facts:
        return cls(
            tf_ready=session.tf_ready,
            has_dataset=session.dataset is not None,
            has_model=session.has_model,
            training=training.busy,
            running=training.running,
        )


@dataclass(frozen=True)
class Rule:
    """An enabled rule and what it needs, written together: the command palette says ``needs``
    beside a disabled action, so the reason can never drift from the rule."""

    test: Callable[[Facts], bool]
    needs: str = ""

    def __call__(self, f: Facts) -> bool:
        return self.test(f)


def needs(rule: Callable[[Facts], bool]) -> str:
    """Why an action with this rule is disabled ("" for a rule that says nothing)."""
    return rule.needs if isinstance(rule, Rule) else ""


_ready = Rule(
    lambda f: f.tf_ready and f.has_dataset and not f.training,
    "needs TensorFlow loaded, a dataset, and no training running",
)
_idle_model = Rule(lambda f: f.has_model and not f.training, "needs a trained or opened model, and no training running")
_can_open = Rule(lambda f: f.tf_ready and not f.training, "needs TensorFlow loaded, and no training running")
_running = Rule(lambda f: f.running, "needs a training running")
_always = Rule(lambda f: True)
_continuable = Rule(lambda f: _ready(f) and f.has_model, "needs a model and a dataset, and no training running")
_placeable = Rule(lambda f: f.tf_ready and f.has_model, "needs a trained or opened model")
_undoable = Rule(lambda f: f.can_undo, "needs a change to undo")
_redoable = Rule(lambda f: f.can_redo, "needs a change that was undone")


@dataclass(frozen=True)
class Spec:
    text: str
    shortcut: str | Key | None = None
    enabled: Callable[[Facts], bool] = _always
    checkable: bool = False
    tip: str = ""


ACTIONS: dict[str, Spec] = {
    "open": Spec("&Open model…", Key.Open, _can_open),
    "open_data": Spec(
        "Open &dataset…", "Ctrl+Shift+O", _can_open, tip="An .npz file, an IDX folder or a folder of images"
    ),
    "follow": Spec(
        "&Follow model file…",
        None,
        _can_open,
        checkable=True,
        tip="Show each new version of a model file a training elsewhere saves (train --save-every N)",
    ),
    "open_image": Spec(
        "Open &image…",
        "Ctrl+I",
        _placeable,
        tip="Place PNG or JPEG images on the map with the model's encoder (or drop them on the window)",
    ),
    "save": Spec("&Save model", Key.Save, _idle_model),
    "save_as": Spec("Save model &as…", "Ctrl+Shift+S", _idle_model),
    "save_session": Spec(
        "Save sessio&n…", None, tip="The model file, the map's layout, zoom, selection, filters and the tools' settings"
    ),
    "open_session": Spec("Open sess&ion…", None, _can_open, tip="Open a saved session: the window as it was"),
    "reopen_session": Spec("Reopen &last session", None, _can_open, tip="Open the session saved or opened last"),
    "undo": Spec("&Undo", "Ctrl+Z", _undoable, tip="Take back the last change of the map, a selection or a tool"),
    "redo": Spec("&Redo", "Ctrl+Shift+Z", _redoable, tip="Do again what was undone"),
    "export_grid": Spec("Manifold &grid (PNG)…", "Ctrl+E", _idle_model),
    "export_samples": Spec("Random &samples (PNG)…", None, _idle_model),
    "export_interp": Spec("&Interpolation strip (PNG)…", None, _idle_model),
    "export_traverse": Spec("&Traversal (PNG)…", None, _idle_model),
    "export_csv": Spec("Latent &codes (CSV)…", "Ctrl+Shift+E", _idle_model),
    "export_keras": Spec("&Keras model (.keras)…", None, _idle_model),
    "export_report": Spec(
        "&Report (HTML)…",
        "Ctrl+Shift+H",
        _idle_model,
        tip="One self-contained HTML page of the model to share: curves, health, map, reconstructions, samples",
    ),
    "quit": Spec("&Quit", "Ctrl+Q"),  # Key.Quit is empty on Windows and on Linux without a desktop theme
    "start": Spec("&Start", "Ctrl+R", _ready),
    "continue": Spec("&Continue training", "Ctrl+Shift+R", _continuable),
    "pause": Spec("&Pause / resume", "Ctrl+P", _running),
    "stop": Spec("S&top", "Ctrl+.", _running),
    "log": Spec("&Log-scale loss", "Ctrl+L", checkable=True),
    "fit": Spec("&Fit plots to data", "Ctrl+0"),
    "evaluate": Spec(
        "&Evaluate likelihood…",
        None,
        _idle_model,
        tip="The importance-weighted bound on the held-out images, computed in the background",
    ),
    "runs": Spec("&Runs panel", "Ctrl+Shift+U", checkable=True, tip="The recorded training runs"),
    "about": Spec("&About"),
    "palette": Spec("Command &palette…", "Ctrl+Shift+P", tip="Find any command by typing part of its name"),
    "shortcuts": Spec("&Keyboard shortcuts", "F1", tip="Every shortcut, and what the mouse does on the map"),
    "colours_tab10": Spec("Matplotlib &tab10", checkable=True, tip="The class colours: Matplotlib's ten"),
    "colours_okabe_ito": Spec(
        "&Okabe–Ito (colour-blind safe)", checkable=True, tip="The class colours: safe for colour-blind eyes"
    ),
}

# Menu layout: action names, "-" for a separator, "@name" for a submenu the window supplies,
# and (title, items) for a nested menu.
MENUS = (
    (
        "&File",
        (
            "open",
            "open_data",
            "open_image",
            "@recent",
            "follow",
            "-",
            "save",
            "save_as",
            "-",
            "open_session",
            "reopen_session",
            "save_session",
            "-",
            (
                "&Export",
                (
                    "export_grid",
                    "export_samples",
                    "export_interp",
                    "export_traverse",
                    "-",
                    "export_csv",
                    "export_keras",
                    "-",
                    "export_report",
                ),
            ),
            "-",
            "quit",
        ),
    ),
    ("&Edit", ("undo", "redo")),
    ("&Training", ("start", "continue", "pause", "stop", "-", "evaluate")),
    ("&View", ("log", "fit", "runs", "-", ("&Class colours", ("colours_tab10", "colours_okabe_ito")), "-", "palette")),
    ("&Help", ("shortcuts", "about")),
)


class ActionTable(QObject):
    """The QActions of ``ACTIONS``, each calling ``commands[name]`` (with ``checked`` if checkable)."""

    def __init__(self, commands: dict[str, Callable], parent: QObject):
        super().__init__(parent)
        self.actions: dict[str, QAction] = {
            name: self._make(name, spec, commands[name]) for name, spec in ACTIONS.items()
        }

    def _make(self, name: str, spec: Spec, command) -> QAction:
        action = QAction(spec.text, self.parent())
        action.setObjectName(name)
        if spec.shortcut is not None:
            action.setShortcut(QKeySequence(spec.shortcut))
        action.setStatusTip(spec.tip)
        action.setCheckable(spec.checkable)
        if spec.checkable:
            action.triggered.connect(lambda checked, c=command: c(checked))
        else:
            action.triggered.connect(lambda checked=False, c=command: c())
        return action

    def __getitem__(self, name: str) -> QAction:
        return self.actions[name]

    def build_menus(self, menubar, submenus: dict) -> None:
        for title, items in MENUS:
            self._fill(menubar.addMenu(title), items, submenus)

    def _fill(self, menu, items, submenus: dict) -> None:
        for item in items:
            if item == "-":
                menu.addSeparator()
            elif isinstance(item, tuple):
                self._fill(menu.addMenu(item[0]), item[1], submenus)
            elif item.startswith("@"):
                menu.addMenu(submenus[item[1:]])
            else:
                menu.addAction(self.actions[item])

    def refresh(self, facts: Facts) -> None:
        """Enable each action by its rule."""
        for name, spec in ACTIONS.items():
            self.actions[name].setEnabled(spec.enabled(facts))

    def bind_button(self, name: str, button) -> None:
        """A button that is this action: it triggers it and is enabled when it is."""
        action = self.actions[name]
        button.clicked.connect(lambda: action.trigger())
        action.changed.connect(lambda: button.setEnabled(action.isEnabled()))
        button.setEnabled(action.isEnabled())
