"""Training on a ``StreamedDataset``: batches come from a tf.data pipeline reading the disk.

The step is the model's own ``train_step`` on each batch, compiled once for any batch size; the
loop (reports, stop, pause, NaN) is ``batch_loop.LoopTrainer``'s, the held-out evaluation and
the map use the dataset's in-memory held-out sample through ``training.HeldOutEvaluator``.
"""

from __future__ import annotations

import math

from vae_explorer.trainer.batch_loop import LoopTrainer, StepResult
from vae_explorer.trainer.config import check_image_shape
from vae_explorer.trainer.errors import DatasetError, TrainingError, UserError
from vae_explorer.trainer.latent import LatentSpace
from vae_explorer.trainer.tf_runtime import compile_now, import_tensorflow
from vae_explorer.trainer.training import EVAL_BATCH, HeldOutEvaluator, new_model

tf = import_tensorflow()


def compiled_batch_step(model):
    """``model.train_step`` on one batch of images, returning its own loss terms."""
    def step(x):  # closes over the model only
        logs = model.train_step(x)
        return logs["batch_loss"], logs["batch_reconstruction_loss"], logs["batch_kl_loss"]

    return compile_now(step, tf.TensorSpec([None, *model.image_shape], tf.float32))


class SampleEvaluator(HeldOutEvaluator):
    """``HeldOutEvaluator`` that converts one batch at a time: the held-out sample is never
    copied whole into a tensor (that copy would double its share of a streamed run's memory)."""

    def __call__(self, x) -> dict[str, float]:
        for m in self.model.metrics:
            m.reset_state()
        for i in range(0, len(x), EVAL_BATCH):
            self._step(x[i:i + EVAL_BATCH])
        return {m.name: float(m.result()) for m in self.model.metrics}


class StreamedTrainer(LoopTrainer):
    """``Trainer``'s contract on a dataset that stays on disk.

    An epoch has ceil(n_train / batch_size) batches, fewer when the pipeline skipped images it
    could not decode; the progress bar then ends its epoch early.
    """

    def __init__(self, config, dataset, model=None, history=None, listener=None, encode_each_epoch=False):
        if model is not None and tuple(model.image_shape) != tuple(dataset.image_shape):
            raise TrainingError(f"the model takes {model.image_shape} images but the dataset holds "
                                f"{dataset.image_shape}")
        try:
            check_image_shape(dataset.image_shape)
        except UserError as exc:
            raise DatasetError(exc.problem, dataset.source or None) from None
        self._init_state(config, dataset, history, listener, encode_each_epoch)
        self.model = model if model is not None else new_model(config, dataset.image_shape)
        self.model.optimizer.learning_rate.assign(config.learning_rate)
        self._train_fn = compiled_batch_step(self.model)
        self._evaluate = SampleEvaluator(self.model)
        self.latent = LatentSpace(self.model)
        self.compiled = None  # nothing an in-memory Trainer could recycle

    def _train_images(self) -> int:
        return int(self.dataset.n_train)

    def _batches_per_epoch(self) -> int:
        return math.ceil(self.dataset.n_train / self.config.batch_size)

    def _epoch_steps(self, epoch: int):
        for m in self.model.metrics:
            m.reset_state()
        batches = self.dataset.train_batches(self.config.batch_size, self.config.seed, epoch)
        for x in batches:
            loss, rec, kl = (float(v) for v in self._train_fn(x))
            yield StepResult(loss, rec, kl, int(x.shape[0]))

    def _held_out_terms(self) -> dict[str, float]:
        return self._evaluate(self.dataset.x_test)
