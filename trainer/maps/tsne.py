"""t-SNE layouts of the encoded means (openTSNE), for any latent size; approximate both ways.

The plane decodes through ``maps.inverse_map``, and new codes (an interpolation path) are placed by
the same inverse-distance blend run forwards, over their nearest codes in the latent space.
openTSNE's own ``transform`` optimises new points against the layout (2.7 s for one point, 4.5 s
for a 64-point path on this 2-core machine under load): too slow for a path that follows the
slider. A layout computed after each epoch starts from the previous one and is rotated onto it
(orthogonal Procrustes), so the points drift while the model trains instead of jumping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from vae_explorer.trainer.maps.epoch_codes import procrustes
from vae_explorer.trainer.maps.inverse_map import InverseMap

PERPLEXITY = 15  # best legibility on the embedded MNIST among 10, 15, 20, 30, 50 (tests/benchmarks/README.md)
WARM_ITERATIONS = 250  # from the previous epoch's layout: no early exaggeration, half the work
COLD_ITERATIONS = 500
EARLY_ITERATIONS, EARLY_EXAGGERATION = 250, 12.0  # openTSNE's defaults
POLL_EVERY = 25  # iterations between two looks at ``should_stop``
BARNES_HUT_BELOW = 5000  # openTSNE: Barnes-Hut is faster for small sets, FFT for large ones
# fit(means, start or None, seed) -> the raw N×2 layout
Fit = Callable[[np.ndarray, np.ndarray | None, int], np.ndarray]


class LayoutCancelled(Exception):
    """``should_stop`` said so: the layout was abandoned between two optimisation steps."""


class TSNELayout:
    """A t-SNE layout of ``means``, warm-started from ``previous`` (same points) when given.

    ``should_stop()``, polled every 25 iterations, abandons the computation (``LayoutCancelled``)
    for a caller in this process; the app instead ends the child process that computes it
    (``trainer.maps.layout_process``).
    """

    name = kind = "tsne"
    exact = False

    def __init__(
        self,
        means: np.ndarray,
        previous: TSNELayout | None = None,
        seed: int = 0,
        n_jobs: int = 1,
        should_stop: Callable[[], bool] | None = None,
        fit: Fit | None = None,
    ) -> None:
        """``fit(means, start, seed) -> plane`` computes the raw layout (default: ``tsne_plane``
        here; the app passes one that runs it in a separate process, ``trainer.maps.layout_process``)."""
        means = np.asarray(means, np.float64)
        self.latent_dim = means.shape[1]
        start = previous.plane if previous is not None and previous.plane.shape[0] == len(means) else None
        fit = fit or (lambda m, start, s: tsne_plane(m, start, s, n_jobs, should_stop))
        plane = np.asarray(fit(means, start, seed), np.float64)
        self.plane: np.ndarray = procrustes(plane, start) if start is not None else plane
        self.warm_started = start is not None
        self.inverse = InverseMap(self.plane, means)
        self.forward = InverseMap(means, self.plane)  # the same blend, latent → plane

    def to_plane(self, z: np.ndarray) -> np.ndarray:
        """Place codes among the fitted ones: a fitted code lands on its own point (microseconds)."""
        return self.forward(np.asarray(z, np.float64).reshape(-1, self.latent_dim))

    def from_plane(self, p: np.ndarray) -> np.ndarray:
        """Plane → latent through the inverse map (approximate between the data points)."""
        return self.inverse(p)


def tsne_plane(
    means: np.ndarray,
    start: np.ndarray | None,
    seed: int = 0,
    n_jobs: int = 1,
    should_stop: Callable[[], bool] | None = None,
) -> np.ndarray:
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
    embedding = TSNEEmbedding(
        start, affinities, random_state=seed, n_jobs=n_jobs, negative_gradient_method="bh" if small else "fft"
    )
    for iterations, exaggeration, momentum in phases:
        for done in range(0, iterations, POLL_EVERY):
            if should_stop is not None and should_stop():
                raise LayoutCancelled("the layout was cancelled")
            embedding.optimize(
                min(POLL_EVERY, iterations - done),
                inplace=True,
                exaggeration=exaggeration,
                momentum=momentum,
                learning_rate=_learning_rate(len(means), exaggeration),
            )
    return np.asarray(embedding)


def _learning_rate(n: int, exaggeration: float) -> float:
    """openTSNE's N / exaggeration, but at least 200 (Belkina et al. 2019): with a few dozen
    points the embedding otherwise hardly leaves its 1e-4 starting scale."""
    return max(n / exaggeration, 200.0)


def _affinities(means: np.ndarray, small: bool, n_jobs: int, seed: int) -> Any:
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


def median_drift(before: np.ndarray, after: np.ndarray) -> float:
    """Median displacement of the same points between two layouts, as a fraction of the map's extent."""
    extent = float(np.max(np.ptp(np.vstack([before, after]), axis=0)))
    return float(np.median(np.linalg.norm(after - before, axis=1)) / max(extent, 1e-12))
