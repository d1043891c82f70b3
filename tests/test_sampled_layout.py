"""Beside a training, a large map's first layout is a sample's with the other codes placed among
it, refined by the epochs' warm updates and laid out in full at the training's end
(``maps.tsne``, ``explorer.map.layout_service``): the whole t-SNE of 70,000 codes held one of the
two cores for several epochs (tests/benchmarks/README.md, "The map at scale")."""

from __future__ import annotations

import numpy as np
import pytest

from vae_explorer.trainer.maps import tsne
from vae_explorer.trainer.maps.legibility import legibility


def clusters(n: int, dim: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, size=n)
    return rng.normal(size=(n, dim)) + 6 * labels[:, None], labels


def test_a_sampled_layout_lays_out_the_sample_and_puts_each_other_code_among_its_sampled_neighbours(monkeypatch):
    monkeypatch.setattr(tsne, "FIRST_SAMPLE", 300)
    codes, labels = clusters(2000)
    sizes: list[tuple] = []
    full = tsne.tsne_plane
    spy = lambda means, *a, **k: sizes.append((len(means), k["quick"])) or full(means, *a, **k)  # noqa: E731
    monkeypatch.setattr(tsne, "tsne_plane", spy)
    result = tsne.sampled_plane(codes, seed=3)
    assert sizes == [(300, True)] and result.sampled == 300  # the sample, laid out quickly
    assert result.neighbours is None and result.plane.shape == (2000, 2)
    sample = np.sort(np.random.default_rng(3).choice(2000, 300, replace=False))
    rest = np.setdiff1d(np.arange(2000), sample)
    distances = np.linalg.norm(codes[rest, None, :] - codes[None, sample, :], axis=2)
    nearest = np.argsort(distances, axis=1)[:, : tsne.PLACE_K]
    expected = np.median(result.plane[sample][nearest], axis=1)
    placed_as_expected = np.all(np.isclose(result.plane[rest], expected), axis=1)
    assert placed_as_expected.mean() > 0.97  # Annoy's search is approximate
    assert legibility(result.plane, labels) > 0.97


@pytest.fixture
def annoy_trees(monkeypatch):
    """The number of trees of each Annoy search ``tsne_plane`` makes."""
    from openTSNE import nearest_neighbors

    trees: list[int] = []
    annoy = nearest_neighbors.Annoy

    def spy(*args, **kwargs):
        trees.append(kwargs["knn_kwargs"]["n_trees"])
        return annoy(*args, **kwargs)

    monkeypatch.setattr(nearest_neighbors, "Annoy", spy)
    return trees


