"""The "Prior & epochs" tab: shade the prior's holes on the map, replay the map epoch by epoch.

A view only: ``explorer.map.prior_overlay`` and ``explorer.map.epoch_scrub`` do the work.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QGroupBox, QLabel, QSlider, QVBoxLayout, QWidget

HOLES_TIP = ("Shades in orange where the prior N(0, I), seen on this plane, puts mass but the encoded held-out "
             "set does not: log p_prior − log p_data per cell, clipped to 0…5 (fully shaded: the prior is at "
             "least e⁵ ≈ 150 times denser), and nothing beyond 3σ of the prior. p_prior is the prior projected "
             "on the plane (N(0, I₂) for two latent axes; on the PCA plane centred at the image of z = 0); "
             "p_data a Gaussian KDE of the map's points. Samples from the prior that land there decode to "
             "images the decoder never learned. Linear maps only (latent plane, PCA, two dimensions), not t-SNE.")
SCRUB_TIP = ("Replays the map as it was after each epoch of this run (the held-out codes are kept after every "
             "epoch, up to 200; longer runs keep every other one; saved with the model). The latent plane and two chosen dimensions "
             "show the codes as they were; PCA and t-SNE maps show each epoch's codes on their own PCA plane, "
             "rotated or reflected (and, for t-SNE, scaled) onto the final map by Procrustes alignment, so the "
             "points do not flip. At the right end: the live map. Clicks decode with the current weights.")


class SpaceTab(QWidget):
    """The holes checkbox and the epoch slider, each with a line saying what is shown."""

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addWidget(self._prior_box())
        layout.addWidget(self._epochs_box())
        layout.addStretch(1)
        self.show_epochs([])

    def _prior_box(self) -> QGroupBox:
        prior = QGroupBox("What the prior says")
        box = QVBoxLayout(prior)
        self.holes = QCheckBox("Shade prior ho&les on the map")
        self.holes.setToolTip(HOLES_TIP)
        self.holes_note = QLabel("")
        self.holes_note.setWordWrap(True)
        box.addWidget(self.holes)
        box.addWidget(self.holes_note)
        return prior

    def _epochs_box(self) -> QGroupBox:
        epochs = QGroupBox("The map across epochs")
        epochs.setToolTip(SCRUB_TIP)
        box = QVBoxLayout(epochs)
        self.epoch_slider = QSlider(Qt.Orientation.Horizontal)
        self.epoch_slider.setToolTip(SCRUB_TIP)
        self.epoch_slider.setPageStep(1)
        self.epoch_label = QLabel("")
        self.epoch_label.setWordWrap(True)
        box.addWidget(self.epoch_slider)
        box.addWidget(self.epoch_label)
        return epochs

    def show_epochs(self, epochs: list[int]) -> None:
        """Offer the recorded epochs, the slider at the newest (the live map)."""
        self.epoch_slider.blockSignals(True)
        self.epoch_slider.setRange(0, max(0, len(epochs) - 1))
        self.epoch_slider.setValue(self.epoch_slider.maximum())
        self.epoch_slider.blockSignals(False)
        self.epoch_slider.setEnabled(len(epochs) > 1)
        self.epoch_label.setText("Train a model: the map of every epoch is kept for replay." if len(epochs) < 2
                                 else f"Live map (epoch {epochs[-1]}); drag left to replay {len(epochs)} epochs.")
