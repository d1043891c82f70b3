"""The map part: the held-out codes drawn in the chosen layout, and what the user points at.

It owns ``MapState`` and ``ViewState`` and the widgets bound to them (the map view, the layout
chooser, the tool panel), follows the ``Session`` (a new model, new codes) and draws the scatter
in one place, ``draw_points``: the live map or a replayed epoch, hidden classes left out, in the
colours the view state asks for. Tools plug in through ``context`` (``map.context.ToolContext``)
and only read and write state. Layouts come from the trainer's one registry.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject

from vae_explorer.explorer.context import AppContext
from vae_explorer.explorer.map.axes import AxesChooser
from vae_explorer.explorer.map.context import ToolContext
from vae_explorer.explorer.map.latent_map import LatentMap
from vae_explorer.explorer.map.layout_service import LayoutService
from vae_explorer.explorer.map.point_style import PointStyle
from vae_explorer.explorer.map.state import METRICS, MapState, ViewState
from vae_explorer.explorer.map.tool_panel import ToolPanel
from vae_explorer.trainer.maps.layouts import LAYOUTS, effective_layout_name, make_layout, pca_projection


class MapController(QObject):
    """The map part; ``tools`` maps each plugged-in tool's name to the tool."""

    def __init__(self, app: AppContext):
        super().__init__(app.window)
        self.app, self.session = app, app.session
        self.state, self.view_state = MapState(), ViewState()
        self.layouts = LayoutService(self)
        self.map, self.panel, self.axes = LatentMap(), ToolPanel(), AxesChooser(self.state)
        self.style = PointStyle(self.view_state, lambda: self.session.codes)
        self.context = ToolContext(app, self.state, self.view_state, self.map, self.panel)
        self.tools: dict[str, object] = {}
        self._layout_problem = ""  # why the t-SNE layout is missing, when it failed
        self._dims_defaulted = False  # this model's chosen dimensions were set to its most active
        self._connect()

    def _connect(self) -> None:
        self.map.position_clicked.connect(self.click_position)
        self.map.point_clicked.connect(self.click_point)
        self.session.changed.connect(self._session_changed)
        self.state.changed.connect(self._state_changed)
        self.view_state.changed.connect(self._view_state_changed)
        self.layouts.ready.connect(self._tsne_ready)
        self.layouts.failed.connect(self._tsne_failed)

    def add_tools(self, tools) -> None:
        """Build each tool class of ``tools`` with the map's context (they add their own pages)."""
        for tool_class in tools:
            tool = tool_class(self.context)
            self.tools[tool.name] = tool

    # -- following the session and the state --------------------------------------------------
    def _session_changed(self, names) -> None:
        s = self.session
        if "dataset" in names and s.dataset is not None:
            self.map.show_legend(s.dataset.y_test, s.label_names())
        if "model" in names:
            self.reset()
        if names & {"model", "codes"}:
            self._default_dims()
        if names & {"model", "codes"} or ("dataset" in names and self.state.codes is not None):
            self.refresh(keep_view="model" not in names)

    def _state_changed(self, names) -> None:
        if names & {"layout", "dims"}:
            self.refresh()
        elif "shown_epoch" in names:
            self.draw_points()
        if names & {"current", "projection", "plane"}:
            self._show_cursor()

    def _view_state_changed(self, names) -> None:
        if "palette" in names:
            self.map.set_palette(self.view_state.palette)
            self.map.show_legend(self.map.labels, self.session.label_names())
        if names & {"hidden", "color_by", "palette"} or ("metrics" in names and self.view_state.color_by in METRICS):
            self.draw_points()

    def _tsne_ready(self, codes, layout) -> None:
        """A t-SNE layout arrived: show it, keeping the user's view (points drift, not jump)."""
        if self.session.codes is None:
            return
        self._layout_problem = ""
        self.state.update(tsne=layout, tsne_codes=codes)
        if self._layout_name() == "tsne":
            self.refresh(keep_view=True)

    def _tsne_failed(self, text: str) -> None:
        self._layout_problem = text
        self.app.status(text, 15000)
        self.axes.show_mode(self._mode_text())

    # -- the map ------------------------------------------------------------------------------
    def live_picture(self) -> tuple[np.ndarray, str] | None:
        """The live map as shown (its plane and layout name), or None while an epoch is replayed."""
        if self.state.plane is None or self.state.shown_epoch is not None:
            return None
        return np.asarray(self.state.plane), self._layout_name()

    def _default_dims(self) -> None:
        """A new model's chosen-dimensions map starts on its two most active dimensions (by KL),
        once per model, when its codes first come with their variances: after that, the user's."""
        health = self.session.health()
        if self._dims_defaulted or health is None or health.latent_dim < 2:
            return
        self._dims_defaulted = True
        self.state.dims = tuple(health.most_active(2))

    def reset(self) -> None:
        """A different model: forget points, endpoints and the old model's layout."""
        self._dims_defaulted = False
        self.state.forget_points()
        self.layouts.forget()
        self._layout_problem = ""
        self.map.show_cursor(None)
        self.map.getViewBox().enableAutoRange()
        self.axes.set_latent_dim(self.session.latent_dim)

    def _layout_name(self) -> str:
        return effective_layout_name(self.state.layout, self.session.latent_dim)

    def _projection(self, means: np.ndarray):
        """The projection the chosen layout gives these codes (PCA stands in for t-SNE until the
        background layout of these codes arrives)."""
        name = self._layout_name()
        if name == "tsne":
            return self.state.tsne if self.state.tsne is not None else pca_projection(means, self.state.projection)
        return make_layout(name, means, previous=self.state.projection, dims=tuple(self.state.dims))

    def refresh(self, keep_view: bool = False) -> None:
        """New codes or another layout: the projection, a t-SNE request if needed, the scatter."""
        codes = self.session.codes
        if codes is None or self.session.model is None:
            return
        try:
            projection = self._projection(codes.means)
        except ValueError as exc:  # two chosen dimensions that this model does not have
            self.app.status(f"Map: {exc}", 8000)
            return
        if self._layout_name() == "tsne" and self.state.tsne_codes is not codes:
            self.layouts.request(codes)  # in the background; until then the last layout places the points
        self.state.update(codes=codes, projection=projection)
        self.map.set_axis_names(*self._axis_names(projection))
        self.draw_points(keep_view)

    def _axis_names(self, projection) -> tuple[str, str]:
        if self.session.latent_dim == 1:
            return "z[0]", "(none)"
        name = "tsne" if projection.kind == "tsne" else "pca" if projection.kind == "pca" else self._layout_name()
        return LAYOUTS[name].axis_names(tuple(self.state.dims))

    def live_plane(self) -> np.ndarray | None:
        """Where the live map puts the session's codes."""
        codes, projection = self.session.codes, self.state.projection
        if codes is None or projection is None:
            return None
        if projection is self.state.tsne and self.state.tsne_codes is codes:
            return projection.plane
        return projection.to_plane(codes.means)

    def shown_points(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(plane, labels) of what the map shows: the live map, or the recorded epoch replayed."""
        from vae_explorer.trainer.maps.epoch_codes import replay_plane

        index, record = self.state.shown_epoch, self.session.epoch_codes
        if index is None or record is None or not 0 <= index < len(record) - 1 or self.state.projection is None:
            return self.live_plane(), None if self.session.codes is None else self.session.codes.labels
        return replay_plane(record, index, self.state.projection), record.labels

    def draw_points(self, keep_view: bool = True) -> None:
        """The one place the scatter is drawn."""
        plane, labels = self.shown_points()
        if plane is None:
            return
        shown, brushes = self.style.points(labels, len(plane))
        idx = None if shown is None else np.flatnonzero(shown)
        self.map.draw_points(plane, labels, idx, brushes, keep_view=keep_view)
        self.state.plane = np.asarray(plane, np.float32)
        self.axes.show_mode(self._mode_text())

    def _mode_text(self) -> str:
        """Exact or approximate, t-SNE still computing (or failed), and the legibility drawn."""
        from vae_explorer.trainer.maps.legibility import legibility

        projection, codes = self.state.projection, self.session.codes
        if projection is None or codes is None:
            return ""
        tsne_shown = self._layout_name() == "tsne"
        if tsne_shown and projection.kind != "tsne":
            text = self._layout_problem or "computing the t-SNE layout…"
            text += " (PCA meanwhile)"
        elif projection.exact:
            text = "exact: every point of the plane is one latent point"
        else:
            text = "approximate: the plane decodes through an inverse map" + (
                " · updating…" if self.layouts.computing else ""
            )
        if self.state.shown_epoch is not None:
            return text
        plane = self.live_plane()  # not None: there are codes and a projection
        score = None if plane is None else legibility(plane, codes.labels)
        return text if score is None else f"{text} · legibility {score:.0%}"

    # -- clicks: the current point ------------------------------------------------------------
    def click_position(self, x: float, y: float) -> None:
        """A click between the points: the latent point under the mouse becomes the current one."""
        if self.state.projection is None or self.session.space is None:
            return
        self.state.update(current=self.state.projection.from_plane([x, y])[0], current_index=None)

    def click_point(self, index: int) -> None:
        """A click on a data point: its code becomes the current point."""
        if self.session.codes is None or self.session.space is None:
            return
        self.state.update(current=np.asarray(self.session.codes.means[index], np.float32), current_index=int(index))

    def _show_cursor(self) -> None:
        current, projection = self.state.current, self.state.projection
        if current is None or projection is None:
            self.map.show_cursor(None)
            return
        index, plane = self.state.current_index, self.state.plane
        if index is not None and plane is not None and index < len(plane):
            self.map.show_cursor((float(plane[index][0]), float(plane[index][1])))
            return
        p = np.asarray(projection.to_plane(current)).reshape(-1)
        self.map.show_cursor((float(p[0]), float(p[1]) if len(p) > 1 else 0.0))

    def fit_view(self) -> None:
        self.map.getViewBox().enableAutoRange()
