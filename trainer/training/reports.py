"""What the trainer tells its listener: plain Python floats and NumPy arrays, never tensors."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from vae_explorer.trainer.latent.health import LatentHealth, history_figures


@dataclass
class BatchReport:
    """One training batch: this batch's loss terms and the recent throughput."""

    epoch: int  # 1-based, counting epochs of earlier runs of a resumed model
    batch: int  # 1-based within the epoch
    batches: int  # per epoch
    loss: float
    reconstruction_loss: float
    kl_loss: float
    images_per_second: float
    progress: float  # 0..1 over this run
    eta: float  # seconds left in this run


@dataclass
class EpochReport:
    """One finished epoch: train means, held-out means, timing, and the held-out latent means."""

    epoch: int
    epochs: int  # the epoch this run ends at
    loss: float
    reconstruction_loss: float
    kl_loss: float
    val_loss: float
    val_reconstruction_loss: float
    val_kl_loss: float
    val_neg_elbo: float
    kl_weight: float
    elapsed: float
    eta: float
    # training images per second of the epoch's batches; the held-out evaluation after them is
    # not counted (Keras's ``fit`` does not count validation either), so the figure compares
    # with other trainers' and does not move with the size of the held-out set
    images_per_second: float
    latent_means: np.ndarray | None = None  # held-out encoded means, for the live map
    latent_log_vars: np.ndarray | None = None  # ... and their log-variances (with the means)
    # What ``val_neg_elbo`` (held-out reconstruction + KL) is: the negative ELBO with BCE, or
    # ``sse_plus_kl`` with squared error, which is no ELBO (config.OBJECTIVES)
    objective: str = "neg_elbo"
    # the held-out posteriors' per-dimension figures (latent.health): KL per dimension, active units
    health: LatentHealth | None = None

    def history_row(self) -> dict:
        """The JSON-able part kept in a model's history (with the active units and KL per dimension)."""
        row = asdict(self)
        for key in ("latent_means", "latent_log_vars", "health"):
            row.pop(key)
        return {**row, **(history_figures(self.health) if self.health is not None else {})}


class TrainingListener:
    """Override what you need. Called on the training thread, in order."""

    def on_batch(self, report: BatchReport) -> None:
        pass

    def on_epoch(self, report: EpochReport) -> None:
        pass


@dataclass
class RunClock:
    """Counts and times of one training run: the progress, images/s and ETA its reports carry."""

    n: int  # training images
    batches: int  # per epoch
    total: int = 1  # batches of the whole run
    done: int = 0
    rate: float = 0.0  # images/s, smoothed over batches
    start: float = field(default_factory=time.perf_counter)
    epoch_start: float = 0.0
    epoch_batches_seconds: float = 0.0  # the batches of the last epoch, without its evaluation

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def eta(self) -> float:
        return self.elapsed() / max(self.done, 1) * (self.total - self.done)

    def progress(self) -> float:
        return self.done / self.total

    def count_batch(self, images: int, seconds: float) -> None:
        """One more batch done; the rate follows it with exponential smoothing."""
        self.done += 1
        now = images / max(seconds, 1e-9)
        self.rate = now if self.rate == 0 else 0.9 * self.rate + 0.1 * now

    def begin_epoch(self) -> None:
        self.epoch_start = time.perf_counter()

    def end_epoch_batches(self) -> None:
        self.epoch_batches_seconds = time.perf_counter() - self.epoch_start

    def epoch_rate(self, images: int) -> float:
        """Training images per second of the last epoch's batches (its evaluation not counted)."""
        return images / max(self.epoch_batches_seconds, 1e-9)
