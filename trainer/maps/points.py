"""Which images the map shows: the held-out set, the training set or all of them, up to 100,000.

``MapPoints`` are the codes of the chosen images in one array (held-out images first, then
training images), with, for each point, its set (``SETS``), its index within that set and its
label; the images behind them are looked up in the dataset, never copied. Above ``MAX_POINTS`` a
seeded sample stratified by set and label keeps every class in proportion and says so
(``sample``). The app, ``eval --map --points`` and ``export --what layout --points`` all choose
their points here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SETS = ("held-out", "train")
WHICH = ("held-out", "train", "all")
MAX_POINTS = 100_000
SAMPLE_SEED = 0
Codes = tuple[np.ndarray, "np.ndarray | None", "np.ndarray | None"]  # (means, log_vars, labels) of a set


@dataclass(eq=False)  # compared by identity: a new set of points is a new object
class MapPoints:
    """The codes the map lays out, and where each one's image is (``sets``/``index``)."""

    means: np.ndarray  # N×D float32
    log_vars: np.ndarray | None
    labels: np.ndarray | None  # N int32, or None for unlabelled data
    sets: np.ndarray  # N uint8: an index of SETS
    index: np.ndarray  # N int64: the image's index within its set
    which: str = "held-out"
    sample: dict | None = None  # {"n": shown, "of": chosen, "seed": s} when sampled

    def __len__(self) -> int:
        return len(self.means)

    def images(self, x_test: np.ndarray | None, x_train: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
        """The images of the points ``rows`` (in that order), or None when a set is missing."""
        rows = np.asarray(rows, np.int64)
        sources = (x_test, x_train)
        if any(sources[s] is None for s in np.unique(self.sets[rows])):
            return None
        out = np.empty((len(rows), *next(s for s in sources if s is not None).shape[1:]), np.float32)
        for s, source in enumerate(sources):
            mine = self.sets[rows] == s
            if source is not None and mine.any():
                out[mine] = source[self.index[rows[mine]]]
        return out

    def find(self, set_name: str, index: int) -> int | None:
        """The point showing image ``index`` of ``set_name``, or None when it is not shown."""
        hits = np.flatnonzero((self.sets == SETS.index(set_name)) & (self.index == index))
        return int(hits[0]) if len(hits) else None

    def same_images(self, other: MapPoints | None) -> bool:
        """Whether ``other`` shows the same images in the same order (the next epoch's codes of
        them), so that a layout of one places the other's points where it put its own."""
        if other is None or len(other) != len(self):
            return False
        return other is self or (np.array_equal(other.sets, self.sets) and np.array_equal(other.index, self.index))

    def describe(self) -> str:
        """``2,000 held-out images`` or ``100,000 of 140,000 images (a stratified sample, seed 0)``."""
        what = {"held-out": "held-out images", "train": "training images", "all": "images"}[self.which]
        if self.sample is None:
            return f"{len(self):,} {what}"
        return f"{len(self):,} of {self.sample['of']:,} {what} (a stratified sample, seed {self.sample['seed']})"


def choose_points(
    which: str, held_out: Codes, train: Codes | None = None, cap: int = MAX_POINTS, seed: int = SAMPLE_SEED
) -> MapPoints:
    """The points of ``which`` from the (means, log_vars, labels) of each set; sampled above ``cap``."""
    if which not in WHICH:
        raise ValueError(f"unknown points '{which}' (one of {', '.join(WHICH)})")
    if which != "held-out" and train is None:
        raise ValueError("the training images' codes are needed for these points")
    chosen: dict[str, list[tuple[int, Codes | None]]] = {
        "held-out": [(0, held_out)],
        "train": [(1, train)],
        "all": [(0, held_out), (1, train)],
    }
    parts: list[tuple[int, Codes]] = [(s, c) for s, c in chosen[which] if c is not None]
    means = np.concatenate([np.asarray(c[0], np.float32) for _, c in parts])
    log_vars = _joined([c[1] for _, c in parts])
    labels = _joined([c[2] for _, c in parts])
    sets = np.concatenate([np.full(len(c[0]), s, np.uint8) for s, c in parts])
    index = np.concatenate([np.arange(len(c[0]), dtype=np.int64) for _, c in parts])
    points = MapPoints(means, log_vars, labels, sets, index, which)
    return sampled(points, cap, seed) if len(points) > cap else points


def _joined(parts: list[np.ndarray | None]) -> np.ndarray | None:
    return None if any(p is None for p in parts) else np.concatenate([np.asarray(p) for p in parts])


def stratified_sample(groups: np.ndarray, n: int, seed: int = SAMPLE_SEED) -> np.ndarray:
    """``n`` row indices (sorted), each group (set × label) represented in proportion to its size."""
    rng = np.random.default_rng(seed)
    keys, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    quota = np.floor(counts * n / counts.sum()).astype(np.int64)
    for k in np.argsort(-(counts * n / counts.sum() - quota))[: n - quota.sum()]:
        quota[k] += 1  # the largest remainders get the rows left over
    rows = [rng.choice(np.flatnonzero(inverse == k), size=q, replace=False) for k, q in enumerate(quota) if q]
    return np.sort(np.concatenate(rows)) if rows else np.zeros(0, np.int64)


def sampled(points: MapPoints, cap: int, seed: int = SAMPLE_SEED) -> MapPoints:
    labels = points.labels if points.labels is not None else np.zeros(len(points), np.int64)
    rows = stratified_sample(points.sets.astype(np.int64) * 1_000_003 + labels, cap, seed)
    pick = lambda a: None if a is None else a[rows]  # noqa: E731
    return MapPoints(
        points.means[rows], pick(points.log_vars), pick(points.labels), points.sets[rows], points.index[rows],
        points.which, {"n": len(rows), "of": len(points), "seed": seed},
    )  # fmt: skip
