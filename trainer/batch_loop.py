"""The epoch loop of the trainers that do not gather batches from one in-memory tensor.

``Trainer.run`` (``trainer.training``) is the fast path and stays as it is. The streamed trainer
(``trainer.streamed_training``) and the data-parallel one (``trainer.distributed``) step their
batches differently but must report, stop, pause and handle NaN exactly as it does: that part
lives here, once. A subclass says how many batches an epoch has, yields one ``StepResult`` per
batch, and evaluates the held-out set.
"""

from __future__ import annotations

import time
from typing import Iterator, NamedTuple

import numpy as np

from vae_explorer.trainer.reports import BatchReport, EpochReport, RunClock
from vae_explorer.trainer.training import TrainResult, Trainer

_EXHAUSTED = object()


class StepResult(NamedTuple):
    """One training batch: its mean loss terms and how many images it held."""

    loss: float
    reconstruction_loss: float
    kl_loss: float
    images: int


class LoopTrainer(Trainer):
    """A ``Trainer`` whose batches come from ``_epoch_steps``; the rest is the same contract.

    ``stops_locally``: False when a stop request must be agreed on by every process of a
    multi-worker run before anyone stops (the subclass's steps then carry the request and yield
    None once it is agreed), else a stop takes effect before the next batch, as in ``Trainer``.
    """

    stops_locally = True

    # -- what a subclass provides ------------------------------------------------------------
    def _batches_per_epoch(self) -> int:
        raise TypeError(f"{type(self).__name__} must say how many batches an epoch has")

    def _epoch_steps(self, epoch: int) -> Iterator[StepResult | None]:
        raise TypeError(f"{type(self).__name__} must step its batches")

    def _held_out_terms(self) -> dict[str, float]:
        raise TypeError(f"{type(self).__name__} must evaluate its held-out set")

    def _train_images(self) -> int:
        raise TypeError(f"{type(self).__name__} must say how many training images it has")

    # -- the loop ----------------------------------------------------------------------------
    def run(self) -> TrainResult:
        cfg = self.config
        first = len(self.history)
        batches = self._batches_per_epoch()
        self._clock = RunClock(n=self._train_images(), batches=batches, total=max(1, batches * cfg.epochs))
        snapshot = self._snapshot()
        for e in range(first, first + cfg.epochs):
            self.model.kl_weight.assign(cfg.kl_weight(e))
            trained = self._train_epoch(e)
            if isinstance(trained, TrainResult):
                if trained.status == "diverged":
                    self._restore(snapshot)
                return trained
            val = self._held_out_terms()
            if not np.isfinite(val["loss"]):
                self._restore(snapshot)
                return self._end("diverged", f"held-out loss became {val['loss']} at epoch {e + 1}: "
                                 "the weights of the last good epoch were kept; try a lower learning rate")
            self._report_epoch(e, first, trained, val)
            snapshot = self._snapshot()
        return self._end("finished", f"trained {cfg.epochs} epoch(s)")

    def _train_epoch(self, e: int):
        """Epoch ``e``'s summed terms, or the TrainResult that ended it."""
        sums = np.zeros(4)
        steps, batches = self._epoch_steps(e), self._batches_per_epoch()
        self._clock.begin_epoch()
        for b in range(batches):
            if not self._running.is_set():
                self._wait_while_paused()
            if self.stops_locally and self._stop.is_set():
                return self._end("stopped", f"stopped by request during epoch {e + 1}")
            t0 = time.perf_counter()
            step = next(steps, _EXHAUSTED)
            if step is _EXHAUSTED:  # a streamed epoch that skipped undecodable images
                break
            if step is None:
                return self._end("stopped", f"stopped by request during epoch {e + 1}")
            if not np.isfinite(step.loss):
                return self._end("diverged", f"loss became {step.loss} at epoch {e + 1}, batch {b + 1}: "
                                 "training stopped and the weights of the last good epoch "
                                 f"({len(self.history)}) were kept; try a lower learning rate")
            sums += np.array([step.loss, step.reconstruction_loss, step.kl_loss, 1.0]) * step.images
            self._report_batch(e, b, batches, step, time.perf_counter() - t0)
        self._clock.end_epoch_batches()
        return sums

    def _report_batch(self, e: int, b: int, batches: int, step: StepResult, dt: float) -> None:
        clock = self._clock
        clock.count_batch(step.images, dt)
        self.listener.on_batch(BatchReport(
            epoch=e + 1, batch=b + 1, batches=batches, loss=step.loss,
            reconstruction_loss=step.reconstruction_loss, kl_loss=step.kl_loss,
            images_per_second=clock.rate, progress=clock.progress(), eta=clock.eta()))

    def _report_epoch(self, e: int, first: int, trained, val: dict) -> None:
        loss, rec, kl, images = trained
        cfg, images, clock = self.config, max(images, 1.0), self._clock
        report = EpochReport(
            epoch=e + 1, epochs=first + cfg.epochs, loss=loss / images,
            reconstruction_loss=rec / images, kl_loss=kl / images,
            val_loss=val["loss"], val_reconstruction_loss=val["reconstruction_loss"],
            val_kl_loss=val["kl_loss"], val_neg_elbo=val["neg_elbo"],
            kl_weight=cfg.kl_weight(e), elapsed=clock.elapsed(), eta=clock.eta(),
            images_per_second=clock.epoch_rate(self._train_images()),
            latent_means=self.encode(self.dataset.x_test) if self.encode_each_epoch else None,
            objective=cfg.objective,
        )
        self.history.append(report.history_row())
        self.listener.on_epoch(report)
