"""The one epoch loop: train a VAE from a config and a dataset, reporting through a listener.

The loop is ours, not ``model.fit``: a step source (``training.steps``) yields one result per
batch, and the loop does the rest once for every way of stepping (in memory, streamed,
data-parallel): pause and stop between any two batches, the NaN rule, the reports, and the
weights of the last good epoch kept to fall back on.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import numpy as np

from vae_explorer.trainer.data.streaming import AnyDataset, StreamedDataset
from vae_explorer.trainer.errors import DatasetError, UserError
from vae_explorer.trainer.latent.health import latent_health
from vae_explorer.trainer.model.config import TrainConfig, check_image_shape
from vae_explorer.trainer.training.reports import BatchReport, EpochReport, RunClock, TrainingListener
from vae_explorer.trainer.training.steps import StepResult, StepSource

if TYPE_CHECKING:
    from vae_explorer.trainer.model.vae import VAE
    from vae_explorer.trainer.training.compiled import CompiledVAE


class _End(enum.Enum):
    EXHAUSTED = enum.auto()


_EXHAUSTED: Final = _End.EXHAUSTED
# (config, dataset, model or None, an earlier run's CompiledVAE or None) -> the step source
StepsFactory = Callable[..., StepSource]
Snapshot = tuple[list[np.ndarray], list[np.ndarray]]
LOWER_RATE = "try a lower learning rate"


@dataclass
class TrainResult:
    """How a run ended: ``finished``, ``stopped`` (by request) or ``diverged`` (NaN/inf)."""

    status: str
    message: str
    epochs_done: int
    history: list[dict] = field(default_factory=list)


def check_fits(dataset: AnyDataset, model: VAE | None = None) -> None:
    """One rule for every way of training: a model can be built for the dataset's images, and a
    given model takes them; else a DatasetError naming the dataset."""
    source = getattr(dataset, "source", None) or None
    try:
        check_image_shape(dataset.image_shape)
    except UserError as exc:
        raise DatasetError(exc.problem, source) from None
    if model is not None and tuple(model.image_shape) != tuple(dataset.image_shape):
        raise DatasetError(
            f"holds {tuple(dataset.image_shape)} images but the model takes {tuple(model.image_shape)}", source
        )


def default_steps(
    config: TrainConfig, dataset: AnyDataset, model: VAE | None = None, recycle: CompiledVAE | None = None
) -> StepSource:
    """Streamed steps for a dataset read from disk, else the in-memory fast path."""
    if isinstance(dataset, StreamedDataset):
        from vae_explorer.trainer.training.streamed import StreamedSteps

        return StreamedSteps(config, dataset, model)
    from vae_explorer.trainer.training.memory import InMemorySteps

    return InMemorySteps(config, dataset, model, recycle)


class Trainer:
    """Runs epochs of ``config`` on ``dataset``; ``model`` and ``history`` continue a saved run.

    ``steps(config, dataset, model, recycle)`` builds the step source (``default_steps``, or
    ``distributed.distributed_steps(strategy)``); ``recycle`` is an earlier run's ``compiled``
    that the in-memory source may reuse. ``request_stop``, ``pause`` and ``resume`` may be called
    from any thread; they take effect between two batches.
    """

    def __init__(
        self,
        config: TrainConfig,
        dataset: AnyDataset,
        model: VAE | None = None,
        history: list[dict] | None = None,
        listener: TrainingListener | None = None,
        encode_each_epoch: bool = False,
        recycle: CompiledVAE | None = None,
        steps: StepsFactory | None = None,
    ) -> None:
        check_fits(dataset, model)
        self.config, self.dataset = config, dataset
        self.history = list(history or [])
        self.listener: TrainingListener = listener or TrainingListener()
        self.encode_each_epoch = encode_each_epoch
        self._stop, self._running = threading.Event(), threading.Event()
        self._running.set()
        self.steps: StepSource = (steps or default_steps)(config, dataset, model, recycle)
        self.model, self.latent, self.compiled = self.steps.model, self.steps.latent, self.steps.compiled
        self.model.optimizer.learning_rate.assign(config.resolved_learning_rate)
        self._clock = RunClock(n=1, batches=1)

    # -- control, from any thread ---------------------------------------------------------
    def request_stop(self) -> None:
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    # -- the loop -------------------------------------------------------------------------
    def run(self) -> TrainResult:
        cfg, first = self.config, len(self.history)
        batches = self.steps.batches_per_epoch()
        self._clock = RunClock(n=self.steps.train_images(), batches=batches, total=max(1, batches * cfg.epochs))
        snapshot = self._snapshot()
        for e in range(first, first + cfg.epochs):
            self.model.kl_weight.assign(cfg.kl_weight(e))
            ended = self._epoch(e, first + cfg.epochs)
            if ended is not None:
                if ended.status == "diverged":
                    self._restore(snapshot)
                return ended
            snapshot = self._snapshot()
        return self._end("finished", f"trained {cfg.epochs} epoch(s)")

    def _epoch(self, e: int, last: int) -> TrainResult | None:
        """Epoch ``e`` (0-based): its batches, its held-out figures and its report; the result
        that ended the run inside it, if any."""
        trained = self._batches(e)
        if isinstance(trained, TrainResult):
            return trained
        val = self.steps.held_out()
        if not np.isfinite(val["loss"]):
            return self._end(
                "diverged",
                f"held-out loss became {val['loss']} at epoch {e + 1}: the weights "
                f"of the last good epoch were kept; {LOWER_RATE}",
            )
        self._report_epoch(e, last, trained, val)
        return None

    def _batches(self, e: int) -> np.ndarray | TrainResult:
        """The summed terms and image count of epoch ``e``'s batches, or the result that ended it."""
        sums, b = np.zeros(4), 0
        steps = self.steps.epoch(e, self._stop.is_set)
        self._clock.begin_epoch()
        while True:
            if not self._running.is_set():
                self._wait_while_paused()
            if not self.steps.agrees_on_stop and self._stop.is_set():
                return self._end("stopped", f"stopped by request during epoch {e + 1}")
            t0 = time.perf_counter()
            step = next(steps, _EXHAUSTED)
            if step is _EXHAUSTED:  # the epoch's batches are done (a streamed one may end early)
                break
            if step is None:
                return self._end("stopped", f"stopped by request during epoch {e + 1}")
            if not np.isfinite(step.loss):
                return self._end(
                    "diverged",
                    f"loss became {step.loss} at epoch {e + 1}, batch {b + 1}: training "
                    f"stopped and the weights of the last good epoch ({len(self.history)}) were "
                    f"kept; {LOWER_RATE}",
                )
            sums += np.array([step.loss, step.reconstruction_loss, step.kl_loss, 1.0]) * step.images
            b += 1
            self._report_batch(e, b, step, time.perf_counter() - t0)
        self._clock.end_epoch_batches()
        return sums

    def _report_batch(self, e: int, b: int, step: StepResult, seconds: float) -> None:
        clock = self._clock
        clock.count_batch(step.images, seconds)
        self.listener.on_batch(
            BatchReport(
                epoch=e + 1,
                batch=b,
                batches=clock.batches,
                loss=step.loss,
                reconstruction_loss=step.reconstruction_loss,
                kl_loss=step.kl_loss,
                images_per_second=clock.rate,
                progress=clock.progress(),
                eta=clock.eta(),
            )
        )

    def _report_epoch(self, e: int, last: int, trained: np.ndarray, val: dict) -> None:
        loss, rec, kl, images = (float(v) for v in trained)
        images, clock = max(images, 1.0), self._clock
        report = EpochReport(
            epoch=e + 1,
            epochs=last,
            loss=loss / images,
            reconstruction_loss=rec / images,
            kl_loss=kl / images,
            val_loss=val["loss"],
            val_reconstruction_loss=val["reconstruction_loss"],
            val_kl_loss=val["kl_loss"],
            val_neg_elbo=val["neg_elbo"],
            kl_weight=self.config.kl_weight(e),
            elapsed=clock.elapsed(),
            eta=clock.eta(),
            images_per_second=clock.epoch_rate(clock.n),
            objective=self.config.objective,
        )
        means, log_vars = self.latent.encode(self.dataset.x_test)
        report.health = latent_health(means, log_vars)  # microseconds: the codes are at hand
        if self.encode_each_epoch:
            report.latent_means, report.latent_log_vars = means, log_vars
        self.history.append(report.history_row())
        self.listener.on_epoch(report)

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Encoded means of ``x`` as a NumPy array (batched, compiled)."""
        return self.latent.encode(x)[0]

    def _wait_while_paused(self) -> None:
        while not self._running.wait(timeout=0.1):
            pass

    def _snapshot(self) -> Snapshot:
        # variables, not weights: the sampler's seed state goes back with the weights
        return ([v.numpy() for v in self.model.variables], [v.numpy() for v in self.model.optimizer.variables])

    def _restore(self, snapshot: Snapshot) -> None:
        weights, opt = snapshot
        for var, value in zip(self.model.variables, weights, strict=True):
            var.assign(value)
        for var, value in zip(self.model.optimizer.variables, opt, strict=True):
            var.assign(value)

    def _end(self, status: str, message: str) -> TrainResult:
        return TrainResult(status, message, len(self.history), self.history)
