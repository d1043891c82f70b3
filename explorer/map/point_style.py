"""How the map's points are drawn: which are shown (hidden classes) and what colours them
(label, per-image reconstruction loss, per-image KL, the set an image belongs to, or nothing),
with a colour bar for the figures.

``PointStyle`` is what the map part's ``draw_points`` asks which points to draw and how; it reads the
``ViewState`` and the per-image figures, and never decides anything itself.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from vae_explorer.explorer.map.dots import argb
from vae_explorer.explorer.map.state import METRICS, ViewState
from vae_explorer.trainer.latent.per_image import normalised, robust_range

COLORMAP = "viridis"  # perceptually uniform, readable by colour-blind users
NONE_RGB = (200, 200, 200)
SET_RGB = ((240, 140, 40), (70, 150, 220))  # held-out orange, training blue (trainer.maps.points.SETS)
BAR_LABELS = {"reconstruction": "reconstruction loss (mean code)", "kl": "KL per image"}


class PointStyle:
    """``points(labels, n)`` → (shown mask or None, N uint32 dot colours or None for the label colours)."""

    def __init__(self, state: ViewState, codes, sets=lambda: None):
        self.state = state
        self.codes = codes  # () → the points drawn, to tell fresh per-image figures from stale
        self.sets = sets  # () → each point's set (trainer.maps.points.SETS), for colour by set
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
            return shown, np.full(n, argb(np.array([NONE_RGB]))[0], np.uint32)
        if self.state.color_by == "set" and self.sets() is not None and len(self.sets()) == n:
            return shown, argb(np.array(SET_RGB, np.uint8)[self.sets()])
        values = self.values(n)
        if values is None:  # label colours (also while a figure is still being computed)
            return shown, None
        self.levels = robust_range(values if shown is None else values[shown])
        return shown, self.colours(values, self.levels)

    def colours(self, values: np.ndarray, levels) -> np.ndarray:
        """One dot colour per value: its place between ``levels`` on the colour map."""
        return argb(self.cmap.map(normalised(values, levels), mode="byte")[:, :3])


class ColorBar:
    """A colour bar beside the map, shown while a per-image figure colours the points."""

    def __init__(self, plot: pg.PlotWidget, style: PointStyle):
        self.style = style
        self.bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=style.cmap, interactive=False, width=14)
        self.bar.colorMapMenu = False  # its right-click menu would recolour the bar but not the points
        plot.getPlotItem().layout.addItem(self.bar, 2, 5)
        self.bar.setVisible(False)

    def update(self, color_by: str) -> None:
        """Shown from the first figures on while a per-image figure is the colour mode, also while
        a new model's are computed (the dots show their labels meanwhile): hiding it for that
        second gave its width back to the plot area and took it again, two repaints of the map."""
        levels = self.style.levels
        self.bar.setVisible(color_by in BAR_LABELS and (levels is not None or self.bar.isVisible()))
        if levels is not None:
            self.bar.setLevels(levels)
        self.bar.axis.setLabel(BAR_LABELS.get(color_by, color_by) + ("" if levels is not None else " (computing…)"))
