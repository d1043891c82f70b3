"""A one-line text progress bar for ``vae-explorer train`` (stderr, redrawn in place on a TTY)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from vae_explorer.trainer.model.config import OBJECTIVE_LABELS
from vae_explorer.trainer.training.reports import BatchReport, EpochReport, TrainingListener

WIDTH = 24


def format_seconds(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ProgressBar(TrainingListener):
    """Per batch: a bar for the current epoch with the loss terms and ETA; per epoch: a line."""

    def __init__(self, stream: TextIO | None = None, min_interval: float = 0.1) -> None:
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.min_interval = min_interval
        self._last = 0.0

    def on_batch(self, r: BatchReport) -> None:
        now = time.monotonic()
        if not self.tty or (now - self._last < self.min_interval and r.batch < r.batches):
            return
        self._last = now
        filled = int(WIDTH * r.batch / r.batches)
        bar = "#" * filled + "-" * (WIDTH - filled)
        self.stream.write(
            f"\repoch {r.epoch} [{bar}] {r.batch}/{r.batches}  loss {r.loss:.2f}  "
            f"rec {r.reconstruction_loss:.2f}  kl {r.kl_loss:.2f}  "
            f"{r.images_per_second:,.0f} img/s  ETA {format_seconds(r.eta)} "
        )
        self.stream.flush()

    def on_epoch(self, r: EpochReport) -> None:
        prefix = "\r\x1b[K" if self.tty else ""
        self.stream.write(
            f"{prefix}epoch {r.epoch}/{r.epochs}  loss {r.loss:.2f} (rec {r.reconstruction_loss:.2f}, "
            f"kl {r.kl_loss:.2f})  held-out {OBJECTIVE_LABELS[r.objective]} {r.val_neg_elbo:.2f}  "
            f"{r.images_per_second:,.0f} img/s  {format_seconds(r.elapsed)} elapsed, "
            f"ETA {format_seconds(r.eta)}\n"
        )
        self.stream.flush()
