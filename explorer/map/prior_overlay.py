"""The prior-holes overlay: a translucent image under the map's points (``trainer.latent.prior_holes``).

Recomputed when it is switched on, when the map's projection changes (a new epoch, another
layout) and, a moment after the user stops panning or zooming, for the region in view.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QTimer

from vae_explorer.trainer.latent.prior_holes import prior_holes

CELLS = 64  # the overlay is CELLS × CELLS over the visible region
SHADE = (255, 120, 0)  # orange: apart from the label colours and the yellow cursor
MAX_ALPHA = 170
SETTLE_MS = 150  # wait this long after the last pan or zoom before recomputing


class PriorHolesOverlay(QObject):
    """``tab`` is the ``SpaceTab`` holding the checkbox; ``part`` the ``MapController``."""

    def __init__(self, part, tab):
        super().__init__(part)
        self.part, self.tab = part, tab
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-5)  # under the points, over the decoded-grid overlay (-10)
        self.image.setVisible(False)
        part.map.addItem(self.image, ignoreBounds=True)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self.refresh)
        tab.holes.toggled.connect(self.refresh)
        part.state.changed.connect(self._state_changed)
        part.map.getViewBox().sigRangeChanged.connect(self._view_moved)

    def _state_changed(self, names) -> None:
        if "projection" in names:
            self.refresh()

    def _view_moved(self, *_) -> None:
        if self.tab.holes.isChecked():
            self._settle.start()

    def scores(self) -> np.ndarray | None:
        """CELLS×CELLS hole scores over the visible region, or None (with a note saying why)."""
        projection, codes = self.part.state.projection, self.part.session.codes
        if projection is None or codes is None:
            return self._note("Open or train a model first.")
        if not projection.exact or not hasattr(projection, "basis"):
            return self._note("Not on a t-SNE map: its plane has no projection of the prior. "
                              "Choose PCA or two dimensions.")
        if projection.latent_dim < 2:
            return self._note("A one-dimensional latent space has no plane to shade.")
        (x0, x1), (y0, y1) = self.part.map.visible_region()
        self._note("Orange: the prior has mass, the encoded held-out set has (almost) none.")
        return prior_holes(projection.to_plane(codes.means), projection.basis, projection.center,
                           CELLS, (x0, x1), (y0, y1))

    def _note(self, text: str) -> None:
        self.tab.holes_note.setText(text)
        return None

    def refresh(self) -> None:
        """Show the overlay for the current map and view, or hide it."""
        score = self.scores() if self.tab.holes.isChecked() else self._note("")
        if score is None:
            self.image.setVisible(False)
            return
        rgba = np.zeros((*score.shape, 4), np.uint8)
        rgba[..., :3] = SHADE
        rgba[..., 3] = np.round(score * MAX_ALPHA).astype(np.uint8)
        (x0, x1), (y0, y1) = self.part.map.visible_region()
        self.image.setImage(rgba, autoLevels=False, levels=(0, 255))
        self.image.setRect(x0, y0, x1 - x0, y1 - y0)  # row 0 is the lowest y, as the scores are
        self.image.setVisible(True)
