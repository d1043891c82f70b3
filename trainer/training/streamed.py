"""The streamed step source: batches come from a tf.data pipeline that reads the disk.

The step is the model's own ``train_step`` on each batch, compiled once for any batch size; the
held-out evaluation and the map use the dataset's in-memory held-out sample.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

from vae_explorer.trainer.data.streaming import StreamedDataset
from vae_explorer.trainer.model.config import TrainConfig
from vae_explorer.trainer.model.space import LatentSpace
from vae_explorer.trainer.model.vae import VAE
from vae_explorer.trainer.tf_runtime import compile_now, import_tensorflow
from vae_explorer.trainer.training.compiled import HeldOutEvaluator, new_model
from vae_explorer.trainer.training.steps import StepResult

tf = import_tensorflow()


def compiled_batch_step(model: VAE) -> Any:
    """``model.train_step`` on one batch of images, returning its own loss terms."""

    def step(x: Any) -> tuple[Any, Any, Any]:  # closes over the model only
        logs = model.train_step(x)
        return logs["batch_loss"], logs["batch_reconstruction_loss"], logs["batch_kl_loss"]

    return compile_now(step, tf.TensorSpec([None, *model.image_shape], tf.float32))


class StreamedSteps:
    """Steps over a ``StreamedDataset``. An epoch has ceil(n_train / batch_size) batches, fewer
    when the pipeline skipped images it could not decode (the progress bar then ends early)."""

    agrees_on_stop = False
    compiled = None  # nothing an in-memory run could recycle

    def __init__(
        self, config: TrainConfig, dataset: StreamedDataset, model: VAE | None = None, recycle: object = None
    ) -> None:
        self.config, self.dataset = config, dataset
        self.model = model if model is not None else new_model(config, dataset.image_shape)
        self._train = compiled_batch_step(self.model)
        self._evaluate = HeldOutEvaluator(self.model)
        self.latent = LatentSpace(self.model)

    def train_images(self) -> int:
        return int(self.dataset.n_train)

    def batches_per_epoch(self) -> int:
        return math.ceil(self.dataset.n_train / self.config.resolved_batch_size)

    def epoch(self, epoch: int, stop_requested: Callable[[], bool]) -> Iterator[StepResult]:
        for x in self.dataset.train_batches(self.config.resolved_batch_size, self.config.seed, epoch):
            loss, rec, kl = (float(v) for v in self._train(x))
            yield StepResult(loss, rec, kl, int(x.shape[0]))

    def held_out(self) -> dict[str, float]:
        return self._evaluate(self.dataset.x_test)
