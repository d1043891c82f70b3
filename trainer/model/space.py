"""A VAE's latent space as NumPy in, NumPy out: compiled encode and decode, and the encoded set.

``LatentSpace`` wraps a VAE's encoder and decoder in compiled functions with a fixed input
signature (one trace, no ``predict()`` per point), so a click costs about a millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vae_explorer.trainer.tf_runtime import compile_now, import_tensorflow

ENCODE_BATCH = 1000
DECODE_BATCH = 512


@dataclass
class LatentCodes:
    """Encoded held-out images: means and log-variances (N×latent) and labels (N) or None."""

    means: np.ndarray
    log_vars: np.ndarray | None = None
    labels: np.ndarray | None = None


class LatentSpace:
    """Encode and decode with a VAE's current weights, in batches, through compiled calls."""

    def __init__(self, model: Any) -> None:
        tf = import_tensorflow()
        self.model = model
        self.latent_dim = int(model.latent_dim)
        self.image_shape = tuple(model.image_shape)
        # Traced here, on the constructing thread: TensorFlow can deadlock when a
        # tf.function is first traced on a worker thread (tensorflow#66115), so worker
        # threads only ever run these already-built graphs.
        self._decode = compile_now(
            lambda z: model.decoder(z, training=False), tf.TensorSpec([None, self.latent_dim], tf.float32)
        )
        self._encode = compile_now(
            lambda x: model.encoder(x, training=False), tf.TensorSpec([None, *self.image_shape], tf.float32)
        )

    def encode(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Means and log-variances of ``x`` (N×H×W×C in [0, 1])."""
        x = np.asarray(x, dtype=np.float32)
        means, log_vars = [], []
        for i in range(0, len(x), ENCODE_BATCH):
            m, lv = self._encode(x[i : i + ENCODE_BATCH])
            means.append(m.numpy())
            log_vars.append(lv.numpy())
        if not means:
            empty = np.zeros((0, self.latent_dim), np.float32)
            return empty, empty.copy()
        return np.concatenate(means), np.concatenate(log_vars)

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Images (N×H×W×C in [0, 1]) for latent points ``z`` (N×latent_dim, or one point)."""
        z = np.asarray(z, dtype=np.float32)
        if z.ndim == 1:
            z = z[None, :]
        if z.shape[1] != self.latent_dim:
            raise ValueError(f"latent points have {z.shape[1]} dims, the model has {self.latent_dim}")
        parts = [self._decode(z[i : i + DECODE_BATCH]).numpy() for i in range(0, len(z), DECODE_BATCH)]
        if not parts:
            return np.zeros((0, *self.image_shape), np.float32)
        return np.concatenate(parts)

    def codes(self, x: np.ndarray, labels: np.ndarray | None = None) -> LatentCodes:
        """The encoded set as stored in model files and drawn on the map."""
        means, log_vars = self.encode(x)
        return LatentCodes(means, log_vars, None if labels is None else np.asarray(labels, np.int32))

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        """Decode the encoded means of ``x``: what the model makes of each image."""
        return self.decode(self.encode(x)[0])
