"""Two tabs of the explore panel that work per class: a class direction and samples of a class.

Views only: they show images and the user's choices; ``explorer.map.class_controller`` decodes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget,
)

from vae_explorer.explorer.widgets.image_pane import ImagePane
from vae_explorer.explorer.widgets.spin_boxes import int_spin
from vae_explorer.trainer.latent.class_tools import DIRECTION_MAX

SLIDER_STEPS = 150  # t = value / 100: 0 … 1.5 in steps of 0.01
DIRECTION_TIP = ("Moves the clicked point along μ(target) − μ(source): the difference of the mean codes of "
                 "the two classes in the held-out set (the source is the clicked image's label, or the class "
                 "whose mean is nearest). At 1 a point at the source mean reaches the target mean. The "
                 "moving point is drawn on the map; on a t-SNE map it is placed among its nearest held-out "
                 "codes, as the map places every code that is not a data point (approximate).")
SAMPLES_TIP = ("Fits a Gaussian (mean and full covariance, plus a small ridge) to the held-out codes of one "
               "label and decodes draws from it. The model itself is unconditional; only the codes are labelled.")


def fill_classes(box: QComboBox, labels: list[int], names: list[str] | None) -> None:
    """Offer ``labels`` (by name when known), keeping the chosen label if it is still there."""
    chosen = box.currentData()
    box.blockSignals(True)
    box.clear()
    for v in labels:
        box.addItem(names[v] if names and v < len(names) else str(v), v)
    index = box.findData(chosen)
    box.setCurrentIndex(index if index >= 0 else 0)
    box.blockSignals(False)


class DirectionTab(QWidget):
    """A target class and how far to go towards it (``t``, 0 … 1.5)."""

    changed = Signal()

    def __init__(self, parent=None):
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
        self.target.currentIndexChanged.connect(self.changed)
        self.slider.valueChanged.connect(self.changed)

    @property
    def t(self) -> float:
        return self.slider.value() / 100.0

    def clear(self) -> None:
        self.preview.set_image(None)
        self.source_label.setText("Click a point on the map: it is where the walk starts.")
        self.amount.setText("t = 0.00")


class ClassSamplesTab(QWidget):
    """Which class, how many samples (an N×N grid), and the seed they are drawn with."""

    changed = Signal()

    def __init__(self, parent=None):
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
        for signal in (self.label_box.currentIndexChanged, self.grid_n.valueChanged, self.seed.valueChanged):
            signal.connect(self.changed)

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
        self.resample.clicked.connect(lambda: self.seed.setValue(self.seed.value() + 1))
        self.export = QPushButton("&Export PNG…")
        self.export.setToolTip("Save this grid as a PNG (as File ▸ Export does)")
        row.addWidget(self.resample)
        row.addWidget(self.export)
        row.addStretch(1)
        return row
