"""The 2-D layouts a latent map can show, behind one interface.

Every layout maps latent codes to the plane (``to_plane``) and the plane back to codes
(``from_plane``), and says whether that inverse is ``exact``:

- ``latent``: the latent plane itself (latent dim 2) or two chosen dimensions; exact.
- ``pca``: the first two principal components, the other coordinates at the mean; exact.
- ``tsne``: a neighbour-preserving t-SNE layout of the encoded means (openTSNE), for any latent
  size; approximate both ways: the plane decodes through ``trainer.inverse_map``, and new codes
  (an interpolation path) are placed by the same inverse-distance blend run forwards, over their
  nearest codes in the latent space. openTSNE's own ``transform`` optimises new points against
  the layout (2.7 s for one point, 4.5 s for a 64-point path on this 2-core machine under
  load): too slow for a path that follows the slider. Chosen by measurement over UMAP (README, "The map").

A t-SNE layout computed after each epoch starts from the previous one and is rotated onto it
(orthogonal Procrustes), so the points drift while the model trains instead of jumping.
"""

from __future__ import annotations

import numpy as np

from vae_explorer.trainer.inverse_map import InverseMap
from vae_explorer.trainer.latent import Projection

PERPLEXITY = 15  # best legibility on the embedded MNIST among 10, 15, 20, 30, 50 (README)
WARM_ITERATIONS = 250  # from the previous epoch's layout: no early exaggeration, half the work
COLD_ITERATIONS = 500
EARLY_ITERATIONS, EARLY_EXAGGERATION = 250, 12.0  # openTSNE's defaults
POLL_EVERY = 25  # iterations between two looks at ``should_stop``
BARNES_HUT_BELOW = 5000  # openTSNE: Barnes-Hut is faster for small sets, FFT for large ones
LAYOUT_NAMES = ("latent", "pca", "tsne")


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

    ``should_stop()``, polled every 25 iterations, abandons the computation (``LayoutCancelled``)
    for a caller in this process; the app instead ends the child process that computes it
    (``trainer.layout_process``).
    """

    name = kind = "tsne"
    exact = False

    def __init__(self, means: np.ndarray, previous: "TSNELayout | None" = None, seed: int = 0,
                 n_jobs: int = 1, should_stop=None, fit=None):
        """``fit(means, start, seed) -> plane`` computes the raw layout (default: ``tsne_plane``
        here; the app passes one that runs it in a separate process, ``trainer.layout_process``)."""
        means = np.asarray(means, np.float64)
        self.latent_dim = means.shape[1]
        warm = previous is not None and previous.plane.shape[0] == len(means)
        fit = fit or (lambda m, start, s: tsne_plane(m, start, s, n_jobs, should_stop))
        plane = np.asarray(fit(means, previous.plane if warm else None, seed), np.float64)
        if warm:
            rotation, shift = _procrustes(plane, previous.plane)
            plane = plane @ rotation + shift
        self.plane = plane
        self.warm_started = warm
        self.inverse = InverseMap(self.plane, means)
        self.forward = InverseMap(means, self.plane)  # the same blend, latent → plane

    def to_plane(self, z: np.ndarray) -> np.ndarray:
        """Place codes among the fitted ones: a fitted code lands on its own point (microseconds)."""
        return self.forward(np.asarray(z, np.float64).reshape(-1, self.latent_dim))

    def from_plane(self, p: np.ndarray) -> np.ndarray:
        """Plane → latent through the inverse map (approximate between the data points)."""
        return self.inverse(p)


def tsne_plane(means: np.ndarray, start: np.ndarray | None, seed: int = 0, n_jobs: int = 1,
           should_stop=None) -> np.ndarray:
    """A raw t-SNE layout (N×2) of ``means``: openTSNE's schedule (early exaggeration 12 for
    250 iterations, then 500 plain ones; a warm start only the plain ones, 250), run in chunks
    so that ``should_stop`` is polled."""
    from openTSNE import TSNEEmbedding, initialization

    small = len(means) < BARNES_HUT_BELOW
    affinities = _affinities(means, small, n_jobs, seed)
    if start is None:
        start = initialization.pca(means, random_state=seed)
        phases = [(EARLY_ITERATIONS, EARLY_EXAGGERATION, 0.5), (COLD_ITERATIONS, 1.0, 0.8)]
    else:
        phases = [(WARM_ITERATIONS, 1.0, 0.8)]
    embedding = TSNEEmbedding(start, affinities, random_state=seed, n_jobs=n_jobs,
                              negative_gradient_method="bh" if small else "fft")
    for iterations, exaggeration, momentum in phases:
        for done in range(0, iterations, POLL_EVERY):
            if should_stop is not None and should_stop():
                raise LayoutCancelled("the layout was cancelled")
            embedding.optimize(min(POLL_EVERY, iterations - done), inplace=True, exaggeration=exaggeration,
                               momentum=momentum, learning_rate=_learning_rate(len(means), exaggeration))
    return np.asarray(embedding)


def _learning_rate(n: int, exaggeration: float) -> float:
    """openTSNE's N / exaggeration, but at least 200 (Belkina et al. 2019): with a few dozen
    points the embedding otherwise hardly leaves its 1e-4 starting scale."""
    return max(n / exaggeration, 200.0)


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
