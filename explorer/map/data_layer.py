"""The map's data features, over the scatter: colour by a per-image figure with its colour bar,
thumbnails of the held-out images, the hover card, the legend as a class filter, rectangle and
lasso selection, and the per-image figures they need (computed in the background).

Part of the map part: it reads and writes the map's ``ViewState`` (the map part alone redraws the
scatter when that changes) and adds its items through the map's door (``ToolContext``).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject

from vae_explorer.explorer.map.context import ToolContext
from vae_explorer.explorer.map.data_toolbar import DataToolbar
from vae_explorer.explorer.map.hover_preview import HoverPreview
from vae_explorer.explorer.map.legend_filter import LegendFilter
from vae_explorer.explorer.map.metrics_service import MetricsService
from vae_explorer.explorer.map.palettes import frame_colors
from vae_explorer.explorer.map.point_style import ColorBar
from vae_explorer.explorer.map.selection_tool import SelectionTool
from vae_explorer.explorer.map.state import METRICS
from vae_explorer.explorer.map.thumbnails import ThumbnailLayer

BUSY_TEXT = "computing per-image losses…"


class MapDataLayer(QObject):
    """``style`` is the map part's ``PointStyle`` (it knows the colour bar's range)."""

    def __init__(self, context: ToolContext, style, parent: QObject):
        super().__init__(parent)
        self.context, self.session, self.state = context, context.session, context.view_state
        self.view = context.view
        self.colorbar = ColorBar(self.view, style)
        self.thumbnails = ThumbnailLayer(context.app.jobs.run)
        context.add_overlay(self.thumbnails)
        self.view.legend.setBrush(pg.mkBrush(0, 0, 0, 190))  # readable over the thumbnails
        self._thumb_key: tuple = ()  # what the thumbnails' tiles were made from
        self._points_shape: tuple | None = None  # which images the map showed (a selection indexes them)
        self.points = lambda: context.state.points
        self.metrics = MetricsService(self.session, context.app.jobs, self.points, self)
        self.toolbar = DataToolbar(self.state)
        self.legend = LegendFilter(self.view, self.state, self)
        self.hover = HoverPreview(
            self.view, self._image_of, lambda i: self.session.point_caption(self.points(), i), self
        )
        self.selection = SelectionTool(self.view, self.state, self)
        self._connect()

    def _connect(self) -> None:
        self.view.points_changed.connect(self._points_changed)
        self.context.state.changed.connect(self._map_state_changed)
        self.state.changed.connect(self._state_changed)
        self.session.changed.connect(self._session_changed)
        self.metrics.ready.connect(lambda codes, m: self.state.update(metrics=m, metrics_codes=codes))
        self.metrics.failed.connect(self._metrics_failed)
        self.metrics.busy.connect(lambda on: self.toolbar.show_busy(BUSY_TEXT if on else ""))

    def _session_changed(self, names) -> None:
        if names & {"model", "dataset"}:
            self.selection.clear()  # indices of other images, or of another model's map
            self.hover.hide()
        if "codes" in names:
            self.want_metrics()

    def _map_state_changed(self, names) -> None:
        if "points" in names:
            points = self.points()
            shape = None if points is None else (points.which, len(points), points.sample)
            if shape != self._points_shape:  # other images: a selection of indices means nothing now
                self._points_shape = shape
                self.selection.clear()
            self.want_metrics()

    def _points_changed(self) -> None:
        self._update_thumbnails()
        self.colorbar.update(self.state.color_by)

    def _state_changed(self, names) -> None:
        if names & {"thumbnails", "thumbnails_auto"}:
            self.thumbnails.set_mode(self.state.thumbnails, self.state.thumbnails_auto)
        if "color_by" in names:
            self.want_metrics()

    def drawn(self) -> np.ndarray:
        """Indices of the points drawn (not in a hidden class)."""
        return self.view.drawn()

    def _image_of(self, i: int) -> np.ndarray | None:
        images = self.session.point_images(self.points(), [i])
        return None if images is None else images[0]

    def _update_thumbnails(self) -> None:
        """New tiles only when the images or their frames change, not with every epoch's codes."""
        points, palette, dataset = self.points(), self.view.palette, self.session.dataset
        usable = points is not None and len(points) == len(self.view.plane)
        usable = usable and self.session.point_images(points, [0]) is not None
        key = (points.which, len(points), points.sample, id(dataset), palette) if usable and points else ()
        if key != self._thumb_key:
            self._thumb_key = key
            if not key or points is None:
                self.thumbnails.set_images(0, None, None)
            else:
                frames = frame_colors(points.labels, len(points), palette)
                shape = self.session.model.image_shape if self.session.model is not None else None
                self.thumbnails.set_images(
                    len(points), lambda rows: self.session.point_images(points, rows), frames, shape
                )
        self.thumbnails.set_points(self.view.plane, self.drawn())

    # -- per-image figures ----------------------------------------------------------------------
    def want_metrics(self, asked: bool = False) -> None:
        """Score the images when something shows the figures: the colouring, or a tool that
        ``asked`` (the worst list)."""
        if (asked or self.state.color_by in METRICS) and self.state.metrics_for(self.points()) is None:
            self.metrics.request()

    def _metrics_failed(self, text: str) -> None:
        self.toolbar.show_busy("")
        self.context.status(text)
