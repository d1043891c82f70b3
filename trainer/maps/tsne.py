"""t-SNE layouts of the encoded means (openTSNE), for any latent size and up to 100,000 points.

Settings chosen by measurement (tests/benchmarks/README.md, "The map at scale"): perplexity 15;
below 5,000 points exact neighbours and Barnes-Hut gradients with openTSNE's schedule (250
iterations of early exaggeration 12, then 500); from 5,000 points Annoy neighbours (20 trees)
and FFT gradients with 250 + 250 iterations on a coarser interpolation grid, which lays out
70,000 codes in about 40 s on one core within a point of the full schedule's legibility.

A layout computed after each epoch starts from the previous one and is rotated onto it
(orthogonal Procrustes), so the points drift while the model trains instead of jumping. A warm
update of a large map keeps the previous layout's neighbour lists (their distances recomputed
from the new codes) and runs 25 iterations: seconds, where finding the neighbours again would
take most of an epoch. Beside a training, the first layout of a large map is a sample's, the
other codes placed among it (``sampled_plane``): the whole t-SNE would take one of the two cores
for several epochs. The warm updates refine it; the training's end lays the map out in full.
The plane decodes through ``maps.inverse_map``; new codes (a path, a marker) are placed by the
same inverse-distance blend run forwards. openTSNE's own ``transform`` took seconds per point
here: too slow for a path that follows a slider.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from vae_explorer.trainer.maps.epoch_codes import procrustes
from vae_explorer.trainer.maps.inverse_map import PLACING_BUDGET, InverseMap

PERPLEXITY = 15  # best legibility on the embedded MNIST among 10, 15, 20, 30, 50 (tests/benchmarks/README.md)
BARNES_HUT_BELOW = 5000  # exact neighbours and Barnes-Hut below; Annoy and FFT from here
EARLY_ITERATIONS, EARLY_EXAGGERATION = 250, 12.0  # openTSNE's defaults
SMALL_COLD, SMALL_WARM = 500, 250  # plain iterations after the early ones / from the previous layout
LARGE_COLD, LARGE_WARM = 250, 25  # warm 25: 1.6 s at 70,000 codes, legibility as with 50 (3.3 s)
LARGE_GRID = {"cold": 2, "warm": 3}  # FFT: grid intervals per embedding unit (openTSNE: 1)
ANNOY_TREES = 20  # 12 s for 70,000 codes at 95% recall (openTSNE's 50: 29 s, 99.5%)
WARM_TREES = 5  # a warm update's lists when it has none (after a sampled first layout): 2.1 s at 70,000 (20: 6.9)
FIRST_SAMPLE, PLACE_K = 5000, 3  # a sampled first layout: its sample, and the sampled neighbours placing a code
POLL_EVERY = 25  # iterations between two looks at ``should_stop``
PERPLEXITY_TOL = 1e-4  # each point's bandwidth search (openTSNE: 1e-8, 0.70 s at 70,000; 1e-5: 0.44 s)
# fit(means, start or None, seed, neighbours or None) -> TSNEResult
Fit = Callable[[np.ndarray, "np.ndarray | None", int, "np.ndarray | None"], "TSNEResult"]


class LayoutCancelled(Exception):
    """``should_stop`` said so: the layout was abandoned between two optimisation steps."""


@dataclass
class TSNEResult:
    plane: np.ndarray  # N×2
    neighbours: np.ndarray | None  # N×k indices of the neighbour lists used (large maps), for the next warm update
    figures: dict | None = None  # legibility and neighbour recall, when the child computed them
    sampled: int = 0  # the sample's size when the other codes were placed among it (``sampled_plane``)


class TSNELayout:
    """A t-SNE layout of ``means``, warm-started from ``previous`` (same points) when given.

    ``should_stop()``, polled every 25 iterations, abandons the computation (``LayoutCancelled``)
    for a caller in this process; the app instead ends the child process that computes it
    (``trainer.maps.layout_process``). ``refresh`` finds the neighbours again even on a warm start
    (all of ``ANNOY_TREES``).
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
        refresh: bool = False,
    ) -> None:
        """``fit(means, start, seed, neighbours)`` computes the raw layout (default: ``tsne_plane``
        here; the app passes one that runs it in a separate process, ``trainer.maps.layout_process``)."""
        means = np.asarray(means, np.float64)
        self.latent_dim, self.means = means.shape[1], means
        same = previous is not None and previous.plane.shape[0] == len(means)
        start = previous.plane if same and previous is not None else None
        reuse = None if refresh or not same or previous is None else previous.neighbours
        fit = fit or (lambda m, s, sd, nb: tsne_plane(m, s, sd, n_jobs, should_stop, nb, refresh=refresh))
        result = fit(means, start, seed, reuse)
        plane = np.asarray(result.plane, np.float64)
        self.plane: np.ndarray = procrustes(plane, start) if start is not None else plane
        self.neighbours: np.ndarray | None = result.neighbours
        self.warm_started = start is not None
        self.sampled = result.sampled  # the sample's size, or 0
        self.figures: dict = {}  # legibility and neighbour recall, when someone computed them
        self.inverse = InverseMap(self.plane, means)
        self._forward: InverseMap | None = None  # built when a code is first placed (a k-d tree of the codes)

    @property
    def forward(self) -> InverseMap:
        """The same blend, latent → plane (built on first use: 70,000 codes take a second)."""
        if self._forward is None:
            self._forward = InverseMap(self.means, self.plane)
        return self._forward

    def places_cheaply(self, n: int) -> bool:
        """Whether ``to_plane`` of ``n`` new codes is cheap enough for a GUI thread: its cost
        grows with ``n`` times the fitted codes (``inverse_map.PLACING_BUDGET``)."""
        return n * len(self.means) <= PLACING_BUDGET

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
    neighbours: np.ndarray | None = None,
    refresh: bool = False,
    quick: bool = False,
) -> TSNEResult:
    """A raw t-SNE layout (N×2) of ``means``, run in chunks so that ``should_stop`` is polled.
    On a warm start, ``neighbours`` (a large map's previous lists) are reused instead of searched;
    without them a quick search (``WARM_TREES``), or the full one when asked to ``refresh``.
    ``quick``: half the cold iterations (a sample's layout, refined by the warm updates after it)."""
    from openTSNE import TSNEEmbedding, initialization

    small, warm = len(means) < BARNES_HUT_BELOW, start is not None
    reuse = neighbours if warm and not refresh else None
    trees = WARM_TREES if warm and not refresh else ANNOY_TREES
    affinities, lists = _affinities(means, small, n_jobs, seed, reuse, trees)
    start = initialization.pca(means, random_state=seed) if start is None else start
    method = "bh" if small else "fft"
    embedding = TSNEEmbedding(start, affinities, random_state=seed, n_jobs=n_jobs, negative_gradient_method=method)
    for iterations, exaggeration, momentum in _phases(small, warm, 2 if quick else 1):
        grid = {} if small else {"ints_in_interval": LARGE_GRID["warm" if warm else "cold"]}
        _optimise(embedding, iterations, should_stop, exaggeration=exaggeration, momentum=momentum,
                  learning_rate=_learning_rate(len(means), exaggeration), **grid)  # fmt: skip
    return TSNEResult(np.asarray(embedding), None if small else lists)


