"""The training panel: preset and settings, Start / Pause / Stop, and progress.

It builds a ``TrainConfig`` from its fields and shows ``BatchReport``s; it starts nothing by
itself. Its buttons trigger the window's actions (``explorer.core.actions``), which also decide
when they are enabled; the fields and the Pause/Resume text follow ``TrainingState``.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget,
)

from vae_explorer.explorer.widgets.spin_boxes import int_spin, real_spin
from vae_explorer.explorer.training.state import TrainingState
from vae_explorer.trainer.model.config import DEFAULT_EPOCHS, MAX_LATENT_DIM, TrainConfig
from vae_explorer.trainer.model.presets import PRESETS
from vae_explorer.trainer.training.progress import format_seconds


class TrainPanel(QWidget):
    def __init__(self, state: TrainingState, parent=None):
        super().__init__(parent)
        self.state = state
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
        self.progress_label = QLabel("")
        self.progress_label.setWordWrap(True)
        layout.addWidget(self.progress_label)
        layout.addStretch(1)
        self.set_preset("default")
        state.changed.connect(self._state_changed)

    def add_option(self, widget: QWidget) -> None:
        """A widget of another part (the TensorBoard option) under the settings."""
        self.layout().insertWidget(1, widget)

    def _settings_box(self) -> QGroupBox:
        box = QGroupBox("Model and training")
        form = QFormLayout(box)
        self.preset = QComboBox()
        for name, preset in PRESETS.items():
            self.preset.addItem(name, name)
            self.preset.setItemData(self.preset.count() - 1, preset.description, 3)  # tooltip role
        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.latent_dim = int_spin(1, MAX_LATENT_DIM, PRESETS["default"].latent_dim)
        self.epochs = int_spin(1, 10_000, DEFAULT_EPOCHS)
        self.batch_size = int_spin(1, 65_536, PRESETS["default"].batch_size)
        self.beta = real_spin(0.0, 1000.0, 1.0, 3, 0.1)
        self.warmup = int_spin(0, 1000, 0)
        self.lr = real_spin(1e-6, 1.0, PRESETS["default"].learning_rate, 6, 1e-4)
        self.seed = int_spin(0, 2**31 - 1, 0)
        for label, field in (("Preset", self.preset), ("Latent dim", self.latent_dim), ("Epochs", self.epochs),
                             ("Batch size", self.batch_size), ("β (KL weight)", self.beta),
                             ("KL warm-up (epochs)", self.warmup), ("Learning rate", self.lr), ("Seed", self.seed)):
            form.addRow(label, field)
        return box

    def _preset_changed(self) -> None:
        """A preset brings its latent size and the training settings it was chosen with."""
        preset = PRESETS[self.preset.currentData()]
        self.latent_dim.setValue(preset.latent_dim)
        self.batch_size.setValue(preset.batch_size)
        self.lr.setValue(preset.learning_rate)

    def set_preset(self, name: str) -> None:
        self.preset.setCurrentIndex(max(0, self.preset.findData(name)))
        self._preset_changed()

    # -- config ---------------------------------------------------------------------------
    def config(self) -> TrainConfig:
        return TrainConfig(preset=self.preset.currentData(), latent_dim=self.latent_dim.value(),
                           beta=self.beta.value(), kl_warmup_epochs=self.warmup.value(),
                           epochs=self.epochs.value(), batch_size=self.batch_size.value(),
                           learning_rate=self.lr.value(), seed=self.seed.value())

    def show_config(self, config: TrainConfig) -> None:
        """Fill the fields from a loaded model's config (epochs stay the user's choice)."""
        self.set_preset(config.preset)
        self.latent_dim.setValue(config.latent_dim)
        self.batch_size.setValue(config.batch_size)
        self.beta.setValue(config.beta)
        self.warmup.setValue(config.kl_warmup_epochs)
        self.lr.setValue(config.learning_rate)
        self.seed.setValue(config.seed)

    # -- state ----------------------------------------------------------------------------
    def _state_changed(self) -> None:
        """Settings only while idle; the Pause button says what it will do."""
        for w in (self.preset, self.latent_dim, self.epochs, self.batch_size, self.beta, self.warmup,
                  self.lr, self.seed):
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
            f"loss {r.loss:.1f} (reconstruction {r.reconstruction_loss:.1f}, KL {r.kl_loss:.2f})")

    def show_idle(self, text: str) -> None:
        self.progress.setFormat(text)
        self.progress_label.setText("")
