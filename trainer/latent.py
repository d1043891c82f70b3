"""Latent-space maths, NumPy in and NumPy out.

``LatentSpace`` wraps a VAE's encoder and decoder in compiled functions with a fixed input
signature (one trace, no ``predict()`` per point), so a click costs about a millisecond.
The rest are pure NumPy: grids, interpolation, traversal, prior samples and a 2-D PCA.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from vae_explorer.trainer.tf_runtime import compile_now, import_tensorflow

ENCODE_BATCH = 1000
DECODE_BATCH = 512
# Below this sine of the angle between the ends, the part of b orthogonal to a is rounding noise.
ANTIPODAL_SIN = 1e-6


@dataclass
class LatentCodes:
    """Encoded held-out images: means and log-variances (N×latent) and labels (N) or None."""

    means: np.ndarray
    log_vars: np.ndarray | None = None
    labels: np.ndarray | None = None


class LatentSpace:
    """Encode and decode with a VAE's current weights, in batches, through compiled calls."""

    def __init__(self, model):
        tf = import_tensorflow()
        self.model = model
        self.latent_dim = int(model.latent_dim)
        self.image_shape = tuple(model.image_shape)
        # Traced here, on the constructing thread: TensorFlow can deadlock when a
        # tf.function is first traced on a worker thread (tensorflow#66115), so worker
        # threads only ever run these already-built graphs.
        self._decode = compile_now(lambda z: model.decoder(z, training=False),
                                   tf.TensorSpec([None, self.latent_dim], tf.float32))
        self._encode = compile_now(lambda x: model.encoder(x, training=False),
                                   tf.TensorSpec([None, *self.image_shape], tf.float32))

    def encode(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Means and log-variances of ``x`` (N×H×W×C in [0, 1])."""
        x = np.asarray(x, dtype=np.float32)
        means, log_vars = [], []
        for i in range(0, len(x), ENCODE_BATCH):
            m, lv = self._encode(x[i:i + ENCODE_BATCH])
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
        parts = [self._decode(z[i:i + DECODE_BATCH]).numpy() for i in range(0, len(z), DECODE_BATCH)]
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


def grid_axes(n: int, radius: float = 4.0, quantiles: bool = False) -> np.ndarray:
    """``n`` values over [-radius, radius], or over N(0, 1) quantiles (0.05…0.95) as in Kingma."""
    if quantiles:
        nd = NormalDist()
        return np.array([nd.inv_cdf(p) for p in np.linspace(0.05, 0.95, n)], dtype=np.float32)
    return np.linspace(-radius, radius, n, dtype=np.float32)


def grid_points(n: int, x_range=(-4.0, 4.0), y_range=(-4.0, 4.0), quantiles: bool = False) -> np.ndarray:
    """n×n 2-D points, row by row from the top (largest y) so tiles read like the plot."""
    if quantiles:
        xs = ys = grid_axes(n, quantiles=True)
    else:
        xs = np.linspace(x_range[0], x_range[1], n, dtype=np.float32)
        ys = np.linspace(y_range[0], y_range[1], n, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys[::-1])
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def interpolate(a: np.ndarray, b: np.ndarray, steps: int, method: str = "linear") -> np.ndarray:
    """``steps`` points from ``a`` to ``b`` inclusive: straight line, or spherical (slerp).

    The ends are ``a`` and ``b`` exactly, whatever rounding the path picked up on the way.
    """
    a, b = np.asarray(a, np.float64).reshape(-1), np.asarray(b, np.float64).reshape(-1)
    t = np.linspace(0.0, 1.0, max(2, steps))[:, None]
    if method == "linear":
        path = (1 - t) * a + t * b
    elif method == "spherical":
        path = _slerp(a, b, t)
    else:
        raise ValueError(f"unknown interpolation '{method}' (linear or spherical)")
    path[0], path[-1] = a, b
    return path.astype(np.float32)


def _slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The direction turns along the great circle from a to b, the norm goes linearly from |a| to
    |b|: so the path keeps away from the origin (where a Gaussian prior has little mass) and its
    norm is monotone also when |a| ≠ |b|, which the textbook slerp formula does not give.

    sin ω ≈ 0 at ω ≈ π made that formula explode; here the turn is measured from a towards the
    part of b orthogonal to a, and for (near-)antipodal ends, where that part is only rounding
    noise, towards a fixed direction orthogonal to a. A 1-D latent has no orthogonal direction:
    the path is the straight line, through 0 when the signs differ.
    """
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na < 1e-8 or nb < 1e-8 or a.size < 2:
        return (1 - t) * a + t * b
    ua, ub = a / na, b / nb
    along = float(ua @ ub)
    across = ub - along * ua
    omega = np.arctan2(np.linalg.norm(across), along)
    if np.linalg.norm(across) > ANTIPODAL_SIN:
        perp = across / np.linalg.norm(across)
    else:  # same or opposite direction: any orthogonal direction, but always the same one
        perp = _orthogonal_to(ua)
    directions = np.cos(t * omega) * ua + np.sin(t * omega) * perp
    return ((1 - t) * na + t * nb) * directions


def _orthogonal_to(u: np.ndarray) -> np.ndarray:
    """A unit vector orthogonal to unit ``u``, chosen deterministically: the axis u leans on
    least, with its component along u removed (so [1, 0] turns through [0, 1])."""
    k = int(np.argmin(np.abs(u)))
    v = -u[k] * u
    v[k] += 1.0
    return v / np.linalg.norm(v)


def traverse(z: np.ndarray, steps: int = 9, span: float = 3.0) -> np.ndarray:
    """For each dimension d, ``steps`` copies of ``z`` with z[d] over z[d]±span: (dims·steps)×dims."""
    z = np.asarray(z, np.float32).reshape(-1)
    offsets = np.linspace(-span, span, steps, dtype=np.float32)
    rows = np.repeat(z[None, :], len(z) * steps, axis=0)
    for d in range(len(z)):
        rows[d * steps:(d + 1) * steps, d] = z[d] + offsets
    return rows


def prior_samples(n: int, latent_dim: int, seed: int = 0) -> np.ndarray:
    """``n`` draws from the prior N(0, I)."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


class Projection:
    """Latent space ↔ the 2-D plane of the map.

    For latent dim 2 it is the identity. Otherwise the plane is spanned by two chosen
    dimensions or the first two principal components of the encoded means; going back from
    the plane holds every other coordinate at the mean. Exact both ways, unlike a t-SNE layout
    (``trainer.layouts``), whose interface it shares: ``name``, ``exact``, ``to_plane``, ``from_plane``.
    """

    exact = True

    def __init__(self, means: np.ndarray, dims: tuple[int, int] | None = None):
        means = np.asarray(means, np.float64)
        self.latent_dim = means.shape[1]
        self.center = means.mean(axis=0) if len(means) else np.zeros(self.latent_dim)
        if self.latent_dim == 1:
            self.basis = np.array([[1.0], [0.0]])  # y is a dummy axis
        elif self.latent_dim == 2 and dims is None:
            self.center = np.zeros(2)
            self.basis = np.eye(2)
        elif dims is not None:
            self.basis = np.zeros((2, self.latent_dim))
            self.basis[0, dims[0]] = self.basis[1, dims[1]] = 1.0
        else:
            self.basis = _principal_axes(means - self.center) if len(means) > 1 else np.eye(self.latent_dim)[:2]
        self.kind = "identity" if self.latent_dim == 2 and dims is None else ("dims" if dims else "pca")
        self.name = "pca" if self.kind == "pca" and self.latent_dim > 1 else "latent"

    def to_plane(self, z: np.ndarray) -> np.ndarray:
        """N×latent → N×2."""
        z = np.asarray(z, np.float64).reshape(-1, self.latent_dim)
        plane = (z - self.center) @ self.basis.T
        return plane.astype(np.float32)

    def from_plane(self, p: np.ndarray) -> np.ndarray:
        """N×2 → N×latent (other coordinates at the mean of the encoded set)."""
        p = np.asarray(p, np.float64).reshape(-1, 2)
        if self.latent_dim == 1:
            p = p[:, :1]
            return (self.center + p @ self.basis[:1]).astype(np.float32)
        return (self.center + p @ self.basis).astype(np.float32)


def _principal_axes(centred: np.ndarray) -> np.ndarray:
    """The first two principal axes (2×D, orthonormal rows), each signed so that its largest
    entry is positive.

    From the D×D scatter matrix summed without BLAS (``einsum``) and ``eigh``, not an SVD of the
    N×D data: the app computes this on the GUI thread at every epoch while training keeps both
    cores busy, where OpenBLAS's threads made the SVD of 2,000×16 take 77 ms instead of 1.3 ms.
    """
    scatter = np.einsum("ni,nj->ij", centred, centred)
    _, vectors = np.linalg.eigh(scatter)
    axes = vectors[:, ::-1][:, :2].T.copy()  # eigh sorts ascending
    largest = np.abs(axes).argmax(axis=1)
    axes *= np.sign(axes[np.arange(2), largest])[:, None]
    return axes
