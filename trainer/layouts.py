"""The 2-D layouts a latent map can show, behind one interface.

Every layout maps latent codes to the plane (``to_plane``) and the plane back to codes
(``from_plane``), and says whether that inverse is ``exact``:

- ``latent``: the latent plane itself (latent dim 2) or two chosen dimensions; exact.
- ``pca``: the first two principal components, the other coordinates at the mean; exact.
- ``tsne``: a neighbour-preserving t-SNE layout of the encoded means (openTSNE), for any latent
  size; approximate both ways: the plane decodes through ``trainer.inverse_map``, and new codes
  (an interpolation path) are placed by the same inverse-distance blend run forwards, over their
  nearest codes in the latent space. openTSNE's own ``transform`` optimises new points against
  the layout (0.2–3 s for one path on this 2-core machine, seconds more while training runs):
  too slow for a path that follows the slider. Chosen by measurement over UMAP (README, "The map").

A t-SNE layout computed after each epoch starts from the previous one and is rotated onto it
(orthogonal Procrustes), so the points drift while the model trains instead of jumping.
"""

from __future__ import annotations

import logging

import numpy as np

from vae_explorer.trainer.inverse_map import InverseMap
from vae_explorer.trainer.latent import Projection

PERPLEXITY = 15  # best legibility on the embedded MNIST among 10, 15, 20, 30, 50 (README)
WARM_ITERATIONS = 250  # from the previous epoch's layout: no early exaggeration, half the work
COLD_ITERATIONS = 500
BARNES_HUT_BELOW = 5000  # openTSNE: Barnes-Hut is faster for small sets, FFT for large ones
LAYOUT_NAMES = ("latent", "pca", "tsne")


class _WarmStartNotice(logging.Filter):
    """openTSNE warns that an initial layout wider than 1e-4 "may converge poorly": a warm start
    is such a layout on purpose (the previous epoch's, already converged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Standard deviation of embedding")


logging.getLogger("openTSNE.tsne").addFilter(_WarmStartNotice())


def linear_layout(means: np.ndarray, name: str, dims: tuple[int, int] | None = None) -> Projection:
    """``latent`` (dim ≤ 2, or ``dims``) or ``pca``: an exact linear slice (``Projection``)."""
    means = np.asarray(means, np.float32)
    if name == "latent" and dims is None and means.shape[1] > 2:
        raise ValueError("the latent plane needs latent dim ≤ 2 or two chosen dimensions")
    return Projection(means, dims if name == "latent" else None)


def default_layout_name(latent_dim: int) -> str:
    """What the map shows first: the latent plane itself when it is one, else t-SNE."""
    return "latent" if latent_dim <= 2 else "tsne"


class LayoutCancelled(Exception):
    """``should_stop`` said so: the layout was abandoned between two optimisation steps."""


class TSNELayout:
    """A t-SNE layout of ``means``, warm-started from ``previous`` (same points) when given.

    ``should_stop()``, polled every few iterations, abandons the computation (``LayoutCancelled``):
    a window that closes does not wait for a layout nobody will see.
    """

    name = kind = "tsne"
    exact = False

    def __init__(self, means: np.ndarray, previous: "TSNELayout | None" = None, seed: int = 0,
                 n_jobs: int = 1, should_stop=None):
        means = np.asarray(means, np.float64)
        self.latent_dim = means.shape[1]
        self.n_jobs = n_jobs
        self._should_stop = should_stop
        warm = previous is not None and previous.plane.shape[0] == len(means)
        plane = np.asarray(self._fit(means, previous.plane if warm else None, seed), np.float64)
        if warm:
            rotation, shift = _procrustes(plane, previous.plane)
            plane = plane @ rotation + shift
        self.plane = plane
        self.warm_started = warm
        self.inverse = InverseMap(self.plane, means)
        self.forward = InverseMap(means, self.plane)  # the same blend, latent → plane

    def _fit(self, means: np.ndarray, start: np.ndarray | None, seed: int):
        from openTSNE import TSNE

        small = len(means) < BARNES_HUT_BELOW
        settings = dict(n_jobs=self.n_jobs, random_state=seed, verbose=False,
                        negative_gradient_method="bh" if small else "fft")
        if self._should_stop is not None:
            settings.update(callbacks=self._poll, callbacks_every_iters=10)
        affinities = _affinities(means, small, self.n_jobs, seed)
        if start is None:
            return TSNE(n_iter=COLD_ITERATIONS, **settings).fit(means, affinities=affinities)
        return TSNE(early_exaggeration_iter=0, n_iter=WARM_ITERATIONS, **settings).fit(
            means, affinities=affinities, initialization=start)

    def _poll(self, iteration, error, embedding) -> bool:
        if self._should_stop():
            raise LayoutCancelled("the layout was cancelled")
        return False

    def to_plane(self, z: np.ndarray) -> np.ndarray:
        """Place codes among the fitted ones: a fitted code lands on its own point (microseconds)."""
        return self.forward(np.asarray(z, np.float64).reshape(-1, self.latent_dim))

    def from_plane(self, p: np.ndarray) -> np.ndarray:
        """Plane → latent through the inverse map (approximate between the data points)."""
        return self.inverse(p)


def _affinities(means: np.ndarray, small: bool, n_jobs: int, seed: int):
    """Perplexity-based affinities over an explicit neighbour index: exact (scikit-learn) for
    small sets, Annoy (bundled with openTSNE) for large ones. Never openTSNE's "auto", which
    imports pynndescent when it happens to be installed, and numba's first import on a worker
    thread aborts the process."""
    from openTSNE import affinity, nearest_neighbors

    perplexity = min(PERPLEXITY, max(2, (len(means) - 1) // 3))
    k = min(len(means) - 1, 3 * perplexity)
    index_type = nearest_neighbors.Sklearn if small else nearest_neighbors.Annoy
    index = index_type(means, k, n_jobs=n_jobs, random_state=seed)
    return affinity.PerplexityBasedNN(perplexity=perplexity, knn_index=index, n_jobs=n_jobs)


def _procrustes(plane: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotation (or reflection) and shift that bring ``plane`` closest to ``target`` (least squares)."""
    a, b = plane - plane.mean(axis=0), target - target.mean(axis=0)
    u, _, vt = np.linalg.svd(a.T @ b)
    rotation = u @ vt
    return rotation, target.mean(axis=0) - plane.mean(axis=0) @ rotation


def make_layout(name: str, means: np.ndarray, previous=None, dims=None, seed: int = 0, n_jobs: int = 1):
    """The layout called ``name`` for ``means`` (``previous`` warm-starts a t-SNE layout)."""
    if name == "tsne":
        return TSNELayout(means, previous if isinstance(previous, TSNELayout) else None, seed, n_jobs)
    if name in ("latent", "pca"):
        return linear_layout(means, name, dims)
    raise ValueError(f"unknown layout '{name}' (choose from {', '.join(LAYOUT_NAMES)})")


def median_drift(before: np.ndarray, after: np.ndarray) -> float:
    """Median displacement of the same points between two layouts, as a fraction of the map's extent."""
    extent = float(np.max(np.ptp(np.vstack([before, after]), axis=0)))
    return float(np.median(np.linalg.norm(after - before, axis=1)) / max(extent, 1e-12))