def _phases(small: bool, warm: bool, shorter: int = 1) -> tuple[tuple[int, float, float], ...]:
    """(iterations, exaggeration, momentum) of each phase: openTSNE's cold schedule (early
    exaggeration, then plain; each ``shorter`` times fewer) or a warm update's plain iterations."""
    if not warm:
        plain = SMALL_COLD if small else LARGE_COLD
        return (EARLY_ITERATIONS // shorter, EARLY_EXAGGERATION, 0.5), (plain // shorter, 1.0, 0.8)
    return ((SMALL_WARM if small else LARGE_WARM, 1.0, 0.8),)


def sampled_plane(means: np.ndarray, seed: int = 0, n_jobs: int = 1) -> TSNEResult:
    """A first layout of a large map in seconds: t-SNE of ``FIRST_SAMPLE`` codes, each other code
    at the median place of its ``PLACE_K`` nearest sampled codes (Kobak & Berens's start for large
    data), the sample laid out with half the cold iterations (3.3 s instead of 6.0, legibility
    0.860 against 0.859 once placed). 70,000 codes: 3-4 s of one core instead of 28-46
    (legibility 0.86 against 0.94; warm updates from it reach 0.91-0.92, not the whole layout's
    0.94: the placed codes start piled on their sampled neighbours). No neighbour lists: the next
    warm update searches them (``WARM_TREES``)."""
    from openTSNE import nearest_neighbors

    means = np.asarray(means, np.float64)
    if len(means) <= FIRST_SAMPLE * 2:  # a sample of most of them saves nothing
        return tsne_plane(means, None, seed, n_jobs)
    sample = np.sort(np.random.default_rng(seed).choice(len(means), FIRST_SAMPLE, replace=False))
    placed = tsne_plane(means[sample], None, seed, n_jobs, quick=True).plane
    index = nearest_neighbors.Annoy(means[sample], PLACE_K, n_jobs=n_jobs, random_state=seed,
                                    knn_kwargs={"n_trees": WARM_TREES * 2})  # fmt: skip
    index.build()
    wider = min(PLACE_K * 5, len(sample))  # Annoy's recall when asked for 3 alone: 77% in the test
    nearest = index.query(means, wider)[0][:, :PLACE_K]
    plane = np.median(placed[nearest], axis=1)
    plane[sample] = placed
    return TSNEResult(plane, None, sampled=len(sample))


def _optimise(embedding: Any, iterations: int, should_stop: Callable[[], bool] | None, **options: Any) -> None:
    for done in range(0, iterations, POLL_EVERY):
        if should_stop is not None and should_stop():
            raise LayoutCancelled("the layout was cancelled")
        embedding.optimize(min(POLL_EVERY, iterations - done), inplace=True, **options)


def _learning_rate(n: int, exaggeration: float) -> float:
    """openTSNE's N / exaggeration, but at least 200 (Belkina et al. 2019): with a few dozen
    points the embedding otherwise hardly leaves its 1e-4 starting scale."""
    return max(n / exaggeration, 200.0)


def _affinities(
    means: np.ndarray, small: bool, n_jobs: int, seed: int, reuse: np.ndarray | None, trees: int = ANNOY_TREES
) -> tuple[Any, np.ndarray | None]:
    """Perplexity-based affinities and the neighbour lists they came from: exact (scikit-learn)
    for small sets, Annoy (bundled with openTSNE) for large ones, or ``reuse``'s lists with their
    distances measured again. Never openTSNE's "auto", which imports pynndescent when it happens
    to be installed, and numba's first import on a worker thread aborts the process."""
    from openTSNE import affinity, nearest_neighbors

    perplexity = min(PERPLEXITY, max(2, (len(means) - 1) // 3))
    k = min(len(means) - 1, 3 * perplexity)
    if small:
        index: Any = nearest_neighbors.Sklearn(means, k, n_jobs=n_jobs, random_state=seed)
        return affinity.PerplexityBasedNN(perplexity=perplexity, knn_index=index, n_jobs=n_jobs), None
    if reuse is not None and reuse.shape == (len(means), k):
        lists = reuse
    else:
        knn = {"n_trees": trees}
        lists, _ = nearest_neighbors.Annoy(means, k, n_jobs=n_jobs, random_state=seed, knn_kwargs=knn).build()
    distances = neighbour_distances(means, lists)
    order = np.argsort(distances, axis=1, kind="stable")  # nearest first, as a search returns them
    lists, distances = np.take_along_axis(lists, order, 1), np.take_along_axis(distances, order, 1)
    return perplexity_affinities(lists, distances, perplexity, n_jobs), lists.astype(np.int32)


def perplexity_affinities(lists: np.ndarray, distances: np.ndarray, perplexity: float, n_jobs: int = 1) -> Any:
    """openTSNE's perplexity-based affinities of these neighbour lists (its
    ``joint_probabilities_nn``: each point's Gaussian over its list, symmetrised, summing to 1),
    with each bandwidth searched to ``PERPLEXITY_TOL``: each entry of P within 1e-3 of the
    largest (the test) in about half the time, at every epoch's warm update beside the training."""
    import scipy.sparse as sp
    from openTSNE import _tsne, affinity

    n, k = lists.shape
    perplexities = np.array([float(perplexity)])
    conditional = _tsne.compute_gaussian_perplexity(
        np.asarray(distances, np.float64), perplexities, perplexity_tol=PERPLEXITY_TOL, num_threads=n_jobs
    )
    p = sp.csr_matrix((np.asarray(conditional).ravel(), lists.ravel(), np.arange(0, n * k + 1, k)), shape=(n, n))
    return affinity.PrecomputedAffinities((p + p.T) / 2, normalize=True)


def neighbour_distances(means: np.ndarray, lists: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """Euclidean distance from each code to each code of its list, in chunks that stay in the
    cache (``np.take`` and an in-place difference: 0.16 s at 70,000 × 45, fancy indexing 0.6 s)."""
    out = np.empty(lists.shape, np.float64)
    for i in range(0, len(lists), chunk):
        diff = np.take(means, lists[i : i + chunk], axis=0)
        diff -= means[i : i + chunk, None, :]
        np.sqrt(np.einsum("nkd,nkd->nk", diff, diff), out=out[i : i + chunk])
    return out


def median_drift(before: np.ndarray, after: np.ndarray) -> float:
    """Median displacement of the same points between two layouts, as a fraction of the map's extent."""
    extent = float(np.max(np.ptp(np.vstack([before, after]), axis=0)))
    return float(np.median(np.linalg.norm(after - before, axis=1)) / max(extent, 1e-12))
