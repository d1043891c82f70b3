"""The in-memory step source: the training images stay in one tensor and each step gathers its
batch inside one compiled call, so per-batch Python work is one call and three floats. That is
what makes training faster than the tutorial's ``fit`` (``tests/benchmarks/run.py``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from vae_explorer.trainer.data.dataset import Dataset
from vae_explorer.trainer.model.config import TrainConfig
from vae_explorer.trainer.model.vae import VAE
from vae_explorer.trainer.tf_runtime import import_tensorflow
from vae_explorer.trainer.training.compiled import CompiledVAE, new_model, reset_like
from vae_explorer.trainer.training.steps import StepResult

tf = import_tensorflow()


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The shuffle of epoch ``epoch`` (0-based, counting earlier runs): a function of the seed and
    the epoch alone, so a run resumed from a file, in another process, shuffles as an
    uninterrupted one would."""
    return np.random.default_rng([seed, epoch]).permutation(n).astype(np.int32)


class InMemorySteps:
    """Steps over a ``Dataset`` held in memory.

    ``recycle`` is the ``CompiledVAE`` of an earlier run the caller is done with: its graphs are
    reused when this run continues the same ``model``, or starts a new model (``model`` None) of
    the same architecture; the recycled model then gets a freshly built one's weights, optimizer
    and random state, so the run is the same as with a new model, only without the tracing.
    """

    agrees_on_stop = False

    def __init__(
        self, config: TrainConfig, dataset: Dataset, model: VAE | None = None, recycle: CompiledVAE | None = None
    ) -> None:
        self.config, self.dataset = config, dataset
        compiled = None
        if model is None:
            model = new_model(config, dataset.image_shape)
            if recycle is not None and reset_like(recycle.model, model):
                model, compiled = recycle.model, recycle
        elif recycle is not None and recycle.model is model:
            compiled = recycle
        self.compiled = compiled or CompiledVAE(model)
        self.model, self.latent = model, self.compiled.latent
        self._x_train: Any = None

    def train_images(self) -> int:
        return len(self.dataset.x_train)

    def batches_per_epoch(self) -> int:
        return math.ceil(self.train_images() / self.config.resolved_batch_size)

    def epoch(self, epoch: int, stop_requested: Callable[[], bool]) -> Iterator[StepResult]:
        if self._x_train is None:
            self._x_train = tf.constant(self.dataset.x_train)
        order, size = epoch_order(self.config.seed, epoch, self.train_images()), self.config.resolved_batch_size
        for start in range(0, len(order), size):
            idx = order[start : start + size]
            loss, rec, kl = (float(v) for v in self.compiled.train_step(self._x_train, tf.constant(idx)))
            yield StepResult(loss, rec, kl, len(idx))

    def held_out(self) -> dict[str, float]:
        return self.compiled.evaluate(self.dataset.x_test)
