"""Per-class latent maths: class means, class direction vectors and a Gaussian per class.

All NumPy, on the encoded held-out means and their labels (``LatentCodes``). The model is
unconditional: it knows nothing of labels; these tools only use where the labelled codes
landed, so "make this 4 look more like a 9" means walking along μ(9) − μ(4), and "sample a 7"
means drawing from a Gaussian fitted to the codes of the held-out 7s.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

DIRECTION_MAX = 1.5  # the slider goes from 0 to 1.5 × the difference of class means
RIDGE = 1e-3  # added to a class covariance, relative to its mean variance (plus a tiny floor)
RIDGE_FLOOR = 1e-6


def class_means(means: np.ndarray, labels: np.ndarray) -> dict[int, np.ndarray]:
    """{label: mean code of the held-out codes with that label}, for every label present."""
    means = np.asarray(means, np.float64)
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(means):
        raise ValueError(f"{len(means)} codes but {len(labels)} labels")
    return {int(v): means[labels == v].mean(axis=0) for v in np.unique(labels)}


def nearest_class(z: np.ndarray, centres: dict[int, np.ndarray]) -> int:
    """The label whose class mean is closest to ``z`` (Euclidean, in the latent space)."""
    if not centres:
        raise ValueError("no class means")
    z = np.asarray(z, np.float64).reshape(-1)
    return min(centres, key=lambda v: float(np.sum((centres[v] - z) ** 2)))


def direction(centres: dict[int, np.ndarray], source: int, target: int) -> np.ndarray:
    """The class direction vector μ(target) − μ(source)."""
    return np.asarray(centres[target] - centres[source], np.float64)


def along_direction(z: np.ndarray, vector: np.ndarray, t: ArrayLike) -> np.ndarray:
    """``z + t·vector`` for a scalar t (one point) or an array of t (one row each), float32."""
    z = np.asarray(z, np.float64).reshape(-1)
    t = np.asarray(t, np.float64)
    points = z + np.multiply.outer(t, np.asarray(vector, np.float64))
    return points.astype(np.float32)


def fit_gaussian(codes: np.ndarray, ridge: float = RIDGE) -> tuple[np.ndarray, np.ndarray]:
    """Mean and full covariance of ``codes`` (N×D), with a ridge on the diagonal.

    The ridge (``ridge`` × the mean variance, plus a tiny floor) keeps the covariance positive
    definite when a class has fewer codes than dimensions, or a single code.
    """
    codes = np.asarray(codes, np.float64)
    if codes.ndim != 2 or len(codes) == 0:
        raise ValueError("no codes to fit a Gaussian to")
    mean = codes.mean(axis=0)
    d = codes.shape[1]
    cov = np.cov(codes, rowvar=False).reshape(d, d) if len(codes) > 1 else np.zeros((d, d))
    scale = float(np.trace(cov)) / d
    return mean, cov + (ridge * scale + RIDGE_FLOOR) * np.eye(d)


def sample_gaussian(mean: np.ndarray, cov: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """``count`` draws from N(mean, cov) (count×D float32), reproducible from ``seed``."""
    chol = np.linalg.cholesky(np.asarray(cov, np.float64))
    noise = np.random.default_rng(seed).standard_normal((count, len(mean)))
    return (np.asarray(mean, np.float64) + noise @ chol.T).astype(np.float32)


def class_samples(means: np.ndarray, labels: np.ndarray, label: int, count: int, seed: int = 0) -> np.ndarray:
    """Draws from the Gaussian fitted to the codes labelled ``label`` (held-out means)."""
    labels = np.asarray(labels).reshape(-1)
    chosen = np.asarray(means)[labels == label]
    if not len(chosen):
        raise ValueError(f"no held-out code has label {label}")
    return sample_gaussian(*fit_gaussian(chosen), count, seed)
