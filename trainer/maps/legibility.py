"""How much of what the model learned a map shows: figures computed from coordinates alone.

**Legibility** is the leave-one-out k-nearest-neighbour label accuracy of the held-out points
in the coordinates a map displays (k = 5): if a digit's five nearest dots on the map are
mostly of its own class, the map keeps the classes apart. The same function on the full
latent means gives the figure the map is measured against. Anyone can check it from
``vae-explorer export --what layout`` (x, y, label per held-out image).
"""

from __future__ import annotations

import numpy as np

K = 5
RECALL_K = 10  # the label-free figure: how many of each point's 10 latent neighbours stay its neighbours


def nearest_neighbours(points: np.ndarray, k: int, queries: np.ndarray | None = None, workers: int = 1) -> np.ndarray:
    """Indices of the ``k`` nearest ``points`` of each query (Euclidean), nearest first.

    With ``queries`` None the queries are the points themselves, each excluding itself
    (leave-one-out). A k-d tree (SciPy): 70,000 points take a fraction of a second in 2-D and
    some 40 s of one core in 16-D (``workers=-1``: every core).
    """
    from scipy.spatial import cKDTree

    points = np.asarray(points, np.float64)
    loo = queries is None
    k = min(k, len(points) - (1 if loo else 0))
    _, index = cKDTree(points).query(points if loo else np.asarray(queries, np.float64), k=k + loo, workers=workers)
    index = np.asarray(index).reshape(-1, k + loo)
    if not loo:
        return index
    # Drop each point itself; with exact duplicates the tree may list a twin first.
    is_self = index == np.arange(len(points))[:, None]
    is_self[~is_self.any(axis=1), -1] = True
    return index[~is_self].reshape(len(points), k)


def knn_accuracy(
    points: np.ndarray, labels: np.ndarray, k: int = K, workers: int = 1, neighbours: np.ndarray | None = None
) -> float:
    """Leave-one-out k-NN label accuracy (0–1); a tied vote goes to the nearest tied label.
    ``neighbours``: each point's nearest others, nearest first, when already found."""
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(points):
        raise ValueError(f"{len(points)} points but {len(labels)} labels")
    if len(labels) < 2:
        return float("nan")
    lists = nearest_neighbours(points, k, workers=workers) if neighbours is None else neighbours[:, :k]
    return float(np.mean(_votes(labels[lists]) == labels))


def neighbour_recall(
    plane: np.ndarray, latent_lists: np.ndarray, k: int = RECALL_K, on_map: np.ndarray | None = None
) -> float:
    """The label-free figure: the mean share of each point's ``k`` nearest latent neighbours
    (``latent_lists``, nearest first) that are among its ``k`` nearest on the map (0–1; a map
    that keeps every neighbourhood scores 1, a random one about k/N). ``on_map``: the plane's
    own neighbour lists, nearest first, when already found."""
    k = min(k, latent_lists.shape[1], len(plane) - 1)
    if k < 1:
        return float("nan")
    on_map = nearest_neighbours(plane, k) if on_map is None else on_map[:, :k]
    latent = latent_lists[:, :k]
    hits = (on_map[:, :, None] == latent[:, None, :]).any(axis=2).sum(axis=1)
    return float(np.mean(hits / k))


def _votes(neighbour_labels: np.ndarray) -> np.ndarray:
    """The majority label of each row; ties broken by the earliest (nearest) tied label."""
    n, k = neighbour_labels.shape
    counts = (neighbour_labels[:, :, None] == neighbour_labels[:, None, :]).sum(axis=2)
    best = counts.max(axis=1, keepdims=True)
    first = np.argmax(counts == best, axis=1)  # the nearest neighbour whose label has the top count
    return neighbour_labels[np.arange(n), first]


def legibility(
    plane: np.ndarray, labels: np.ndarray | None, k: int = K, neighbours: np.ndarray | None = None
) -> float | None:
    """The legibility of a 2-D map (None for unlabelled data)."""
    if labels is None:
        return None
    return knn_accuracy(np.asarray(plane, np.float64).reshape(len(labels), -1), labels, k, neighbours=neighbours)
