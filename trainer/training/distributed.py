"""Data-parallel training on TensorFlow's own engine: ``tf.distribute`` Mirrored and
MultiWorkerMirrored strategies.

Every process holds the dataset (as the one-process trainer does) and walks the same epoch
order (``training.epoch_order``), so each step trains on exactly the global batch a one-process
run would; inside the step each replica takes its contiguous share of the batch's indices. Its
loss is weighted by its share of the global batch, so the gradients Keras's optimizer sums over
the replicas are those of the global batch mean. Each replica draws ε for the whole global batch
and keeps its rows (``Sampling.call``), and BatchNorm uses the global batch's moments
(``fused_batchnorm``): what is left to differ from one process is floating-point summation order.

A step also sums every process's stop request, so Ctrl-C in any process stops all of them after
the same batch (a process that stopped alone would leave the others waiting in a collective).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from vae_explorer.trainer.data.dataset import Dataset
from vae_explorer.trainer.errors import DatasetError
from vae_explorer.trainer.model.config import TrainConfig
from vae_explorer.trainer.model.space import LatentSpace
from vae_explorer.trainer.model.vae import VAE
from vae_explorer.trainer.tf_runtime import compile_now, import_tensorflow
from vae_explorer.trainer.training.compiled import EVAL_BATCH, new_model
from vae_explorer.trainer.training.memory import epoch_order
from vae_explorer.trainer.training.steps import StepResult

tf = import_tensorflow()

TRAIN_TERMS = ("loss", "reconstruction_loss", "kl_loss")
EVAL_TERMS = ("loss", "reconstruction_loss", "kl_loss", "neg_elbo")


def replicated_model(config: TrainConfig, image_shape: Sequence[int], model: VAE | None, strategy: Any) -> VAE:
    """A VAE whose variables are mirrored by ``strategy``: a fresh one (seeded as in one process),
    or a copy of ``model`` (a loaded file) with its weights, optimizer and random state."""
    with strategy.scope():
        fresh = new_model(config, image_shape)
    if model is not None:
        for ours, theirs in (
            (fresh.variables, model.variables),
            (fresh.optimizer.variables, model.optimizer.variables),
            (fresh.random_state(), model.random_state()),
        ):
            for var, value in zip(ours, theirs, strict=True):
                var.assign(value.numpy())
    return fresh


def _replica_rows(x_all: Any, idx: Any) -> tuple[Any, tuple[Any, Any], Any]:
    """This replica's contiguous share of a global batch: images, (global size, first row), share."""
    context = tf.distribute.get_replica_context()
    n = tf.shape(idx)[0]
    lo = n * context.replica_id_in_sync_group // context.num_replicas_in_sync
    hi = n * (context.replica_id_in_sync_group + 1) // context.num_replicas_in_sync
    share = tf.cast(hi - lo, tf.float32) / tf.cast(n, tf.float32)
    return tf.gather(x_all, idx[lo:hi]), (n, lo), share


class ReplicaGraphs:
    """The compiled global steps; closes over the model and the data, never over a Trainer."""

    def __init__(self, model: VAE, strategy: Any, x_train: np.ndarray, x_test: np.ndarray) -> None:
        self.model, self.strategy = model, strategy
        self.x_train, self.x_test = tf.constant(x_train), tf.constant(x_test)
        index = tf.TensorSpec([None], tf.int32)
        self.train = compile_now(self._train, index, tf.TensorSpec([], tf.float32))
        self.evaluate = compile_now(self._evaluate, index)

    def _train(self, idx: Any, stop: Any) -> tuple[Any, Any]:
        def replica(idx: Any, stop: Any) -> tuple[Any, Any]:
            x, rows, share = _replica_rows(self.x_train, idx)
            with tf.GradientTape() as tape:
                terms = self.model.loss_terms(x, training=True, rows=rows)
                scaled = terms["loss"] * share  # Σ over replicas = the global batch mean
            grads = tape.gradient(scaled, self.model.trainable_weights)
            self.model.optimizer.apply(grads, self.model.trainable_weights)
            return tf.stack([terms[k] * share for k in TRAIN_TERMS]), tf.identity(stop)

        terms, stops = self.strategy.run(replica, args=(idx, stop))
        return (self.strategy.reduce("SUM", terms, axis=None), self.strategy.reduce("SUM", stops, axis=None))

    def _evaluate(self, idx: Any) -> Any:
        def replica(idx: Any) -> Any:
            x, rows, share = _replica_rows(self.x_test, idx)
            terms = self.model.loss_terms(x, training=False, rows=rows)
            return tf.stack([terms[k] * share for k in EVAL_TERMS])

        return self.strategy.reduce("SUM", self.strategy.run(replica, args=(idx,)), axis=None)


def batch_bounds(n: int, batch_size: int, replicas: int) -> list[tuple[int, int]]:
    """Consecutive (start, stop) batches of ``n`` items, each holding at least one item per
    replica: a last batch smaller than that is merged into the one before (held-out chunks)."""
    bounds = [(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < replicas:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


class DistributedSteps:
    """Steps of a ``tf.distribute`` strategy over a ``Dataset`` every process holds in memory.

    The global batch is ``config.batch_size`` whatever the number of replicas. An epoch's last
    batch is skipped when it holds fewer images than there are replicas (each needs one).
    """

    agrees_on_stop = True
    compiled = None  # nothing an in-memory run could recycle

    def __init__(
        self, config: TrainConfig, dataset: Dataset, model: VAE | None = None, recycle: object = None, *, strategy: Any
    ) -> None:
        self.replicas = int(strategy.num_replicas_in_sync)
        if min(len(dataset.x_train), len(dataset.x_test)) < self.replicas:
            raise DatasetError(
                f"holds too few images for {self.replicas} replicas (one each at least)", dataset.source or None
            )
        self.config, self.dataset, self.strategy = config, dataset, strategy
        self.model = replicated_model(config, dataset.image_shape, model, strategy)
        self.graphs = ReplicaGraphs(self.model, strategy, dataset.x_train, dataset.x_test)
        self.latent = LatentSpace(self.model)

    def train_images(self) -> int:
        return len(self.dataset.x_train)

    def batches_per_epoch(self) -> int:
        n, size = len(self.dataset.x_train), self.config.resolved_batch_size
        return n // size + (1 if n % size >= self.replicas else 0)

    def epoch(self, epoch: int, stop_requested: Callable[[], bool]) -> Iterator[StepResult | None]:
        order, size = epoch_order(self.config.seed, epoch, self.train_images()), self.config.resolved_batch_size
        for b in range(self.batches_per_epoch()):
            idx = order[b * size : (b + 1) * size]
            terms, stops = self.graphs.train(tf.constant(idx), tf.constant(float(stop_requested())))
            if float(stops) > 0:  # some process asked: all of them stop after this same batch
                yield None
                return
            loss, rec, kl = (float(v) for v in terms.numpy())
            yield StepResult(loss, rec, kl, len(idx))

    def held_out(self) -> dict[str, float]:
        n = len(self.dataset.x_test)
        sums = np.zeros(len(EVAL_TERMS))
        for start, stop in batch_bounds(n, EVAL_BATCH, self.replicas):
            idx = tf.range(start, stop, dtype=tf.int32)
            sums += self.graphs.evaluate(idx).numpy().astype(np.float64) * (stop - start)
        return {name: float(value / n) for name, value in zip(EVAL_TERMS, sums, strict=True)}


def distributed_steps(strategy: Any) -> Callable[..., DistributedSteps]:
    """A step-source factory for ``Trainer(..., steps=distributed_steps(strategy))``."""
    return functools.partial(DistributedSteps, strategy=strategy)
