"""View ▸ Class colours: the map's two palettes as exclusive menu items, remembered across restarts.

``ViewState.palette`` is the truth. The menu items write it and follow it, whoever changes it
(the menu, the command palette, a session file), and so does the settings file: the choice is a
preference of the person at the screen (a colour-blind user wants Okabe–Ito every time), so the
next window starts with it. Session files (``ViewState.SAVED``) keep it too, but they remember
a piece of work, not the user's taste, and nothing reads them at start.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction, QActionGroup

from vae_explorer.explorer.map.palettes import PALETTES
from vae_explorer.explorer.map.state import ViewState

# The actions of core.actions.ACTIONS that choose a palette, and the palette each chooses.
PALETTE_ACTIONS = {"colours_tab10": "tab10", "colours_okabe_ito": "okabe-ito"}
SETTINGS_KEY = "map/palette"


class PaletteChoice(QObject):
    """Binds the palette actions to ``state.palette`` and keeps the choice in ``settings``."""

    def __init__(self, state: ViewState, settings: QSettings, parent: QObject | None = None):
        super().__init__(parent)
        self.state, self.settings = state, settings
        self._actions: dict[str, QAction] = {}
        saved = str(settings.value(SETTINGS_KEY, state.palette) or state.palette)
        if saved in PALETTES:  # an unknown or damaged value: the default stays
            state.palette = saved
        state.changed.connect(self._state_changed)

    def handlers(self) -> dict[str, Callable[[bool], None]]:
        """What each palette action does, for the window's action table."""
        return {name: partial(self.choose, palette) for name, palette in PALETTE_ACTIONS.items()}

    def choose(self, palette: str, checked: bool = True) -> None:
        """A palette item was chosen (``checked``: Qt's, always true in an exclusive group)."""
        self.state.palette = palette

    def bind(self, actions: dict[str, QAction]) -> None:
        """Make the table's palette actions one exclusive group, checked as the state says."""
        group = QActionGroup(self)
        group.setExclusive(True)
        for name in PALETTE_ACTIONS:
            self._actions[name] = actions[name]
            group.addAction(actions[name])
        self._show()

    def _state_changed(self, names) -> None:
        if "palette" in names:
            self.settings.setValue(SETTINGS_KEY, self.state.palette)
            self._show()

    def _show(self) -> None:
        for name, action in self._actions.items():
            action.setChecked(self.state.palette == PALETTE_ACTIONS[name])
