"""``train --save-every N``: the model file is written, atomically, every N epochs.

A training that runs elsewhere (a server, a background job) then always leaves a file that
loads, and the app can follow it (*File ▸ Follow model file…*): each save lands as a whole
new file through ``os.replace``, never as a half-written one. The save happens between two
epochs, with the held-out codes of the weights just reached, exactly as the final save does;
the last epoch is left to that final save.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vae_explorer.trainer.files.modelfile import save_model
from vae_explorer.trainer.training.reports import BatchReport, EpochReport, TrainingListener

if TYPE_CHECKING:
    from vae_explorer.trainer.training.loop import Trainer


class PeriodicSave(TrainingListener):
    """Saves ``trainer``'s model to ``path`` after every ``every``-th epoch, then passes the report on."""

    def __init__(self, trainer: Trainer, path: str, every: int, inner: TrainingListener | None = None) -> None:
        self.trainer, self.path, self.every = trainer, path, every
        self.inner = inner or TrainingListener()
        self.saved_epochs: list[int] = []

    def on_batch(self, report: BatchReport) -> None:
        self.inner.on_batch(report)

    def on_epoch(self, report: EpochReport) -> None:
        if report.epoch % self.every == 0 and report.epoch < report.epochs:
            self._save()
            self.saved_epochs.append(report.epoch)
        self.inner.on_epoch(report)

    def _save(self) -> None:
        t, data = self.trainer, self.trainer.dataset
        codes = t.latent.codes(data.x_test, data.y_test)
        save_model(self.path, t.model, t.config, list(t.history), data.describe(), codes)


def attach(trainer: Trainer, path: str, every: int | None) -> PeriodicSave | None:
    """Put a PeriodicSave in front of the trainer's listener when ``every`` is given."""
    if not every:
        return None
    trainer.listener = PeriodicSave(trainer, path, every, inner=trainer.listener)
    return trainer.listener
