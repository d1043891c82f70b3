"""How the map's points are drawn: which are shown (hidden classes) and what colours them
(label, per-image reconstruction loss, per-image KL, or nothing), with a colour bar for the
figures.

``PointStyle`` is what the map part's ``draw_points`` asks which points to draw and how; it reads the
``ViewState`` and the per-image figures, and never decides anything itself.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from vae_explorer.explorer.map.state import METRICS, ViewState
from vae_explorer.trainer.latent.per_image import normalised, robust_range

COLORMAP = "viridis"  # perceptually uniform, readable by colour-blind users
POINT_ALPHA = 200
NONE_BRUSH = (200, 200, 200, 160)
BAR_LABELS = {"reconstruction": "reconstruction loss (mean code)", "kl": "KL per image"}


class PointStyle:
    """``points(labels, n)`` → (shown mask or None, brushes or None for the label colours)."""

    def __init__(self, state: ViewState, codes):
        self.state = state
        self.codes = codes  # () → the LatentCodes drawn, to tell fresh per-image figures from stale
        self.cmap = pg.colormap.get(COLORMAP)
        self.levels: tuple[float, float] | None = None  # the colour bar's range, when a figure colours

    def values(self, n: int) -> np.ndarray | None:
        """The per-image figure that colours the points now, if it is known for these ``n`` points."""
        metrics = self.state.metrics_for(self.codes())
        if self.state.color_by not in METRICS or metrics is None:
            return None
        values = metrics.values(self.state.color_by)
        return values if len(values) == n else None

    def points(self, labels, n: int):
        shown = self.state.shown_mask(labels, n)
        self.levels = None
        if self.state.color_by == "none":
            return shown, pg.mkBrush(*NONE_BRUSH)
        values = self.values(n)
        if values is None:  # label colours (also while a figure is still being computed)
            return shown, None
        self.levels = robust_range(values if shown is None else values[shown])
        return shown, self.brushes(values, self.levels)

    def brushes(self, values: np.ndarray, levels) -> list:
        """One brush per value: its place between ``levels`` on the colour map."""
        colors = self.cmap.map(normalised(values, levels), mode="byte")
        table: dict = {}
        out = []
        for r, g, b, _ in colors:
            key = (int(r), int(g), int(b))
            brush = table.get(key)
            if brush is None:
                brush = table[key] = pg.mkBrush(*key, POINT_ALPHA)
            out.append(brush)
        return out


class ColorBar:
    """A colour bar beside the map, shown while a per-image figure colours the points."""

    def __init__(self, plot: pg.PlotWidget, style: PointStyle):
        self.style = style
        self.bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=style.cmap, interactive=False, width=14)
        self.bar.colorMapMenu = False  # its right-click menu would recolour the bar but not the points
        plot.getPlotItem().layout.addItem(self.bar, 2, 5)
        self.bar.setVisible(False)

    def update(self, color_by: str) -> None:
        levels = self.style.levels
        self.bar.setVisible(levels is not None)
        if levels is not None:
            self.bar.setLevels(levels)
            self.bar.axis.setLabel(BAR_LABELS.get(color_by, color_by))
