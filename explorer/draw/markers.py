"""Where the user's drawing and images land on the map: a star for the drawing, a diamond and
its file name for each image, and their posterior ellipses on a linear map.

Placed with the map's own projection (``MapState.projection.to_plane``): exact on the latent
plane, a PCA plane or two chosen dimensions; on a t-SNE map the same forward blend that
places an interpolation path (``trainer.maps.layouts.TSNELayout.to_plane``: inverse-distance
weights over the code's nearest held-out codes in the latent space).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject

DRAWING_BRUSH, IMAGE_BRUSH = (255, 80, 255), (255, 170, 0)


class MarkerLayer(QObject):
    """Map items that follow ``DrawState`` (what is placed) and ``MapState`` (the projection)."""

    def __init__(self, ctx, draw_state, ellipses, parent: QObject | None = None):
        super().__init__(parent)
        self.ctx, self.map_state, self.draw_state, self.ellipses = ctx, ctx.state, draw_state, ellipses
        self.drawing = pg.ScatterPlotItem(
            size=20, symbol="star", pen=pg.mkPen("w", width=1.5), brush=pg.mkBrush(*DRAWING_BRUSH)
        )
        self.images = pg.ScatterPlotItem(
            size=15, symbol="d", pen=pg.mkPen("w", width=1.5), brush=pg.mkBrush(*IMAGE_BRUSH)
        )
        for item in (self.drawing, self.images):
            ctx.add_overlay(item, z=20)
        self.names: list[pg.TextItem] = []
        self.map_state.changed.connect(self._map_changed)
        draw_state.changed.connect(lambda names: self.refresh())

    def _map_changed(self, names) -> None:
        if "projection" in names:
            self.refresh()

    def positions(self, placed) -> np.ndarray:
        """N×2 map coordinates of placed images (their posterior means) under the current projection."""
        projection = self.map_state.projection
        if projection is None or not placed:
            return np.zeros((0, 2), np.float32)
        means = np.stack([image.encoded.mean for image in placed]).astype(np.float32)
        plane = np.asarray(projection.to_plane(means), np.float32)
        return plane if plane.shape[1] == 2 else np.c_[plane[:, :1], np.zeros(len(plane), np.float32)]

    def refresh(self) -> None:
        """Place the star, the diamonds, their names and ellipses where the map puts their codes."""
        state = self.draw_state
        drawn = self.positions([state.drawing] if state.drawing is not None else [])
        self.drawing.setData(drawn[:, 0], drawn[:, 1])
        plane = self.positions(list(state.images))
        self.images.setData(plane[:, 0], plane[:, 1])
        self._show_names([image.name for image in state.images], plane)
        self.ellipses.show("markers", [(p.encoded.mean, p.encoded.log_var) for p in state.placed()])

    def _show_names(self, names: list[str], plane: np.ndarray) -> None:
        while len(self.names) < len(names):
            text = pg.TextItem(anchor=(0, 1), color=IMAGE_BRUSH)
            self.ctx.add_overlay(text, z=21)
            self.names.append(text)
        for i, text in enumerate(self.names):
            text.setVisible(i < len(names))
            if i < len(names):
                text.setText(names[i])
                text.setPos(float(plane[i, 0]), float(plane[i, 1]))
