"""The Prior holes tool: shade where the prior puts mass but no held-out image is encoded.

A translucent image under the map's points (``trainer.latent.prior_holes``), recomputed when it
is switched on, when the map's projection changes (a new epoch, another layout) and, a moment
after the user stops panning or zooming, for the region in view. Linear maps only.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget

from vae_explorer.explorer.core.evented import EventedModel, Field
from vae_explorer.explorer.map.context import ToolContext
from vae_explorer.explorer.widgets.bind import bind

CELLS = 64  # the overlay is CELLS × CELLS over the visible region
SHADE = (255, 120, 0)  # orange: apart from the label colours and the yellow cursor
MAX_ALPHA = 170
SETTLE_MS = 150  # wait this long after the last pan or zoom before recomputing
HOLES_TIP = (
    "Shades in orange where the prior N(0, I), seen on this plane, puts mass but the encoded held-out "
    "set does not: log p_prior − log p_data per cell, clipped to 0…5 (fully shaded: the prior is at "
    "least e⁵ ≈ 150 times denser), and nothing beyond 3σ of the prior. p_prior is the prior projected "
    "on the plane (N(0, I₂) for two latent axes; on the PCA plane centred at the image of z = 0); "
    "p_data a Gaussian KDE of the map's points. Samples from the prior that land there decode to "
    "images the decoder never learned. Linear maps only (latent plane, PCA, two dimensions), not t-SNE."
)


class HolesSettings(EventedModel):
    FIELDS = {"on": False}
    SAVED = ("on",)
    on = Field()


class HolesPage(QWidget):
    def __init__(self, settings: HolesSettings, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.holes = QCheckBox("Shade prior ho&les on the map")
        self.holes.setToolTip(HOLES_TIP)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        layout.addWidget(self.holes)
        layout.addWidget(self.note)
        layout.addStretch(1)
        bind(settings, "on", self.holes)


class PriorHolesTool:
    name, order = "prior_holes", 70
    hint = "Shade where prior samples land but no held-out image is encoded (linear maps)"

    def __init__(self, ctx: ToolContext):
        self.ctx, self.state = ctx, ctx.state
        self.settings = HolesSettings()
        self.page = HolesPage(self.settings)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setVisible(False)
        ctx.add_overlay(self.image, z=-5)  # under the points, over the decoded-grid overlay (-10)
        self._settle = QTimer(self.page)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self.refresh)
        ctx.add_tab("Prior holes", self.page, self.order, self.hint)
        self.settings.changed.connect(lambda names: self.refresh())
        self.state.changed.connect(lambda names: self.refresh() if "projection" in names else None)
        ctx.view.getViewBox().sigRangeChanged.connect(lambda *_: self._settle.start() if self.settings.on else None)

    def scores(self) -> np.ndarray | None:
        """CELLS×CELLS hole scores over the visible region, or None (with a note saying why)."""
        from vae_explorer.trainer.latent.prior_holes import prior_holes

        projection, codes = self.state.projection, self.state.points
        if projection is None or codes is None:
            self._note("Open or train a model first.")
            return None
        if not projection.exact or not hasattr(projection, "basis"):
            self._note("Not on a t-SNE map: its plane has no projection of the prior. Choose PCA or two dimensions.")
            return None
        if projection.latent_dim < 2:
            self._note("A one-dimensional latent space has no plane to shade.")
            return None
        (x0, x1), (y0, y1) = self.ctx.view.visible_region()
        self._note("Orange: the prior has mass, the images on the map have (almost) none there.")
        return prior_holes(
            projection.to_plane(codes.means), projection.basis, projection.center, CELLS, (x0, x1), (y0, y1)
        )

    def _note(self, text: str) -> None:
        self.page.note.setText(text)

    def refresh(self) -> None:
        """Show the overlay for the current map and view, or hide it."""
        if not self.settings.on:
            self._note("")
        score = self.scores() if self.settings.on else None
        if score is None:
            self.image.setVisible(False)
            return
        rgba = np.zeros((*score.shape, 4), np.uint8)
        rgba[..., :3] = SHADE
        rgba[..., 3] = np.round(score * MAX_ALPHA).astype(np.uint8)
        (x0, x1), (y0, y1) = self.ctx.view.visible_region()
        self.image.setImage(rgba, autoLevels=False, levels=(0, 255))
        self.image.setRect(x0, y0, x1 - x0, y1 - y0)  # row 0 is the lowest y, as the scores are
        self.image.setVisible(True)
