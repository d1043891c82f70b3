"""The Selection tool: the images selected on the map (Shift+drag a rectangle, Ctrl or Alt+drag a
lasso), each beside its reconstruction, and *Export sheet…* with every one of them as one PNG."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QFileDialog

from vae_explorer.explorer.map.context import ToolContext
from vae_explorer.explorer.tools.data_pages import SelectionGallery
from vae_explorer.trainer.errors import UserError

GALLERY_MAX = 300  # pairs shown in the gallery (the exported sheet has every selected image)
SHEET_COLS, SHEET_SCALE = 8, 2


class GalleryTool:
    name, order = "selection", 100
    hint = "The selected images beside their reconstructions; export them as one sheet"

    def __init__(self, ctx: ToolContext):
        self.ctx, self.session, self.view_state = ctx, ctx.session, ctx.view_state
        self.page = SelectionGallery()
        ctx.add_tab("Selection", self.page, self.order, self.hint)
        self.page.export_requested.connect(self.export_sheet)
        self.page.export_list_requested.connect(self.export_list)
        self.page.clear_requested.connect(lambda: self.view_state.update(selection=np.zeros(0, np.int64)))
        self.view_state.changed.connect(lambda names: self.refresh() if "selection" in names else None)

    def selected_pairs(self, limit: int | None = None):
        """(indices, originals, reconstructions) of the selection (the first ``limit``)."""
        points, space = self.ctx.state.points, self.session.space
        sel = np.asarray(self.view_state.selection, np.int64)[:limit]
        originals = self.session.point_images(points, sel) if len(sel) else None
        if originals is None or space is None:
            return sel[:0], None, None
        return sel, originals, space.reconstruct(originals)

    def refresh(self) -> None:
        from vae_explorer.trainer.maps.selection import pair_sheet

        sel, originals, recon = self.selected_pairs(GALLERY_MAX)
        entries = [
            (
                int(i),
                pair_sheet(originals[k : k + 1], recon[k : k + 1], cols=1, pad=0),
                self.session.point_caption(self.ctx.state.points, int(i)),
            )
            for k, i in enumerate(sel)
        ]
        self.page.show_pairs(entries, len(self.view_state.selection))
        if len(sel):
            self.ctx.panel.setCurrentWidget(self.page)

    def export_sheet(self, path: str | None = None) -> bool:
        """Every selected image beside its reconstruction, as one PNG (written atomically)."""
        from vae_explorer.trainer.files.imagegrid import upscale, write_png
        from vae_explorer.trainer.maps.selection import pair_sheet

        sel, originals, recon = self.selected_pairs()
        if not len(sel):
            return False
        path = (
            path or QFileDialog.getSaveFileName(self.page, "Export selection sheet", "selection.png", "PNG (*.png)")[0]
        )
        if not path:
            return False
        path = path if path.lower().endswith(".png") else path + ".png"
        try:
            write_png(path, upscale(pair_sheet(originals, recon, cols=SHEET_COLS), SHEET_SCALE))
        except UserError as exc:
            self.ctx.app.errors.report("Cannot export", exc)
            return False
        self.ctx.status(f"Wrote {path} ({len(sel)} images beside their reconstructions)")
        return True

    def export_list(self, path: str | None = None) -> bool:
        """The selected images as CSV rows (set, index, label, label name, file for an image folder)."""
        from vae_explorer.trainer.files.exports import write_selection_csv

        points, sel = self.ctx.state.points, np.asarray(self.view_state.selection, np.int64)
        if points is None or not len(sel):
            return False
        path = (
            path or QFileDialog.getSaveFileName(self.page, "Export selection list", "selection.csv", "CSV (*.csv)")[0]
        )
        if not path:
            return False
        path = path if path.lower().endswith(".csv") else path + ".csv"
        dataset, sets, index = self.session.dataset, points.sets[sel], points.index[sel]
        files = None
        if getattr(dataset, "files", None) is not None:
            files = [dataset.file_of(int(s), int(i)) or "" for s, i in zip(sets, index, strict=True)]
        labels = None if points.labels is None else points.labels[sel]
        try:
            write_selection_csv(path, sets, index, labels, self.session.label_names(), files)
        except UserError as exc:
            self.ctx.app.errors.report("Cannot export", exc)
            return False
        self.ctx.status(f"Wrote {path} ({len(sel)} images)")
        return True
