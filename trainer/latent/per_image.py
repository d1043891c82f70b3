"""Per-image figures of a model on the held-out images: reconstruction loss and KL, one value each.

The map colours its points by them and lists the worst reconstructed images. Definitions, for
an image x with encoded mean μ and log-variance log σ²:

- **reconstruction loss**: the model's own reconstruction term (binary cross-entropy from the
  decoder's logits, or squared error, as its config says), summed over pixels, of the decode of
  the *mean* code μ. Deterministic: the same image always gets the same value, unlike the
  training loss, which decodes a sampled z = μ + σ·ε (so the per-image value here is usually a
  little lower than that term's average).
- **KL**: KL(q(z|x) ‖ N(0, I)) = −½ Σ (1 + log σ² − μ² − σ²), analytic, exactly the training
  loss's KL term for that image (no sampling involved).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from vae_explorer.trainer.tf_runtime import compile_now, import_tensorflow

BATCH = 500


@dataclass
class PerImageMetrics:
    """``reconstruction`` and ``kl``: float32 arrays of one value per held-out image."""

    reconstruction: np.ndarray
    kl: np.ndarray

    def values(self, name: str) -> np.ndarray:
        """``"reconstruction"`` or ``"kl"``."""
        if name not in ("reconstruction", "kl"):
            raise ValueError(f"unknown per-image figure '{name}' (reconstruction or kl)")
        return getattr(self, name)


class PerImageLosses:
    """A model's per-image reconstruction loss and KL, in compiled batches.

    The graph is traced when this is built, on the constructing thread (see
    ``trainer.tf_runtime.compile_now``); calling it from a worker thread afterwards is safe.
    """

    def __init__(self, model: Any) -> None:
        tf = import_tensorflow()
        self.model = model
        self._terms = compile_now(self._batch_terms, tf.TensorSpec([None, *model.image_shape], tf.float32))

    def _batch_terms(self, x: Any) -> tuple[Any, Any]:
        tf = import_tensorflow()
        mean, log_var = self.model.encoder(x, training=False)
        logits = self.model.decoder_logits(mean, training=False)
        if self.model.reconstruction == "bce":
            per_pixel = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits)
        else:
            per_pixel = tf.square(x - tf.sigmoid(logits))
        reconstruction = tf.reduce_sum(per_pixel, axis=[1, 2, 3])
        kl = -0.5 * tf.reduce_sum(1.0 + log_var - tf.square(mean) - tf.exp(log_var), axis=1)
        return reconstruction, kl

    def __call__(self, x: np.ndarray, should_stop: Callable[[], bool] | None = None) -> PerImageMetrics | None:
        """Both figures for every image of ``x`` (N×H×W×C in [0, 1]); None if ``should_stop()`` said so."""
        x = np.asarray(x, np.float32)
        recon, kl = [], []
        for i in range(0, len(x), BATCH):
            if should_stop is not None and should_stop():
                return None
            r, k = self._terms(x[i : i + BATCH])
            recon.append(r.numpy())
            kl.append(k.numpy())
        empty = np.zeros(0, np.float32)
        return PerImageMetrics(np.concatenate(recon) if recon else empty, np.concatenate(kl) if kl else empty)


def worst(values: np.ndarray, n: int = 20, among: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``n`` largest values (largest first), optionally only ``among`` some indices."""
    values = np.asarray(values)
    idx = np.arange(len(values)) if among is None else np.asarray(among, np.int64)
    order = np.argsort(-values[idx], kind="stable")[:n]
    return idx[order]


def robust_range(values: np.ndarray, low: float = 1.0, high: float = 99.0) -> tuple[float, float]:
    """The 1st–99th percentile of ``values``: a colour scale that a few outliers cannot flatten."""
    values = np.asarray(values, np.float64)
    values = values[np.isfinite(values)]
    if not len(values):
        return 0.0, 1.0
    lo, hi = (float(v) for v in np.percentile(values, [low, high]))
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def normalised(values: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """``values`` mapped onto [0, 1] by ``levels`` (clipped): where each falls on the colour bar."""
    lo, hi = levels
    return np.clip((np.asarray(values, np.float64) - lo) / (hi - lo), 0.0, 1.0)
