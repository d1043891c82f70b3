"""The importance-weighted bound on log p(x) (Burda et al., IWAE): a likelihood figure for a VAE.

The ELBO the trainer reports is a lower bound on log p(x) whose gap is the KL between the
encoder's q(z|x) and the true posterior. Drawing K samples z_k ~ q(z|x) and taking

    log p(x) ≈ logmeanexp_k [log p(x|z_k) + log p(z_k) − log q(z_k|x)]

gives a bound that tightens as K grows (K = 1 is the ELBO) and is what papers report as the
test negative log-likelihood. One traced graph scores a batch of images against a chunk of
samples; chunks are sized so the decoder's logits stay within ``LOGIT_BYTES`` per call, and the
bound is accumulated as a running log-mean-exp over the chunks, so memory does not grow with K
(K = 1,000,000 on 10,000 images once asked for 74.5 GiB at once).

log p(x|z) is the Bernoulli log-probability −Σ BCE(x, logits) that the model was trained
with. On grey pixels (not 0 or 1) that is not a normalised likelihood, so a figure on grey
images is labelled ``bernoulli-on-grey``; only on binarised images (``binarize``) is it a true
negative log-likelihood comparable with the binarised-MNIST literature.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.tf_runtime import compile_now, import_tensorflow

tf = import_tensorflow()

from keras import ops  # noqa: E402

LOGIT_BYTES = 8 * 2**20  # per call; the decoder's inner activations are a few times more
LOG_2PI = math.log(2.0 * math.pi)
MAX_K = 1_000_000
LONG_SECONDS = 3600.0  # an evaluation longer than this is said first and must be confirmed
Progress = Callable[[int, int], None]  # (calls done, calls in all)
Stop = Callable[[], bool]


class Cancelled(Exception):
    """``should_stop`` asked the computation to end; nothing was computed."""


def binarize(x: np.ndarray) -> np.ndarray:
    """Pixels above 0.5 become 1, the rest 0 (the usual binarised-MNIST rule, deterministic)."""
    return (np.asarray(x) > 0.5).astype(np.float32)


def logmeanexp(a: np.ndarray, axis: int = 0) -> np.ndarray:
    """log(mean(exp(a))) along ``axis``, without overflow."""
    a = np.asarray(a, np.float64)
    top = a.max(axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.mean(np.exp(a - top), axis=axis))


class ImportanceWeighted:
    """log-weights log p(x, z_k) − log q(z_k|x) of a VAE, through one compiled graph."""

    def __init__(self, model: Any, source: str | None = None) -> None:
        if model.reconstruction != "bce":
            raise UserError(
                f"the importance-weighted bound needs a likelihood; this model was trained "
                f"with '{model.reconstruction}' reconstruction, which defines none (only bce does)",
                source,
            )
        self.model = model
        self.image_shape = tuple(model.image_shape)
        self.samples_per_call = max(1, LOGIT_BYTES // (4 * int(np.prod(self.image_shape))))
        self._log_weights = compile_now(
            self._graph,
            tf.TensorSpec([None, *self.image_shape], tf.float32),
            tf.TensorSpec([], tf.int32),
            tf.TensorSpec([2], tf.int32),
        )

    def _graph(self, x: Any, k: Any, seed: Any) -> Any:
        """K×B log-weights for images ``x`` (B×H×W×C) and ``k`` samples each."""
        mean, log_var = self.model.encoder(x, training=False)
        eps = tf.random.stateless_normal(tf.stack([k, tf.shape(x)[0], tf.shape(mean)[1]]), seed)
        z = mean + ops.exp(0.5 * log_var) * eps  # K×B×D
        logits = self.model.decoder_logits(ops.reshape(z, (-1, tf.shape(mean)[1])), training=False)
        logits = ops.reshape(logits, tf.concat([tf.shape(eps)[:2], tf.shape(x)[1:]], 0))
        log_px_z = ops.sum(x * logits - ops.softplus(logits), axis=(2, 3, 4))  # = −Σ BCE
        log_pz = -0.5 * ops.sum(ops.square(z) + LOG_2PI, axis=-1)
        log_qz = -0.5 * ops.sum(ops.square(eps) + LOG_2PI + log_var, axis=-1)
        return log_px_z + log_pz - log_qz

    def chunks(
        self, x: np.ndarray, k: int, seed: int = 0, progress: Progress | None = None, should_stop: Stop | None = None
    ) -> Iterator[tuple[int, np.ndarray]]:
        """(first image, log-weights of a chunk of samples × a batch of images) for every compiled
        call, in order; the same seed gives the same draws whatever consumes them.

        ``progress(done, total)`` is called after each call (the app's progress bar);
        ``should_stop()`` is asked before each one and ends the work with ``Cancelled``: a
        background thread is stopped between two calls, never cut off inside one."""
        k_call, batch = self._shape(k)
        total, calls = self.calls(len(x), k), 0
        for i in range(0, len(x), batch):
            xb = np.asarray(x[i : i + batch], np.float32)
            for j in range(0, k, k_call):
                if should_stop is not None and should_stop():
                    raise Cancelled("the likelihood computation was cancelled")
                n = min(k_call, k - j)
                weights = self._log_weights(xb, np.int32(n), np.array([seed, calls], np.int32))
                calls += 1
                if progress is not None:
                    progress(calls, total)
                yield i, np.asarray(weights, np.float64)

    def log_weights(self, x: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
        """All K×N log-weights of images ``x`` at once (for inspection; ``log_px`` never holds them)."""
        out = np.empty((k, len(x)), np.float64)
        filled = np.zeros(len(x), np.int64)
        for i, weights in self.chunks(x, k, seed):
            n, b = weights.shape
            out[filled[i] : filled[i] + n, i : i + b] = weights
            filled[i : i + b] += n
        return out

    def _shape(self, k: int) -> tuple[int, int]:
        """Samples and images per call: as many samples as fit, then as many images."""
        k_call = min(k, self.samples_per_call)
        return k_call, max(1, self.samples_per_call // k_call)

    def calls(self, n_images: int, k: int) -> int:
        """How many compiled calls ``log_px`` makes for ``n_images`` images and ``k`` samples."""
        k_call, batch = self._shape(k)
        return -(-n_images // batch) * -(-k // k_call)

    def estimate_seconds(self, x: np.ndarray, k: int, seed: int = 0) -> float:
        """How long ``log_px(x, k)`` will take: one warm call timed, times the number of calls."""
        check_k(k)
        k_call, batch = self._shape(k)
        sample = np.asarray(x[:batch], np.float32)
        self._log_weights(sample, np.int32(k_call), np.array([seed, 0], np.int32))  # warm
        started = time.perf_counter()
        self._log_weights(sample, np.int32(k_call), np.array([seed, 1], np.int32))
        return (time.perf_counter() - started) * self.calls(len(x), k)

    def log_px(
        self, x: np.ndarray, k: int, seed: int = 0, progress: Progress | None = None, should_stop: Stop | None = None
    ) -> np.ndarray:
        """The K-sample bound on log p(x) for each image in ``x`` (nats, float64), in memory that
        does not grow with K (a running log-mean-exp over the chunks of samples); ``progress`` and
        ``should_stop`` as in ``chunks``."""
        check_k(k)
        top = np.full(len(x), -np.inf)
        total = np.zeros(len(x))
        for i, weights in self.chunks(x, k, seed, progress, should_stop):
            b = weights.shape[1]
            new_top = np.maximum(top[i : i + b], weights.max(axis=0))
            total[i : i + b] = total[i : i + b] * np.exp(top[i : i + b] - new_top) + np.exp(weights - new_top).sum(
                axis=0
            )
            top[i : i + b] = new_top
        return top + np.log(total / k)


def check_k(k: int) -> None:
    """K between 1 and ``MAX_K``, or a UserError (said before any model or data is loaded)."""
    if not 1 <= k <= MAX_K:
        raise UserError(f"--iw K must be between 1 and {MAX_K:,} (got {k})")


def duration_text(seconds: float) -> str:
    """``about 12 s``, ``about 3 min``, ``about 4.2 h``: an estimate in words."""
    if seconds < 90:
        return f"about {max(seconds, 1):.0f} s"
    if seconds < 5400:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"


@dataclass
class LikelihoodFigures:
    """What ``vae-explorer eval --iw`` adds to its JSON line."""

    iw_nll: float
    iw_bits_per_dim: float
    iw_k: int
    likelihood: str
    per_class: dict | None = None

    def to_dict(self) -> dict:
        d = {
            "iw_nll": self.iw_nll,
            "iw_bits_per_dim": self.iw_bits_per_dim,
            "iw_k": self.iw_k,
            "likelihood": self.likelihood,
        }
        return d if self.per_class is None else {**d, "iw_per_class": self.per_class}


def bits_per_dim(nll: float, image_shape: Sequence[int]) -> float:
    """Nats per image → bits per pixel channel."""
    return float(nll) / (int(np.prod(image_shape)) * math.log(2.0))


def likelihood_figures(
    model: Any,
    x: np.ndarray,
    k: int,
    seed: int = 0,
    labels: np.ndarray | None = None,
    binarized: bool = False,
    source: str | None = None,
) -> LikelihoodFigures:
    """Mean −log p(x) bound over ``x``, in nats and bits per dim, optionally per label;
    ``source`` (the model file) is named in the error for a model without a likelihood."""
    nll = -ImportanceWeighted(model, source).log_px(x, k, seed)
    return figures_of(nll, model.image_shape, k, labels, binarized)


def figures_of(
    nll: np.ndarray, image_shape: Sequence[int], k: int, labels: ArrayLike | None = None, binarized: bool = False
) -> LikelihoodFigures:
    """The figures of per-image bounds ``nll`` (−log p(x), nats): the app computes ``nll``
    on a worker thread with ``ImportanceWeighted.log_px`` (built on its GUI thread) and
    words it with the same function as ``eval --iw``."""
    shape = tuple(image_shape)
    per_class = None
    if labels is not None:
        y = np.asarray(labels)
        per_class = {
            str(int(c)): {
                "iw_nll": float(nll[y == c].mean()),
                "iw_bits_per_dim": bits_per_dim(nll[y == c].mean(), shape),
                "n": int((y == c).sum()),
            }
            for c in np.unique(y)
        }
    return LikelihoodFigures(
        float(nll.mean()),
        bits_per_dim(nll.mean(), shape),
        int(k),
        "bernoulli-binarized" if binarized else "bernoulli-on-grey",
        per_class,
    )
