"""The README's claims about the t-SNE map, each checked where it is decided: the perplexity, the
gradient method by size, the warm schedule, the Procrustes rotation, the child's one thread and
the newest request winning."""

from __future__ import annotations

import os

import numpy as np
import pytest

from vae_explorer.trainer.maps import tsne


@pytest.fixture
def spied(monkeypatch):
    """What ``tsne_plane`` asks openTSNE for: perplexities, gradient methods, optimise calls."""
    import openTSNE

    seen: dict = {"perplexity": [], "method": [], "optimize": []}
    affinity_class, embedding_class = openTSNE.affinity.PerplexityBasedNN, openTSNE.TSNEEmbedding

    def affinity(*args, **kwargs):
        seen["perplexity"].append(kwargs["perplexity"])
        return affinity_class(*args, **kwargs)

    def embedding(*args, **kwargs):
        seen["method"].append(kwargs["negative_gradient_method"])
        e = embedding_class(*args, **kwargs)
        original = e.optimize

        def optimize(n_iter, **options):
            seen["optimize"].append((n_iter, options.get("exaggeration", 1.0)))
            return original(n_iter, **options)

        e.optimize = optimize
        return e

    monkeypatch.setattr(openTSNE.affinity, "PerplexityBasedNN", affinity)
    monkeypatch.setattr(openTSNE, "TSNEEmbedding", embedding)
    return seen


def clusters(n: int, dim: int = 6, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, dim)) + 6 * rng.integers(0, 4, size=(n, 1))


def iterations(calls, exaggerated: bool) -> int:
    return sum(n for n, e in calls if (e > 1) == exaggerated)


def test_perplexity_15_barnes_hut_below_5000_points_and_early_exaggeration_only_when_cold(spied):
    codes = clusters(400)
    cold = tsne.tsne_plane(codes, None)
    assert spied["perplexity"] == [15] and spied["method"] == ["bh"]
    assert iterations(spied["optimize"], True) == 250 and {e for _, e in spied["optimize"] if e > 1} == {12.0}
    spied["optimize"].clear()
    tsne.tsne_plane(codes, cold.plane)
    assert iterations(spied["optimize"], True) == 0 and iterations(spied["optimize"], False) == tsne.SMALL_WARM


def test_from_5000_points_fft_gradients_over_annoy_neighbours_and_a_short_warm_update(spied, monkeypatch):
    monkeypatch.setattr(tsne, "BARNES_HUT_BELOW", 300)  # the rule, on a size a test affords
    codes = clusters(600)
    cold = tsne.tsne_plane(codes, None)
    assert spied["method"] == ["fft"] and cold.neighbours is not None and cold.neighbours.shape == (600, 45)
    spied["optimize"].clear()
    tsne.tsne_plane(codes, cold.plane, neighbours=cold.neighbours)
    assert iterations(spied["optimize"], False) == tsne.LARGE_WARM < tsne.SMALL_WARM
    assert tsne.BARNES_HUT_BELOW == 300 and tsne.PERPLEXITY == 15


def test_each_epoch_s_layout_is_rotated_onto_the_last(monkeypatch):
    """A fit that returns the previous layout turned by 90° and moved: the layout shown is the
    previous one (Procrustes undoes what t-SNE cannot tell apart)."""
    codes = clusters(200)
    first = tsne.TSNELayout(codes, fit=lambda m, s, seed, nb: tsne.TSNEResult(clusters(200, 2, 1), None))
    turned = first.plane[:, ::-1] * np.array([1.0, -1.0]) + 5.0

    second = tsne.TSNELayout(codes, previous=first, fit=lambda m, s, seed, nb: tsne.TSNEResult(turned, None))
    assert second.warm_started
    np.testing.assert_allclose(second.plane, first.plane, atol=1e-6)


def test_the_child_computes_with_one_thread(monkeypatch):
    """The app's layout child is started with one thread for every numerical library."""
    from vae_explorer.explorer.map import layout_service
    from vae_explorer.trainer.maps import layout_process

    assert layout_service.TSNE_THREADS == 1
    started = {}

    class Recorder:
        def __init__(self, *args, **kwargs):
            self.kwargs = kwargs

        def start(self):
            started.update({name: os.environ.get(name) for name in layout_process.THREAD_VARIABLES})
            started["n_jobs"] = self.kwargs["args"][1]

        def is_alive(self):
            return False

    class Context:
        Process = Recorder

        def Pipe(self):  # noqa: N802 (multiprocessing's name)
            return os.pipe(), _Closable()

    monkeypatch.setattr(layout_process.multiprocessing, "get_context", lambda kind: Context())
    layout_process.LayoutProcess(layout_service.TSNE_THREADS)._start_child()
    assert started == {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "n_jobs": 1}


class _Closable:
    def close(self):
        pass


def test_the_window_polls_the_child_every_50_ms_and_the_newest_request_wins(qapp, qtbot):
    """Three requests while the first is computed: the second is replaced by the third, which is
    laid out next; the second never is."""
    from PySide6.QtCore import QObject

    from vae_explorer.explorer.map.layout_service import LayoutService
    from vae_explorer.trainer.model.space import LatentCodes

    owner = QObject()  # kept: it owns the service
    service = LayoutService(owner)
    assert service._timer.interval() == 50
    asked = [LatentCodes(clusters(120, seed=i).astype(np.float32), None, None) for i in range(3)]
    done = []
    service.ready.connect(lambda codes, layout: done.append(codes))
    try:
        for codes in asked:
            service.request(codes)
        qtbot.waitUntil(lambda: len(done) == 2 and not service.computing, timeout=60_000)
    finally:
        service.close()
    assert done == [asked[0], asked[2]]


def test_a_large_map_s_affinities_are_openTSNE_s_within_the_looser_bandwidth_tolerance():
    """``perplexity_affinities`` searches each bandwidth to 1e-4 instead of 1e-8 (half the time
    of every warm update): the same symmetric P summing to 1, each entry within 1e-3 of its size."""
    from openTSNE import affinity, nearest_neighbors

    codes = clusters(600)
    lists = np.argsort(np.linalg.norm(codes[:, None] - codes[None], axis=2), axis=1)[:, 1:46]
    distances = tsne.neighbour_distances(codes, lists)
    ours = tsne.perplexity_affinities(lists, distances, 15).P
    index = nearest_neighbors.PrecomputedNeighbors(lists, distances)
    theirs = affinity.PerplexityBasedNN(perplexity=15, knn_index=index, n_jobs=1).P
    assert abs(ours - ours.T).max() == 0 and np.isclose(ours.sum(), 1.0)
    assert ours.nnz == theirs.nnz and abs(ours - theirs).max() <= 1e-3 * theirs.max()
