"""The Grid tool: an N×N grid of decodes over the visible region of the map, optionally overlaid
on it. On a t-SNE map each cell decodes through the inverse map (approximate)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from vae_explorer.explorer.core.evented import EventedModel, Field
from vae_explorer.explorer.map.context import ToolContext
from vae_explorer.explorer.widgets.bind import bind_all
from vae_explorer.explorer.widgets.image_pane import ImagePane
from vae_explorer.explorer.widgets.spin_boxes import int_spin


class GridSettings(EventedModel):
    FIELDS = {"n": 15, "overlay": False}
    SAVED = ("n", "overlay")
    n = Field()
    overlay = Field()


class GridPage(QWidget):
    def __init__(self, settings: GridSettings, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.n = int_spin(2, 40, 15)
        self.n.setToolTip("The grid has N×N decodes")
        self.decode = QPushButton("&Decode visible region")
        self.decode.setToolTip("Decode an N×N grid over the part of the map in view")
        for widget in (QLabel("N×N, N ="), self.n, self.decode):
            row.addWidget(widget)
        layout.addLayout(row)
        self.overlay = QCheckBox("Overlay the grid on the map")
        self.overlay.setToolTip("Draw the decoded grid under the points, each tile where it decodes")
        layout.addWidget(self.overlay)
        self.grid = ImagePane()
        layout.addWidget(self.grid, 1)
        bind_all(settings, {"n": self.n, "overlay": self.overlay})


class GridTool:
    name, order = "grid", 40
    hint = "Decode an N×N grid over the region in view, optionally drawn on the map itself"

    def __init__(self, ctx: ToolContext):
        self.ctx, self.session, self.state = ctx, ctx.session, ctx.state
        self.settings = GridSettings()
        self.page = GridPage(self.settings)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setOpacity(0.85)
        self.image_item.setVisible(False)
        ctx.add_overlay(self.image_item, z=-10)
        self._decoded: tuple[tuple, np.ndarray] | None = None  # (key, image) of the grid last decoded
        ctx.add_tab("Grid", self.page, self.order, self.hint)
        self.page.decode.clicked.connect(self.update)
        self.settings.changed.connect(self._settings_changed)
        self.state.changed.connect(lambda names: self._refresh() if "projection" in names else None)

    def _settings_changed(self, names) -> None:
        if "overlay" in names and not self.settings.overlay:
            self.image_item.setVisible(False)
        elif "overlay" in names:
            self.update()

    def _refresh(self) -> None:
        """New weights or another layout: the overlaid grid follows."""
        self._decoded = None
        if self.settings.overlay:
            self.update()

    def update(self) -> np.ndarray | None:
        """Decode an N×N grid over the visible region; show it (and on the map, when asked)."""
        from vae_explorer.trainer.files.exports import manifold_grid

        projection, space = self.state.projection, self.session.space
        if projection is None or space is None:
            return None
        n = self.settings.n
        (x0, x1), (y0, y1) = region = self.ctx.view.visible_region()
        image = manifold_grid(space, projection, n, (x0, x1), (y0, y1))
        self._decoded = (n, region, id(projection)), image
        self.page.grid.set_image(image)
        if self.settings.overlay:
            # Tile centres sit on the grid points: widen the rect by half a tile each side.
            dx, dy = (x1 - x0) / max(n - 1, 1), (y1 - y0) / max(n - 1, 1)
            self.image_item.setImage(np.flipud(image.squeeze()), levels=(0, 1))
            self.image_item.setRect(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy)
            self.image_item.setVisible(True)
        return image

    def export_image(self) -> np.ndarray | None:
        """The grid over the visible region: the one shown if it still fits, else decoded now."""
        key = (self.settings.n, self.ctx.view.visible_region(), id(self.state.projection))
        if self._decoded is not None and self._decoded[0] == key:
            return self._decoded[1]
        return self.update()
