"""The figures that say how much of the model a map shows, for ``eval --map`` and the benchmarks.

For each layout the map can show of a model's held-out codes: its legibility (5-NN label
accuracy in the plane), the fidelity of its inverse (0 for the exact linear layouts) and the
seconds it took; and, for scale, the same k-NN accuracy in the full latent space.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from vae_explorer.trainer.maps.inverse_map import fidelity
from vae_explorer.trainer.maps.layouts import make_layout, plane_of
from vae_explorer.trainer.maps.legibility import knn_accuracy, legibility
from vae_explorer.trainer.maps.tsne import TSNELayout

Decode = Callable[[np.ndarray], np.ndarray]  # latent codes → images


def layout_names(latent_dim: int) -> list[str]:
    """The layouts that differ for this latent size: PCA always, the plane itself in 2-D, t-SNE above."""
    return ["latent", "pca"] if latent_dim <= 2 else ["pca", "tsne"]


def layout_figures(name: str, means: np.ndarray, labels: np.ndarray | None, decode: Decode, seed: int = 0) -> dict:
    """``legibility``, ``inverse_mae`` (with ``random_pair_mae`` for scale) and ``seconds``."""
    start = time.perf_counter()
    try:
        layout = make_layout(name, means, seed=seed, n_jobs=2)
    except ValueError as exc:  # too few codes for this layout: said in the figures, not a traceback
        return {"skipped": str(exc)}
    seconds = time.perf_counter() - start
    figures = {
        "legibility": legibility(plane_of(layout, means), labels),
        "seconds": round(seconds, 3),
        "exact": bool(layout.exact),
    }
    if isinstance(layout, TSNELayout) and not layout.exact:
        return {**figures, **fidelity(decode, layout.inverse)}
    return {**figures, "inverse_mae": 0.0}


def map_figures(means: np.ndarray, labels: np.ndarray | None, decode: Decode, seed: int = 0) -> dict:
    """One entry per layout, plus ``latent_knn``: the same k-NN in the model's own space."""
    means = np.asarray(means, np.float32)
    report: dict[str, dict | float | None] = {
        name: layout_figures(name, means, labels, decode, seed) for name in layout_names(means.shape[1])
    }
    report["latent_knn"] = None if labels is None else knn_accuracy(means, labels)
    return report
