"""The one door through which map tools plug in: what a tool may use and how it adds itself.

A tool gets a ``ToolContext``, never the map part itself: the app's context (the session, jobs,
errors, the status line), the map's state and view state, the map view to add items to, and two
ways in: ``add_tab`` (its page among the tools, with an order and a one-line hint) and
``add_overlay`` (an item over or under the points). Tools read state and write state; none of
them draws the scatter, which only the map part does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from vae_explorer.explorer.context import AppContext
from vae_explorer.explorer.map.latent_map import LatentMap, hide_while_empty
from vae_explorer.explorer.map.state import MapState, ViewState
from vae_explorer.explorer.map.tool_panel import ToolPanel


@dataclass
class ToolContext:
    app: AppContext
    state: MapState
    view_state: ViewState
    view: LatentMap
    panel: ToolPanel
    # File ▸ Export's PNG writer (asks the size and the path), for a tool's own Export button
    export_png: Callable[[str], bool] = field(default=lambda what: False)
    # Ask for the per-image figures (reconstruction loss, KL) of the points, computed in the background
    want_metrics: Callable[[], None] = field(default=lambda: None)

    @property
    def session(self):
        return self.app.session

    def status(self, text: str, msecs: int = 8000) -> None:
        self.app.status(text, msecs)

    def add_tab(self, name: str, widget: QWidget, order: int, hint: str) -> None:
        """The tool's page in the side panel, placed by ``order`` (lowest first)."""
        self.panel.add_tool(name, widget, order, hint)

    def add_overlay(self, item, z: float | None = None) -> None:
        """An item drawn on the map (it does not move the view's range); a marker costs nothing while empty."""
        if isinstance(item, pg.ScatterPlotItem):
            hide_while_empty(item)
        if z is not None:
            item.setZValue(z)
        self.view.addItem(item, ignoreBounds=True)

    def in_view(self, widget: QWidget) -> bool:
        """Whether ``widget``'s page is the one shown (tools decode only what is seen)."""
        return self.panel.currentWidget() is widget