def test_warm_without_lists_searches_few_trees_a_refresh_all_and_a_quick_layout_runs_half(annoy_trees, monkeypatch):
    import openTSNE

    monkeypatch.setattr(tsne, "BARNES_HUT_BELOW", 300)  # the large-map rules on a size a test affords
    codes, _ = clusters(600)
    cold = tsne.tsne_plane(codes, None)
    assert annoy_trees == [tsne.ANNOY_TREES]
    tsne.tsne_plane(codes, cold.plane, neighbours=cold.neighbours)  # reuses them: no search
    tsne.tsne_plane(codes, cold.plane)  # none kept (after a sampled layout): a quick search
    assert annoy_trees == [tsne.ANNOY_TREES, tsne.WARM_TREES] and tsne.WARM_TREES < tsne.ANNOY_TREES
    calls: list = []
    optimize = openTSNE.TSNEEmbedding.optimize
    spy = lambda self, n, **o: calls.append((n, o["exaggeration"])) or optimize(self, n, **o)  # noqa: E731
    monkeypatch.setattr(openTSNE.TSNEEmbedding, "optimize", spy)
    tsne.tsne_plane(codes, cold.plane, neighbours=cold.neighbours, refresh=True)
    assert annoy_trees[2:] == [tsne.ANNOY_TREES]  # searched again, fully
    assert sum(n for n, _ in calls) == tsne.LARGE_WARM and {e for _, e in calls} == {1.0}
    calls.clear()
    tsne.tsne_plane(codes, None, quick=True)  # a sample's layout: half the cold iterations
    early = sum(n for n, e in calls if e > 1)
    assert (early, sum(n for n, _ in calls) - early) == (tsne.EARLY_ITERATIONS // 2, tsne.LARGE_COLD // 2)


class InProcess:
    """The layout child's work done in this process (a test's sample size applies), recording
    each request: (schedule, warm start or not, neighbours asked for)."""

    pid, died_with = None, None
    asked: list = []

    def __init__(self, n_jobs: int = 1):
        self._answer = None
        self._kept = None

    def prepare(self) -> None:
        pass

    def submit(self, means, start, seed=0, neighbours=None, labels=None, schedule="") -> None:
        from vae_explorer.trainer.maps.layout_process import laid_out

        InProcess.asked.append((schedule, start is not None, neighbours))
        lists = self._kept if isinstance(neighbours, str) else neighbours
        self._answer = laid_out(np.asarray(means, np.float64), start, seed, 1, lists, labels, schedule)
        self._kept = self._answer.neighbours

    def poll(self) -> str:
        return "idle" if self._answer is None else "ready"

    def result(self):
        answer, self._answer = self._answer, None
        return answer

    def cancel(self) -> None:
        self._answer = None

    close = cancel


def test_a_sampled_map_is_refined_by_the_epochs_and_laid_out_in_full_at_the_training_s_end(qapp, qtbot, monkeypatch):
    from PySide6.QtCore import QObject

    from vae_explorer.explorer.map import layout_service
    from vae_explorer.trainer.maps import layout_process
    from vae_explorer.trainer.maps.layout_process import KEPT, SAMPLED
    from vae_explorer.trainer.model.space import LatentCodes

    monkeypatch.setattr(tsne, "FIRST_SAMPLE", 40)
    monkeypatch.setattr(layout_service, "SAMPLED_FROM", 200)
    monkeypatch.setattr(layout_process, "LayoutProcess", InProcess)
    monkeypatch.setattr(InProcess, "asked", [])
    owner = QObject()
    service = layout_service.LayoutService(owner)
    service.training = lambda: True
    done: list = []
    service.ready.connect(lambda codes, layout: done.append(layout))
    epochs = [LatentCodes((clusters(300, seed=0)[0] + 0.05 * e).astype(np.float32), None, None) for e in range(3)]

    def lay_out(codes, again: bool = False) -> None:
        count = len(done)
        service.request(codes, again)
        qtbot.waitUntil(lambda: len(done) == count + 1 and not service.computing, timeout=30_000)

    try:
        for codes in epochs:
            lay_out(codes)
        service.training = lambda: False
        service.refresh_next()  # the training ended (``MapController.final_layout``)
        lay_out(epochs[-1], again=True)
    finally:
        service.close()
    assert InProcess.asked == [(SAMPLED, False, None), ("", True, KEPT), ("", True, KEPT), ("", False, None)]
    assert [layout.sampled for layout in done] == [40, 40, 40, 0]  # the line says so until the end
    from vae_explorer.trainer.maps.epoch_codes import procrustes

    rotated = procrustes(done[3].plane, done[2].plane)  # already rotated onto the last one shown
    np.testing.assert_allclose(rotated, done[3].plane, atol=1e-6 * np.ptp(done[3].plane))


def test_through_the_child_a_large_first_layout_beside_a_training_is_sampled_and_a_refresh_searches_again(
    qapp, qtbot, monkeypatch
):
    """Through the real child: the schedules the service asks for, and the layouts arriving."""
    from PySide6.QtCore import QObject

    from vae_explorer.explorer.map import layout_service
    from vae_explorer.trainer.maps.layout_process import REFRESH, SAMPLED, LayoutProcess
    from vae_explorer.trainer.model.space import LatentCodes

    monkeypatch.setattr(layout_service, "SAMPLED_FROM", 200)
    asked: list[str] = []
    submit = LayoutProcess.submit
    monkeypatch.setattr(
        LayoutProcess, "submit", lambda self, *a, **k: asked.append(k["schedule"]) or submit(self, *a, **k)
    )
    owner = QObject()
    service = layout_service.LayoutService(owner)
    done: list = []
    service.ready.connect(lambda codes, layout: done.append(layout))
    small, large = (LatentCodes(clusters(n)[0].astype(np.float32), None, None) for n in (150, 240))
    try:
        service.training = lambda: True
        for codes in (small, large):
            service.forget()
            service.request(codes)
            qtbot.waitUntil(lambda: len(done) == len(asked) and not service.computing, timeout=60_000)
        service.training = lambda: False
        service.refresh_next()
        service.request(large, again=True)
        qtbot.waitUntil(lambda: len(done) == 3 and not service.computing, timeout=60_000)
        service.forget()
        service.request(large)  # no training: the whole layout at once
        qtbot.waitUntil(lambda: len(done) == 4 and not service.computing, timeout=60_000)
    finally:
        service.close()
    assert asked == ["", SAMPLED, REFRESH, ""]  # the real sampled layout of 240 codes is a whole one
    assert [layout.plane.shape for layout in done] == [(150, 2), (240, 2), (240, 2), (240, 2)]
