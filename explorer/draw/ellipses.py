"""The encoder's uncertainty drawn on the map: the 1σ ellipse of a posterior q(z|x).

For the clicked data point (its held-out mean and log-variance, from the model file or the
last encoding) and for anything else that asks (the Draw part's markers), whenever the map
shows a linear image of the latent space: the latent plane, two chosen dimensions or a PCA
plane. The maths (``trainer.maps.posterior``): centre P(μ − c), covariance P Σ Pᵀ. A t-SNE map is
not linear, so it shows no ellipse.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject

from vae_explorer.trainer.maps.posterior import posterior_ellipse

PENS = {"point": ((255, 255, 0), 2), "markers": ((255, 80, 255), 2)}


class EllipseOverlay(QObject):
    """``ellipses[source]``: the ``trainer.maps.posterior.Ellipse`` objects drawn for each source."""

    def __init__(self, ctx, parent: QObject | None = None):
        super().__init__(parent)
        self.state, self.session = ctx.state, ctx.session
        self._posteriors: dict[str, list] = {source: [] for source in PENS}
        self.ellipses: dict[str, list] = {source: [] for source in PENS}
        self.items = {}
        for source, (colour, width) in PENS.items():
            item = pg.PlotDataItem([], [], pen=pg.mkPen(colour, width=width), connect="finite")
            item.setToolTip("The encoder's 1σ posterior ellipse (P Σ Pᵀ on a linear map)")
            ctx.add_overlay(item)
            self.items[source] = item
        self.state.changed.connect(self._state_changed)

    def show(self, source: str, posteriors) -> None:
        """Draw the ellipses of ``posteriors``, a list of (mean, log_var), for ``source``."""
        self._posteriors[source] = [(np.asarray(m), np.asarray(v)) for m, v in posteriors]
        self._draw(source)

    def _state_changed(self, names) -> None:
        if names & {"current", "current_index", "points"}:
            self._posteriors["point"] = self._clicked_posterior()
        if names & {"current", "current_index", "points", "projection"}:
            for source in PENS:
                self._draw(source)

    def _clicked_posterior(self) -> list:
        """The clicked image's (mean, log_var), or nothing for a position between points."""
        index, codes = self.state.current_index, self.state.points
        if index is None or codes is None or codes.log_vars is None or index >= len(codes.means):
            return []
        return [(codes.means[index], codes.log_vars[index])]

    def _draw(self, source: str) -> None:
        projection = self.state.projection
        found = [posterior_ellipse(m, v, projection) for m, v in self._posteriors[source]] if projection else []
        self.ellipses[source] = [e for e in found if e is not None]
        if not self.ellipses[source]:
            self.items[source].setData([], [])
            return
        outline = np.concatenate([np.vstack([e.outline(), [np.nan, np.nan]]) for e in self.ellipses[source]])
        self.items[source].setData(outline[:, 0], outline[:, 1])
