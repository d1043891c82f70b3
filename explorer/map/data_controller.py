"""The map's data tools as one part: thumbnails, hover preview, legend filter, colour by
reconstruction loss or KL (with a colour bar), the worst reconstructed list, and selection
with its gallery and PNG sheet.

It owns ``MapDataState`` and the widgets and items that show it, and reaches into the map part
(``MapController``) only through its public pieces: the ``LatentMap`` (its ``style`` hook and
``points_changed``), the explore panel (two more tabs) and ``click_point`` (a jump from the
worst list selects the image as a click on it would).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFileDialog

from vae_explorer.explorer.map.data_panels import SelectionGallery, WorstList
from vae_explorer.explorer.map.data_state import METRICS, MapDataState
from vae_explorer.explorer.map.data_toolbar import DataToolbar
from vae_explorer.explorer.map.hover_preview import HoverPreview
from vae_explorer.explorer.map.latent_map import label_color
from vae_explorer.explorer.map.legend_filter import LegendFilter
from vae_explorer.explorer.map.metrics_service import MetricsService
from vae_explorer.explorer.map.point_style import ColorBar, PointStyle
from vae_explorer.explorer.map.selection_tool import SelectionTool
from vae_explorer.explorer.map.thumbnails import ThumbnailLayer
from vae_explorer.trainer.errors import UserError

WORST_N = 20
GALLERY_MAX = 300  # pairs shown in the gallery (the exported sheet has every selected image)
SHEET_COLS, SHEET_SCALE = 8, 2


class MapDataController(QObject):
    def __init__(self, session, map_part, jobs, errors, status, parent: QObject):
        super().__init__(parent)
        self.session, self.map_part, self.errors, self.status = session, map_part, errors, status
        self.map = map_part.map
        self.state = MapDataState(self)
        self.style = PointStyle(self.state, lambda: self.session.codes)
        self.map.style = self.style
        self.colorbar = ColorBar(self.map, self.style)
        self.thumbnails = ThumbnailLayer()
        self.map.addItem(self.thumbnails, ignoreBounds=True)
        self.map.legend.setBrush(pg.mkBrush(0, 0, 0, 190))  # readable over the thumbnails
        self._thumb_source = (None, None)  # the (images, labels) the atlas was built from
        self.metrics = MetricsService(session, jobs, self)
        self.toolbar = DataToolbar(self.state)
        self.worst, self.gallery = WorstList(), SelectionGallery()
        map_part.panel.addTab(self.worst, "Worst")
        map_part.panel.addTab(self.gallery, "Selection")
        self.legend = LegendFilter(self.map, self.state, self)
        self.hover = HoverPreview(self.map, self.session.held_out_images, self.caption, self)
        self.selection = SelectionTool(self.map, self.state, self)
        self._connect()

    def _connect(self) -> None:
        self.map.points_changed.connect(self._points_changed)
        self.state.changed.connect(self._state_changed)
        self.session.changed.connect(self._session_changed)
        self.metrics.ready.connect(lambda codes, m: self.state.update(metrics=m, metrics_codes=codes))
        self.metrics.failed.connect(self._metrics_failed)
        self.map_part.panel.currentChanged.connect(lambda _: self._want_metrics())
        self.worst.chosen.connect(self.jump_to)
        self.gallery.export_requested.connect(self.export_sheet)
        self.gallery.clear_requested.connect(self.selection.clear)

    # -- following the session and the state ----------------------------------------------
    def _session_changed(self, names) -> None:
        if names & {"model", "dataset"}:
            self.selection.clear()  # indices of other images, or of another model's map
            self.hover.hide()

    def _points_changed(self) -> None:
        self._update_thumbnails()
        self._want_metrics()
        self._refresh_worst()
        self.colorbar.update(self.state.color_by)

    def _state_changed(self, names) -> None:
        if names & {"hidden", "color_by"} or ("metrics" in names and self.state.color_by in METRICS):
            self.map.redraw_points()
            self.colorbar.update(self.state.color_by)
            self.thumbnails.set_points(self.map.plane, self.drawn())
        if names & {"hidden", "metrics"}:
            self._refresh_worst()
        if "color_by" in names:
            self._want_metrics()
        if names & {"thumbnails", "thumbnails_auto"}:
            self.thumbnails.set_mode(self.state.thumbnails, self.state.thumbnails_auto)
        if "selection" in names:
            self._refresh_gallery()

    def drawn(self) -> np.ndarray:
        """Indices of the points drawn (not in a hidden class)."""
        shown = self.state.shown_mask(self.map.labels, len(self.map.plane))
        return np.arange(len(self.map.plane)) if shown is None else np.flatnonzero(shown)

    def _update_thumbnails(self) -> None:
        images, labels = self.session.held_out_images(), self.map.labels
        if images is not None and len(images) != len(self.map.plane):
            images = None
        old_images, old_labels = self._thumb_source
        same_labels = labels is old_labels or (labels is not None and old_labels is not None
                                               and np.array_equal(labels, old_labels))
        if images is not old_images or not same_labels:  # not every epoch: the images stay the same
            self._thumb_source = images, labels
            frames = None if images is None else self.frame_colors(labels, len(images))
            self.thumbnails.set_images(images, frames)
        self.thumbnails.set_points(self.map.plane, self.drawn())

    @staticmethod
    def frame_colors(labels, n: int) -> np.ndarray:
        if labels is None:
            return np.full((n, 3), 160, np.uint8)
        table = {int(v): label_color(int(v)) for v in np.unique(labels)}
        return np.array([table[int(v)] for v in labels], np.uint8)

    # -- per-image figures and the worst list ------------------------------------------------
    def _want_metrics(self) -> None:
        """Score the images when something shows the figures: the colouring or the worst list."""
        wanted = self.state.color_by in METRICS or self.map_part.panel.currentWidget() is self.worst
        if wanted and self.state.metrics_for(self.session.codes) is None:
            # The first request per model traces its graph here (~0.4 s for `default`): say so first.
            self.toolbar.show_busy("computing per-image losses…")
            QTimer.singleShot(0, self._request_metrics)

    def _request_metrics(self) -> None:
        self.metrics.request()
        self.toolbar.show_busy("computing per-image losses…" if self.metrics.computing else "")

    def _metrics_failed(self, text: str) -> None:
        self.toolbar.show_busy("")
        self.status(text)

    def _refresh_worst(self) -> None:
        self.toolbar.show_busy("computing per-image losses…" if self.metrics.computing else "")
        from vae_explorer.trainer.latent.per_image import worst

        metrics, images = self.state.metrics_for(self.session.codes), self.session.held_out_images()
        if metrics is None or images is None or len(images) != len(metrics.reconstruction):
            self.worst.show_entries([])
            return
        top = worst(metrics.reconstruction, WORST_N, among=self.drawn())
        self.worst.show_entries([(i, images[i], f"{self.caption(i)} · loss {metrics.reconstruction[i]:.1f}")
                                 for i in top])

    def jump_to(self, index: int) -> None:
        """Centre the view on a held-out image's point, keeping the zoom, and select it as a click would."""
        vb = self.map.getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        x, y = (float(v) for v in self.map.plane[index])
        vb.setRange(xRange=(x - (x1 - x0) / 2, x + (x1 - x0) / 2),
                    yRange=(y - (y1 - y0) / 2, y + (y1 - y0) / 2), padding=0)
        self.map_part.click_point(index)

    def caption(self, index: int) -> str:
        """``#index · label (class name)``, the way the hover card, the lists and the gallery name an image."""
        labels = self.session.codes.labels if self.session.codes is not None else None
        if labels is None:
            return f"#{index}"
        names, v = self.session.label_names(), int(labels[index])
        return f"#{index} · {v}" + (f" ({names[v]})" if names and v < len(names) and names[v] != str(v) else "")

    # -- the selection gallery ----------------------------------------------------------------
    def selected_pairs(self, limit: int | None = None):
        """(indices, originals, reconstructions) of the selection (the first ``limit``)."""
        images, space = self.session.held_out_images(), self.session.space
        sel = np.asarray(self.state.selection, np.int64)[:limit]
        if images is None or space is None or not len(sel):
            return sel[:0], None, None
        originals = images[sel]
        return sel, originals, space.reconstruct(originals)

    def _refresh_gallery(self) -> None:
        from vae_explorer.trainer.maps.selection import pair_sheet

        sel, originals, recon = self.selected_pairs(GALLERY_MAX)
        entries = [(int(i), pair_sheet(originals[k:k + 1], recon[k:k + 1], cols=1, pad=0), self.caption(int(i)))
                   for k, i in enumerate(sel)]
        self.gallery.show_pairs(entries, len(self.state.selection))
        if len(sel):
            self.map_part.panel.setCurrentWidget(self.gallery)

    def export_sheet(self, path: str | None = None) -> bool:
        """Every selected image beside its reconstruction, as one PNG (written atomically)."""
        from vae_explorer.trainer.files.imagegrid import upscale, write_png
        from vae_explorer.trainer.maps.selection import pair_sheet

        sel, originals, recon = self.selected_pairs()
        if not len(sel):
            return False
        path = path or QFileDialog.getSaveFileName(self.map, "Export selection sheet", "selection.png", "PNG (*.png)")[0]
        if not path:
            return False
        path = path if path.lower().endswith(".png") else path + ".png"
        try:
            write_png(path, upscale(pair_sheet(originals, recon, cols=SHEET_COLS), SHEET_SCALE))
        except UserError as exc:
            self.errors.report("Cannot export", exc)
            return False
        self.status(f"Wrote {path} ({len(sel)} images beside their reconstructions)")
        return True
