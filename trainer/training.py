"""Train a VAE from a config and a dataset, reporting through a plain listener.

The loop is ours, not ``model.fit``: the data stay in one tensor and each step gathers its
batch inside a compiled function, so per-batch Python work is one call and four floats. That
is what makes it faster than the tutorial's ``fit`` (see ``benchmarks/``) and lets stop, pause
and NaN checks act between any two batches.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from vae_explorer.trainer.config import TrainConfig, check_image_shape
from vae_explorer.trainer.data import Dataset
from vae_explorer.trainer.errors import DatasetError, TrainingError, UserError
from vae_explorer.trainer.reports import BatchReport, EpochReport, RunClock, TrainingListener
from vae_explorer.trainer.tf_runtime import compile_now, import_tensorflow

tf = import_tensorflow()

import keras  # noqa: E402

from vae_explorer.trainer.latent import LatentSpace  # noqa: E402
from vae_explorer.trainer.model import VAE, build_vae  # noqa: E402

EVAL_BATCH = 500


@dataclass
class TrainResult:
    """How a run ended: ``finished``, ``stopped`` (by request) or ``diverged`` (NaN/inf)."""

    status: str
    message: str
    epochs_done: int
    history: list[dict] = field(default_factory=list)


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The shuffle of epoch ``epoch`` (0-based, counting earlier runs): a function of the seed and
    the epoch alone, so a run resumed from a file, in another process, shuffles as an
    uninterrupted one would."""
    return np.random.default_rng([seed, epoch]).permutation(n).astype(np.int32)


def new_model(config: TrainConfig, image_shape) -> VAE:
    """A fresh VAE, seeded so that the same seed and data give the same result."""
    keras.utils.set_random_seed(config.seed)
    return build_vae(config.preset, config.latent_dim, image_shape, config.beta,
                     config.reconstruction, seed=config.seed, learning_rate=config.learning_rate)


class HeldOutEvaluator:
    """Loss terms of a model over a whole array, in compiled batches, weighted by batch size."""

    def __init__(self, model: VAE):
        self.model = model
        self._step = compile_now(self._update, tf.TensorSpec([None, *model.image_shape], tf.float32))

    def _update(self, x):
        self.model.test_step(x)

    def __call__(self, x) -> dict[str, float]:
        """Means of loss, reconstruction_loss, kl_loss and neg_elbo over ``x``."""
        x = tf.constant(x) if isinstance(x, np.ndarray) else x
        for m in self.model.metrics:
            m.reset_state()
        for i in range(0, int(x.shape[0]), EVAL_BATCH):
            self._step(x[i:i + EVAL_BATCH])
        return {m.name: float(m.result()) for m in self.model.metrics}


class CompiledVAE:
    """A VAE with the graphs that run it: a training step, the held-out evaluator, encode/decode.

    Tracing them takes a second or two per model, on the constructing thread (see
    ``trainer.tf_runtime.compile_now``), and so does their first run; a ``Trainer`` reuses them
    when it continues the same model, or when it starts afresh and is allowed to ``recycle``
    a model of the same architecture.
    """

    def __init__(self, model: VAE):
        self.model = model
        image = tf.TensorSpec([None, *model.image_shape], tf.float32)

        def train_step(x_all, idx):  # closes over the model only, never over a Trainer
            logs = model.train_step(tf.gather(x_all, idx))
            return logs["batch_loss"], logs["batch_reconstruction_loss"], logs["batch_kl_loss"]

        self.train_step = compile_now(train_step, image, tf.TensorSpec([None], tf.int32))
        self.evaluate = HeldOutEvaluator(model)
        self.latent = LatentSpace(model)


def _architecture(model: VAE):
    """Everything the compiled graphs depend on besides the values of the variables."""
    return (model.get_config(), model.encoder.get_config(), model.decoder.get_config(),
            model.decoder_logits.get_config(), type(model.optimizer), [(tuple(v.shape), v.dtype) for v in model.variables],
            [(tuple(v.shape), v.dtype) for v in model.optimizer.variables])


def _reset_like(model: VAE, fresh: VAE) -> bool:
    """Give ``model`` the state of ``fresh`` (weights, optimizer, random seed state) if they have
    the same architecture; False (and ``model`` untouched) if they differ."""
    if model is fresh or _architecture(model) != _architecture(fresh):
        return False
    for var, value in zip(model.variables, fresh.variables):
        var.assign(value)
    for var, value in zip(model.optimizer.variables, fresh.optimizer.variables):
        var.assign(value)
    for m in model.metrics:
        m.reset_state()
    return True


