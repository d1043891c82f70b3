"""The figures that say how much of the model a map shows, for ``eval --map`` and the benchmarks.

For each layout the map can show of a set of codes: its legibility (5-NN label accuracy in the
plane), its neighbour recall (the label-free figure: the share of each code's 10 nearest latent
neighbours that stay among its 10 nearest on the map, for data without labels), the fidelity of
its inverse (0 for the exact linear layouts) and the seconds it took; and, for scale, the same
k-NN accuracy in the full latent space.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from vae_explorer.trainer.maps.inverse_map import fidelity
from vae_explorer.trainer.maps.layouts import make_layout, plane_of
from vae_explorer.trainer.maps.legibility import (
    RECALL_K,
    K,
    knn_accuracy,
    legibility,
    nearest_neighbours,
    neighbour_recall,
)
from vae_explorer.trainer.maps.tsne import TSNELayout

Decode = Callable[[np.ndarray], np.ndarray]  # latent codes → images


def layout_names(latent_dim: int) -> list[str]:
    """The layouts that differ for this latent size: PCA always, the plane itself in 2-D, t-SNE above."""
    return ["latent", "pca"] if latent_dim <= 2 else ["pca", "tsne"]


def latent_neighbours(means: np.ndarray, k: int = RECALL_K, workers: int = -1) -> np.ndarray:
    """Each code's ``k`` nearest other codes in the latent space (exact), nearest first."""
    return nearest_neighbours(np.asarray(means, np.float64), k, workers=workers)


def plane_figures(plane: np.ndarray, labels: np.ndarray | None, lists: np.ndarray | None = None) -> dict:
    """What a map shows of its codes: ``legibility`` (None without labels) and, given the codes'
    latent neighbour lists, ``recall`` (the label-free figure, ``legibility.neighbour_recall``)."""
    plane = np.asarray(plane, np.float64)
    wanted = labels is not None or lists is not None
    # one search of the plane for both figures (70,000 points: 0.26 + 0.19 s when searched twice)
    on_map = nearest_neighbours(plane, max(K, RECALL_K)) if wanted and len(plane) > 1 else None
    figures: dict = {"legibility": legibility(plane, labels, neighbours=on_map)}
    if lists is not None and len(plane) > 1:
        figures["recall"] = round(neighbour_recall(plane, lists, on_map=on_map), 4)
    return figures


def layout_figures(
    name: str, means: np.ndarray, labels: np.ndarray | None, decode: Decode, lists: np.ndarray, seed: int = 0
) -> dict:
    """``legibility``, ``recall``, ``inverse_mae`` (with ``random_pair_mae`` for scale) and ``seconds``."""
    start = time.perf_counter()
    try:
        layout = make_layout(name, means, seed=seed, n_jobs=2)
    except ValueError as exc:  # too few codes for this layout: said in the figures, not a traceback
        return {"skipped": str(exc)}
    seconds = time.perf_counter() - start
    figures = {**plane_figures(plane_of(layout, means), labels, lists), "seconds": round(seconds, 3)}
    figures["exact"] = bool(layout.exact)
    if isinstance(layout, TSNELayout) and not layout.exact:
        return {**figures, **fidelity(decode, layout.inverse)}
    return {**figures, "inverse_mae": 0.0}


def map_figures(means: np.ndarray, labels: np.ndarray | None, decode: Decode, seed: int = 0) -> dict:
    """One entry per layout, plus ``latent_knn`` (the same k-NN in the model's own space) and the
    ``recall_k`` of the label-free figure; the latent neighbours are found once, on every core."""
    means = np.asarray(means, np.float32)
    lists = latent_neighbours(means)
    report: dict[str, dict | float | int | None] = {
        name: layout_figures(name, means, labels, decode, lists, seed) for name in layout_names(means.shape[1])
    }
    report["latent_knn"] = None if labels is None else knn_accuracy(means, labels, neighbours=lists)
    report["recall_k"] = RECALL_K
    return report
