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
from vae_explorer.explorer.map.figures_service import FiguresService
from vae_explorer.explorer.map.latent_map import LatentMap
from vae_explorer.explorer.map.layout_service import LayoutService
from vae_explorer.explorer.map.point_style import PointStyle
from vae_explorer.explorer.map.points_service import PointsService
from vae_explorer.explorer.map.search import MapSearch
from vae_explorer.explorer.map.state import METRICS, MapState, ViewState
from vae_explorer.explorer.map.tool_panel import ToolPanel
from vae_explorer.trainer.maps.layouts import LAYOUTS, effective_layout_name, make_layout, pca_projection


class MapController(QObject):
    """The map part; ``tools`` maps each plugged-in tool's name to the tool."""

    def __init__(self, app: AppContext):
        super().__init__(app.window)
        self.app, self.session = app, app.session
        self.state, self.view_state = MapState(), ViewState()
        self.layouts = LayoutService(self, app.jobs.run)
        self.map, self.panel, self.axes = LatentMap(), ToolPanel(), AxesChooser(self.state)
        self.style = PointStyle(self.view_state, lambda: self.state.points, self._sets)
        self.points = PointsService(app, self.state)
        self.layouts.training = lambda: self.points.training()  # the window says whether one runs
        self.figures = FiguresService(app.jobs.run, lambda: self.axes.show_mode(self._mode_text()))
        self.context = ToolContext(app, self.state, self.view_state, self.map, self.panel)
        self.search = MapSearch(self.context)
        self.axes.add_widget(self.search.box)
        self.tools: dict[str, object] = {}
        self._layout_problem = ""  # why the t-SNE layout is missing, when it failed
        self._dims_defaulted = False  # this model's chosen dimensions were set to its most active
        self._keep_view = True  # the next new points keep the user's view (not after a new model)
        self._live: tuple = (None, None, None)  # (points, projection, plane) of the last live plane
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
            self._keep_view = False  # a new model's first points: fit the view to them
        if names & {"model", "codes"}:
            self._default_dims()
        if names & {"model", "codes", "dataset"}:
            self.points.update()

    def _state_changed(self, names) -> None:
        if "points" in names:
            self.refresh(keep_view=self._keep_view)
            self._keep_view = True
        elif names & {"layout", "dims"}:
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

    def _tsne_ready(self, points, layout) -> None:
        """A t-SNE layout arrived: show it, keeping the user's view (points drift, not jump)."""
        if self.state.points is None:
            return
        self._layout_problem = ""
        self.state.update(tsne=layout, tsne_points=points)
        if self._layout_name() == "tsne":
            self.refresh(keep_view=True)

    def final_layout(self) -> None:
        """A training ended: lay its last codes out once more with their neighbours found again
        (each epoch's update kept the previous neighbour lists, to stay within a third of an epoch),
        or in full when the layout started from a sample's, even while another layout is shown."""
        from_sample = self.state.tsne is not None and self.state.tsne.sampled > 0
        if (self._layout_name() == "tsne" or from_sample) and self.state.points is not None:
            self.layouts.refresh_next()
            self.layouts.request(self.state.points, again=True)

    def _tsne_failed(self, text: str) -> None:
        self._layout_problem = text
        self.app.status(text, 15000)
        self.axes.show_mode(self._mode_text())

    # -- the map ------------------------------------------------------------------------------
    def _sets(self) -> np.ndarray | None:
        return None if self.state.points is None else self.state.points.sets

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
        if self.session.model is not None and self._layout_name() == "tsne":
            self.layouts.prepare()  # its child, ahead of the first layout

    def _layout_name(self) -> str:
        return effective_layout_name(self.state.layout, self.session.latent_dim)

    def _projection(self, points):
        """The projection the chosen layout gives these points: t-SNE's places them as its last
        layout of their images, or among its codes when that is cheap; otherwise PCA stands in
        until the background layout of these points arrives."""
        name = self._layout_name()
        if name == "tsne":
            tsne, its_points = self.state.tsne, self.state.tsne_points
            if tsne is not None and (points.same_images(its_points) or tsne.places_cheaply(len(points))):
                return tsne
            return pca_projection(points.means, self.state.projection)
        return make_layout(name, points.means, previous=self.state.projection, dims=tuple(self.state.dims))

    def refresh(self, keep_view: bool = False) -> None:
        """New points or another layout: the projection, a t-SNE request if needed, the dots."""
        points = self.state.points
        if points is None or self.session.model is None:
            return
        try:
            projection = self._projection(points)
        except ValueError as exc:  # two chosen dimensions that this model does not have
            self.app.status(f"Map: {exc}", 8000)
            return
        if self._layout_name() == "tsne" and self.state.tsne_points is not points:
            self.layouts.request(points)  # in the background; until then the last layout places the points
        self.state.projection = projection
        self.map.set_axis_names(*self._axis_names(projection))
        self.draw_points(keep_view)

    def _axis_names(self, projection) -> tuple[str, str]:
        if self.session.latent_dim == 1:
            return "z[0]", "(none)"
        name = "tsne" if projection.kind == "tsne" else "pca" if projection.kind == "pca" else self._layout_name()
        return LAYOUTS[name].axis_names(tuple(self.state.dims))

    def live_plane(self) -> np.ndarray | None:
        """Where the live map puts the points (kept for the same points and projection: drawing
        and the figures line both ask, and a PCA plane of 70,000 codes is not free beside a training)."""
        points, projection = self.state.points, self.state.projection
        if points is None or projection is None:
            return None
        if self._live[0] is points and self._live[1] is projection:
            return self._live[2]
        if projection is self.state.tsne and points.same_images(self.state.tsne_points):
            plane = projection.plane  # these images' last layout, until their next one arrives
        else:
            plane = projection.to_plane(points.means)
        self._live = (points, projection, plane)
        return plane

    def shown_points(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(plane, labels) of what the map shows: the live map, or the recorded epoch replayed."""
        from vae_explorer.trainer.maps.epoch_codes import replay_plane

        index, record, points = self.state.shown_epoch, self.session.epoch_codes, self.state.points
        live = index is None or record is None or not 0 <= index < len(record) - 1 or self.state.projection is None
        if live or points is None or points.which != "held-out":  # the replay is of the held-out codes
            return self.live_plane(), None if points is None else points.labels
        return replay_plane(record, index, self.state.projection), record.labels

    def draw_points(self, keep_view: bool = True) -> None:
        """The one place the scatter is drawn."""
        plane, labels = self.shown_points()
        if plane is None:
            return
        shown, colours = self.style.points(labels, len(plane))
        idx = None if shown is None else np.flatnonzero(shown)
        self.map.draw_points(plane, labels, idx, colours, keep_view=keep_view)
        self.state.plane = np.asarray(plane, np.float32)
        self.axes.show_mode(self._mode_text(plane))

    def _mode_text(self, plane: np.ndarray | None = None) -> str:
        """Exact or approximate, t-SNE still computing (or failed), the legibility of the
        ``plane`` drawn (default: the live map's), and whether its layout started from a sample."""
        projection, points = self.state.projection, self.state.points
        if projection is None or points is None:
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
        figures = self.figures.of(self.live_plane() if plane is None else plane, points, projection)
        shown = [f"legibility {figures['legibility']:.0%}"] if figures.get("legibility") is not None else []
        shown += [f"neighbours kept {figures['recall']:.0%}"] if figures.get("recall") is not None else []
        sampled = getattr(projection, "sampled", 0)  # beside a training; last, the figures matter more
        shown += [f"started from a {sampled:,}-point sample, laid out in full after training"] if sampled else []
        return " · ".join([text, *shown])

    # -- clicks: the current point ------------------------------------------------------------
    def click_position(self, x: float, y: float) -> None:
        """A click between the points: the latent point under the mouse becomes the current one."""
        if self.state.projection is None or self.session.space is None:
            return
        self.state.update(current=self.state.projection.from_plane([x, y])[0], current_index=None)

    def click_point(self, index: int) -> None:
        """A click on a data point: its code becomes the current point."""
        if self.state.points is None or self.session.space is None:
            return
        self.state.update(current=np.asarray(self.state.points.means[index], np.float32), current_index=int(index))

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