class Trainer:
    """Runs epochs of ``config`` on ``dataset``; ``model`` and ``history`` continue a saved run.

    ``request_stop``, ``pause`` and ``resume`` may be called from any thread; they take
    effect between two batches.

    ``recycle`` is the ``compiled`` of an earlier Trainer that the caller is done with. Its
    graphs are reused instead of traced again when this run continues the same ``model``, or
    when it starts a new model (``model`` None) of the same architecture: then the recycled
    model's weights, optimizer and random state are overwritten with those of a freshly built
    one, so the run is the same as with a new model, only without the tracing.
    """

    def __init__(self, config: TrainConfig, dataset: Dataset, model: VAE | None = None,
                 history: list[dict] | None = None, listener: TrainingListener | None = None,
                 encode_each_epoch: bool = False, recycle: CompiledVAE | None = None):
        if model is not None and tuple(model.image_shape) != dataset.image_shape:
            raise TrainingError(
                f"the model takes {model.image_shape} images but the dataset holds {dataset.image_shape}"
            )
        try:
            check_image_shape(dataset.image_shape)
        except UserError as exc:
            raise DatasetError(exc.problem, dataset.source or None) from None
        self._init_state(config, dataset, history, listener, encode_each_epoch)
        compiled = None
        if model is None:
            model = new_model(config, dataset.image_shape)
            if recycle is not None and _reset_like(recycle.model, model):
                model, compiled = recycle.model, recycle
        elif recycle is not None and recycle.model is model:
            compiled = recycle
        self.model = model
        self.model.optimizer.learning_rate.assign(config.learning_rate)
        self.compiled = compiled or CompiledVAE(self.model)
        self._train_fn = self.compiled.train_step
        self._evaluate = self.compiled.evaluate
        self.latent = self.compiled.latent

    def _init_state(self, config, dataset, history, listener, encode_each_epoch=False) -> None:
        """The attributes that do not depend on how batches are stepped (the streamed and
        distributed trainers set them too, with their own model and steps)."""
        self.config = config
        self.dataset = dataset
        self.history = list(history or [])
        self.listener = listener or TrainingListener()
        self.encode_each_epoch = encode_each_epoch
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

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
        cfg, data = self.config, self.dataset
        batches = int(np.ceil(len(data.x_train) / cfg.batch_size))
        clock = RunClock(n=len(data.x_train), batches=batches, total=max(1, batches * cfg.epochs))
        x_all, x_test = tf.constant(data.x_train), tf.constant(data.x_test)
        snapshot = self._snapshot()
        first_epoch = len(self.history)
        for e in range(first_epoch, first_epoch + cfg.epochs):
            ended = self._epoch_batches(e, x_all, clock, snapshot)
            if ended is None:
                ended = self._finish_epoch(e, x_test, clock, snapshot, first_epoch + cfg.epochs)
            if ended is not None:
                return ended
            snapshot = self._snapshot()
        return self._end("finished", f"trained {cfg.epochs} epoch(s)")

    def _epoch_batches(self, e: int, x_all, clock: RunClock, snapshot) -> TrainResult | None:
        """The batches of epoch ``e`` (0-based); a result if the run ends inside it."""
        cfg = self.config
        self.model.kl_weight.assign(cfg.kl_weight(e))
        for m in self.model.metrics:
            m.reset_state()
        order = epoch_order(cfg.seed, e, clock.n)
        clock.begin_epoch()
        for b in range(clock.batches):
            if not self._running.is_set():
                self._wait_while_paused()
            if self._stop.is_set():
                return self._end("stopped", f"stopped by request during epoch {e + 1}")
            ended = self._train_batch(e, b, x_all, order[b * cfg.batch_size:(b + 1) * cfg.batch_size], clock)
            if ended is not None:
                self._restore(snapshot)
                return ended
        clock.end_epoch_batches()
        return None

    def _train_batch(self, e: int, b: int, x_all, idx: np.ndarray, clock: RunClock) -> TrainResult | None:
        """One compiled step and its report; a "diverged" result (weights not yet restored) on NaN."""
        t0 = time.perf_counter()
        loss, rec, kl = (float(v) for v in self._train_fn(x_all, tf.constant(idx)))
        dt = time.perf_counter() - t0
        if not np.isfinite(loss):
            return self._end(
                "diverged",
                f"loss became {loss} at epoch {e + 1}, batch {b + 1}: training stopped and "
                f"the weights of the last good epoch ({len(self.history)}) were kept; "
                "try a lower learning rate",
            )
        clock.count_batch(len(idx), dt)
        self.listener.on_batch(BatchReport(
            epoch=e + 1, batch=b + 1, batches=clock.batches, loss=loss, reconstruction_loss=rec,
            kl_loss=kl, images_per_second=clock.rate, progress=clock.progress(), eta=clock.eta()))
        return None

    def _finish_epoch(self, e: int, x_test, clock: RunClock, snapshot, epochs: int) -> TrainResult | None:
        """Held-out figures, the history row and the epoch report; a result if they are not finite."""
        cfg = self.config
        train = {m.name: float(m.result()) for m in self.model.metrics}
        val = self._evaluate(x_test)
        if not np.isfinite(val["loss"]):
            self._restore(snapshot)
            return self._end("diverged", f"held-out loss became {val['loss']} at epoch {e + 1}: "
                             "the weights of the last good epoch were kept; try a lower learning rate")
        report = EpochReport(
            epoch=e + 1, epochs=epochs, loss=train["loss"],
            reconstruction_loss=train["reconstruction_loss"], kl_loss=train["kl_loss"],
            val_loss=val["loss"], val_reconstruction_loss=val["reconstruction_loss"],
            val_kl_loss=val["kl_loss"], val_neg_elbo=val["neg_elbo"],
            kl_weight=cfg.kl_weight(e), elapsed=clock.elapsed(), eta=clock.eta(),
            images_per_second=clock.epoch_rate(clock.n),
            latent_means=self.encode(self.dataset.x_test) if self.encode_each_epoch else None,
            objective=cfg.objective,
        )
        self.history.append(report.history_row())
        self.listener.on_epoch(report)
        return None

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Encoded means of ``x`` as a NumPy array (batched, compiled)."""
        return self.latent.encode(x)[0]

    def _wait_while_paused(self) -> None:
        while not self._running.wait(timeout=0.1):
            pass

    def _snapshot(self):
        # variables, not weights: the sampler's seed state goes back with the weights
        return ([v.numpy() for v in self.model.variables],
                [v.numpy() for v in self.model.optimizer.variables])

    def _restore(self, snapshot) -> None:
        weights, opt = snapshot
        for var, value in zip(self.model.variables, weights):
            var.assign(value)
        for var, value in zip(self.model.optimizer.variables, opt):
            var.assign(value)

    def _end(self, status: str, message: str) -> TrainResult:
        return TrainResult(status, message, len(self.history), self.history)

