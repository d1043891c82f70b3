"""A VAE with the graphs that run it, traced once: a training step, the held-out evaluator, encode
and decode. Tracing takes a second or two per model, so a new run of the same architecture reuses
them (``CompiledVAE`` is what the app keeps between two Starts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from vae_explorer.trainer.model.config import TrainConfig
from vae_explorer.trainer.tf_runtime import compile_now, import_tensorflow

tf = import_tensorflow()

import keras  # noqa: E402

from vae_explorer.trainer.model.space import LatentSpace  # noqa: E402
from vae_explorer.trainer.model.vae import VAE, build_vae  # noqa: E402

EVAL_BATCH = 500


def new_model(config: TrainConfig, image_shape: Sequence[int]) -> VAE:
    """A fresh VAE, seeded so that the same seed and data give the same result."""
    keras.utils.set_random_seed(config.seed)
    return build_vae(
        config.preset,
        config.latent_dim,
        image_shape,
        config.beta,
        config.reconstruction,
        seed=config.seed,
        learning_rate=config.resolved_learning_rate,
    )


class HeldOutEvaluator:
    """Loss terms of a model over a whole array, in compiled batches, weighted by batch size.

    The array is converted one batch at a time: a streamed run's held-out sample is never copied
    whole into a tensor (that copy would double its share of the memory)."""

    def __init__(self, model: VAE) -> None:
        self.model = model
        self._step = compile_now(self._update, tf.TensorSpec([None, *model.image_shape], tf.float32))

    def _update(self, x: Any) -> None:
        self.model.test_step(x)

    def __call__(self, x: np.ndarray) -> dict[str, float]:
        """Means of loss, reconstruction_loss, kl_loss and neg_elbo over ``x``."""
        for m in self.model.metrics:
            m.reset_state()
        for i in range(0, int(x.shape[0]), EVAL_BATCH):
            self._step(x[i : i + EVAL_BATCH])
        return {m.name: float(m.result()) for m in self.model.metrics}


class CompiledVAE:
    """A VAE and its graphs: ``train_step(x_all, idx)`` gathers its batch from one tensor of all
    the training images; ``evaluate`` scores the held-out set; ``latent`` encodes and decodes."""

    def __init__(self, model: VAE) -> None:
        self.model = model
        image = tf.TensorSpec([None, *model.image_shape], tf.float32)

        # closes over the model only, never over a Trainer
        def train_step(x_all: Any, idx: Any) -> tuple[Any, Any, Any]:
            logs = model.train_step(tf.gather(x_all, idx))
            return logs["batch_loss"], logs["batch_reconstruction_loss"], logs["batch_kl_loss"]

        self.train_step = compile_now(train_step, image, tf.TensorSpec([None], tf.int32))
        self.evaluate = HeldOutEvaluator(model)
        self.latent = LatentSpace(model)


def _architecture(model: VAE) -> tuple[Any, ...]:
    """Everything the compiled graphs depend on besides the values of the variables."""
    shapes = [(tuple(v.shape), v.dtype) for v in model.variables]
    optimizer = [(tuple(v.shape), v.dtype) for v in model.optimizer.variables]
    return (
        model.get_config(),
        model.encoder.get_config(),
        model.decoder.get_config(),
        model.decoder_logits.get_config(),
        type(model.optimizer),
        shapes,
        optimizer,
    )


def reset_like(model: VAE, fresh: VAE) -> bool:
    """Give ``model`` the state of ``fresh`` (weights, optimizer, random seed state) if they have
    the same architecture; False (and ``model`` untouched) if they differ."""
    if model is fresh or _architecture(model) != _architecture(fresh):
        return False
    for var, value in zip(model.variables, fresh.variables, strict=True):
        var.assign(value)
    for var, value in zip(model.optimizer.variables, fresh.optimizer.variables, strict=True):
        var.assign(value)
    for m in model.metrics:
        m.reset_state()
    return True
