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
        self.thumbnails = ThumbnailLayer()
        context.add_overlay(self.thumbnails)
        self.view.legend.setBrush(pg.mkBrush(0, 0, 0, 190))  # readable over the thumbnails
        # the (images, labels, palette) the atlas was built from
        self._thumb_source: tuple[np.ndarray | None, np.ndarray | None, str | None] = (None, None, None)
        self.metrics = MetricsService(self.session, context.app.jobs, self)
        self.toolbar = DataToolbar(self.state)
        self.legend = LegendFilter(self.view, self.state, self)
        self.hover = HoverPreview(self.view, self.session.held_out_images, self.session.caption, self)
        self.selection = SelectionTool(self.view, self.state, self)
        self._connect()

    def _connect(self) -> None:
        self.view.points_changed.connect(self._points_changed)
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

    def _update_thumbnails(self) -> None:
        images, labels, palette = self.session.held_out_images(), self.view.labels, self.view.palette
        if images is not None and len(images) != len(self.view.plane):
            images = None
        old_images, old_labels, old_palette = self._thumb_source
        same_labels = labels is old_labels or (
            labels is not None and old_labels is not None and np.array_equal(labels, old_labels)
        )
        if images is not old_images or not same_labels or palette != old_palette:  # not every epoch
            self._thumb_source = images, labels, palette
            frames = None if images is None else frame_colors(labels, len(images), palette)
            self.thumbnails.set_images(images, frames)
        self.thumbnails.set_points(self.view.plane, self.drawn())

    # -- per-image figures ----------------------------------------------------------------------
    def want_metrics(self, asked: bool = False) -> None:
        """Score the images when something shows the figures: the colouring, or a tool that
        ``asked`` (the worst list)."""
        if (asked or self.state.color_by in METRICS) and self.state.metrics_for(self.session.codes) is None:
            self.metrics.request()

    def _metrics_failed(self, text: str) -> None:
        self.toolbar.show_busy("")
        self.context.status(text)
