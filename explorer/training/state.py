"""What the training part is doing and what the user set for the next run, as state objects, and a
clock that skips pauses. No Qt: the actions, the panel, the close path and session files read them.

``TrainingState``: idle, preparing (the model being built), running or paused, and whether a Stop
was asked. ``TrainSettings``: the panel's fields (the panel is bound to them; nothing reads a spin
box). ``ActiveClock`` measures only the time the training was not paused, so the ETA shown does
not grow while the user has paused.
"""

from __future__ import annotations

import time

from vae_explorer.explorer.core.evented import EventedModel, Field
from vae_explorer.trainer.model.config import DEFAULT_EPOCHS, TrainConfig
from vae_explorer.trainer.model.presets import PRESETS

ARCHITECTURE = ("preset", "latent_dim")  # what Continue training may not change


class TrainingState(EventedModel):
    """``changed`` after every change; the fields are written by the training part only."""

    FIELDS = {"preparing": False, "running": False, "paused": False, "stopping": False}
    preparing = Field()  # a Trainer is being built: no second Start may begin
    running = Field()  # a training thread exists (also while paused or stopping)
    paused = Field()
    stopping = Field()

    @property
    def busy(self) -> bool:
        """Preparing or running: nothing that changes the model may start."""
        return self.preparing or self.running

    def set(self, **fields) -> None:
        self.update(**fields)


class TrainSettings(EventedModel):
    """The settings of the next training (or of *Continue training*)."""

    _DEFAULT = PRESETS["default"]
    FIELDS = {
        "preset": "default",
        "latent_dim": _DEFAULT.latent_dim,
        "epochs": DEFAULT_EPOCHS,
        "batch_size": _DEFAULT.batch_size,
        "beta": 1.0,
        "kl_warmup_epochs": 0,
        "learning_rate": _DEFAULT.learning_rate,
        "seed": 0,
    }
    SAVED = tuple(FIELDS)
    preset = Field()
    latent_dim = Field()
    epochs = Field()
    batch_size = Field()
    beta = Field()
    kl_warmup_epochs = Field()
    learning_rate = Field()
    seed = Field()

    def choose_preset(self, name: str) -> None:
        """A preset brings its latent size and the training settings it was chosen with."""
        preset = PRESETS[name]
        self.update(
            preset=name, latent_dim=preset.latent_dim, batch_size=preset.batch_size, learning_rate=preset.learning_rate
        )

    def config(self) -> TrainConfig:
        return TrainConfig(**self.values())

    def show_config(self, config: TrainConfig) -> None:
        """A loaded model's settings (the number of epochs stays the user's choice)."""
        self.update(**{k: v for k, v in config.to_dict().items() if k != "epochs" and k in self.FIELDS})

    def changes_for_continuing(self) -> dict:
        """What *Continue training* takes from the panel: everything but the seed."""
        return {k: v for k, v in self.values().items() if k != "seed"}


class ActiveClock:
    """Seconds spent running, pauses left out; and the ETA that follows from a progress."""

    def __init__(self, now=time.monotonic):
        self._now = now
        self._active = 0.0
        self._since: float | None = None

    def start(self) -> None:
        self._active, self._since = 0.0, self._now()

    def pause(self) -> None:
        if self._since is not None:
            self._active += self._now() - self._since
            self._since = None

    def resume(self) -> None:
        if self._since is None:
            self._since = self._now()

    @property
    def active_seconds(self) -> float:
        return self._active + (self._now() - self._since if self._since is not None else 0.0)

    def eta(self, progress: float) -> float:
        """Seconds left at ``progress`` (0..1), at the pace of the time spent running."""
        if progress <= 0:
            return 0.0
        return self.active_seconds / progress * (1.0 - progress)
