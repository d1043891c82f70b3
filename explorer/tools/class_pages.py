"""The pages of the two tools that work per class: a class direction and samples of a class.

Views only: they show images and are bound to their tool's settings; the tools decode.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from vae_explorer.explorer.core.evented import EventedModel, Field
from vae_explorer.explorer.widgets.bind import bind, bind_all
from vae_explorer.explorer.widgets.image_pane import ImagePane
from vae_explorer.explorer.widgets.spin_boxes import int_spin
from vae_explorer.trainer.latent.class_tools import DIRECTION_MAX

SLIDER_STEPS = 150  # t = value / 100: 0 … 1.5 in steps of 0.01
DIRECTION_TIP = (
    "Moves the clicked point along μ(target) − μ(source): the difference of the mean codes of "
    "the two classes in the held-out set (the source is the clicked image's label, or the class "
    "whose mean is nearest). At 1 a point at the source mean reaches the target mean. The "
    "moving point is drawn on the map; on a t-SNE map it is placed among its nearest held-out "
    "codes, as the map places every code that is not a data point (approximate)."
)
SAMPLES_TIP = (
    "Fits a Gaussian (mean and full covariance, plus a small ridge) to the held-out codes of one "
    "label and decodes draws from it. The model itself is unconditional; only the codes are labelled."
)


class DirectionSettings(EventedModel):
    FIELDS = {"target": None, "t": 0.0}  # the class to walk towards; how far (0 … 1.5)
    SAVED = ("target", "t")
    target = Field()
    t = Field()


class ClassSampleSettings(EventedModel):
    FIELDS = {"label": None, "n": 8, "seed": 0}  # which class, an n×n grid of draws, their seed
    SAVED = ("label", "n", "seed")
    label = Field()
    n = Field()
    seed = Field()


def fill_classes(box: QComboBox, labels: list[int], names: list[str] | None, chosen=None) -> None:
    """Offer ``labels`` (by name when known), keeping the ``chosen`` label if it is still there."""
    box.blockSignals(True)
    box.clear()
    for v in labels:
        box.addItem(names[v] if names and v < len(names) else str(v), v)
    index = box.findData(chosen)
    box.setCurrentIndex(index if index >= 0 else 0)
    box.blockSignals(False)


class DirectionTab(QWidget):
    """A target class and how far to go towards it (``t``, 0 … 1.5)."""

    def __init__(self, settings: DirectionSettings, parent=None):
        super().__init__(parent)
        self.setToolTip(DIRECTION_TIP)
        layout = QVBoxLayout(self)
        self.source_label = QLabel("Click a point on the map: it is where the walk starts.")
        self.source_label.setWordWrap(True)
        layout.addWidget(self.source_label)
        form = QFormLayout()
        self.target = QComboBox()
        self.target.setToolTip("The class to move towards")
        form.addRow("T&owards class", self.target)
        layout.addLayout(form)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setPageStep(10)
        self.slider.setToolTip(f"t from 0 to {DIRECTION_MAX} × (μ target − μ source); arrow keys step by 0.01")
        layout.addWidget(self.slider)
        self.amount = QLabel("t = 0.00")
        layout.addWidget(self.amount)
        self.preview = ImagePane()
        layout.addWidget(self.preview, 1)
        bind(settings, "target", self.target)
        bind(settings, "t", self.slider, scale=100)

    def clear(self) -> None:
        self.preview.set_image(None)
        self.source_label.setText("Click a point on the map: it is where the walk starts.")
        self.amount.setText("t = 0.00")


class ClassSamplesTab(QWidget):
    """Which class, how many samples (an N×N grid), and the seed they are drawn with."""

    def __init__(self, settings: ClassSampleSettings, parent=None):
        super().__init__(parent)
        self.setToolTip(SAMPLES_TIP)
        layout = QVBoxLayout(self)
        layout.addLayout(self._form())
        layout.addLayout(self._buttons())
        self.note = QLabel("")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.grid = ImagePane()
        layout.addWidget(self.grid, 1)
        bind_all(settings, {"label": self.label_box, "n": self.grid_n, "seed": self.seed})

    def _form(self) -> QFormLayout:
        form = QFormLayout()
        self.label_box = QComboBox()
        self.grid_n = int_spin(2, 16, 8)
        self.seed = int_spin(0, 999_999, 0)
        self.grid_n.setToolTip("The samples are shown as an N×N grid")
        self.seed.setToolTip("The random seed of the draws: the same seed draws the same samples")
        form.addRow("&Class", self.label_box)
        form.addRow("Grid N×N, N =", self.grid_n)
        form.addRow("Seed", self.seed)
        return form

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.resample = QPushButton("&Resample")
        self.resample.setToolTip("Draw new samples (the next seed)")
        self.export = QPushButton("&Export PNG…")
        self.export.setToolTip("Save this grid as a PNG (as File ▸ Export does)")
        row.addWidget(self.resample)
        row.addWidget(self.export)
        row.addStretch(1)
        return row
