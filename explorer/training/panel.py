"""The training panel: preset and settings, Start / Pause / Stop, and progress.

It builds a ``TrainConfig`` from its fields and shows ``BatchReport``s; it starts nothing by
itself. Its buttons trigger the window's actions (``explorer.core.actions``), which also decide
when they are enabled; the fields and the Pause/Resume text follow ``TrainingState``.
"""

from __future__ import annotations

from typing import cast

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vae_explorer.explorer.training.state import TrainingState, TrainSettings
from vae_explorer.explorer.widgets.bind import bind_all
from vae_explorer.explorer.widgets.readout import Readout
from vae_explorer.explorer.widgets.spin_boxes import int_spin, real_spin
from vae_explorer.trainer.model.config import DEFAULT_EPOCHS, MAX_LATENT_DIM
from vae_explorer.trainer.model.presets import PRESETS
from vae_explorer.trainer.training.progress import format_seconds

TIPS = {
    "latent_dim": "Dimensions of the latent space (2: the map is the latent plane itself)",
    "epochs": "Passes over the training images",
    "batch_size": "Images per gradient step",
    "beta": "Weight of the KL term: above 1 pushes towards the prior (β-VAE), below 1 sharper decodes",
    "kl_warmup_epochs": "Epochs over which β ramps up linearly from 0 (fights posterior collapse)",
    "learning_rate": "Adam's learning rate",
    "seed": "The same seed and data give the same weights",
}


class TrainPanel(QWidget):
    def __init__(self, state: TrainingState, settings: TrainSettings, parent=None):
        super().__init__(parent)
        self.state, self.settings = state, settings
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._settings_box())
        buttons = QHBoxLayout()
        self.start = QPushButton("Start")
        self.pause = QPushButton("Pause")
        self.stop = QPushButton("Stop")
        for b in (self.start, self.pause, self.stop):
            buttons.addWidget(b)
        layout.addLayout(buttons)
        self.continue_training = QPushButton("Continue training this model")
        layout.addWidget(self.continue_training)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("idle")
        self.progress.setValue(0)
        layout.addWidget(self.progress)
        self.progress_label = Readout("", lines=2)  # written at each batch shown: no relayout
        layout.addWidget(self.progress_label)
        layout.addStretch(1)
        state.changed.connect(self._state_changed)

    def add_option(self, widget: QWidget) -> None:
        """A widget of another part (the TensorBoard option) under the settings."""
        cast(QVBoxLayout, self.layout()).insertWidget(1, widget)

    def _settings_box(self) -> QGroupBox:
        box = QGroupBox("Model and training")
        form = QFormLayout(box)
        self.preset = _preset_box()
        self.latent_dim = int_spin(1, MAX_LATENT_DIM, PRESETS["default"].latent_dim)
        self.epochs = int_spin(1, 10_000, DEFAULT_EPOCHS)
        self.batch_size = int_spin(1, 65_536, PRESETS["default"].batch_size)
        self.beta = real_spin(0.0, 1000.0, 1.0, 3, 0.1)
        self.warmup = int_spin(0, 1000, 0)
        self.lr = real_spin(1e-6, 1.0, PRESETS["default"].learning_rate, 6, 1e-4)
        self.seed = int_spin(0, 2**31 - 1, 0)
        for label, field in (
            ("Preset", self.preset),
            ("Latent dim", self.latent_dim),
            ("Epochs", self.epochs),
            ("Batch size", self.batch_size),
            ("β (KL weight)", self.beta),
            ("KL warm-up (epochs)", self.warmup),
            ("Learning rate", self.lr),
            ("Seed", self.seed),
        ):
            form.addRow(label, field)
        fields = {
            "latent_dim": self.latent_dim,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "beta": self.beta,
            "kl_warmup_epochs": self.warmup,
            "learning_rate": self.lr,
            "seed": self.seed,
        }
        for name, widget in fields.items():
            widget.setToolTip(TIPS[name])
        bind_all(self.settings, {"preset": self.preset, **fields})
        # a preset chosen by the user brings its own latent size, batch size and rate
        self.preset.activated.connect(lambda i: self.settings.choose_preset(self.preset.itemData(i)))
        return box

    def set_preset(self, name: str) -> None:
        """Choose the preset ``name`` as a user would (its latent size, batch size and rate come too)."""
        self.preset.setCurrentIndex(max(0, self.preset.findData(name)))
        self.settings.choose_preset(name)

    # -- state ----------------------------------------------------------------------------
    def _state_changed(self, *_) -> None:
        """Settings only while idle; the Pause button says what it will do."""
        for w in (
            self.preset,
            self.latent_dim,
            self.epochs,
            self.batch_size,
            self.beta,
            self.warmup,
            self.lr,
            self.seed,
        ):
            w.setEnabled(not self.state.busy)
        self.pause.setText("Resume" if self.state.paused else "Pause")
        if self.state.paused:
            self.show_idle("paused")

    def show_batch(self, r, eta: float) -> None:
        """``eta``: seconds left, counted from the time spent running (pauses left out)."""
        self.progress.setValue(int(1000 * r.progress))
        self.progress.setFormat(f"epoch {r.epoch} · batch {r.batch}/{r.batches} · %p%")
        self.progress_label.setText(
            f"{r.images_per_second:,.0f} images/s · ETA {format_seconds(eta)}\n"
            f"loss {r.loss:.1f} (reconstruction {r.reconstruction_loss:.1f}, KL {r.kl_loss:.2f})"
        )

    def show_idle(self, text: str) -> None:
        self.progress.setFormat(text)
        self.progress_label.setText("")


def _preset_box() -> QComboBox:
    """The presets by name, each with its description as a tooltip."""
    box = QComboBox()
    for name, preset in PRESETS.items():
        box.addItem(name, name)
        box.setItemData(box.count() - 1, preset.description, 3)  # tooltip role
    box.setToolTip("The architecture; choosing one also sets its latent size, batch size and rate")
    return box
