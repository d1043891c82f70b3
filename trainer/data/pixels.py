"""Checks and conversions shared by every loader: pixel scale, image layout, labels, splits.

The classic failure of VAE tutorials on a user's own data is training a sigmoid/BCE model on
0–255 values; here every array goes through ``to_unit_images`` and ends in [0, 1].
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from vae_explorer.trainer.errors import DatasetError

MIN_TRAIN_IMAGES = 2
# The held-out split of a dataset that comes without one is drawn with this seed, never with the
# training seed: the app, `train`, `eval`, `export` and `--resume` then hold out the same images
# whatever seed a model was trained with.
SPLIT_SEED = 0


def to_unit_images(x: np.ndarray, path: str, key: str = "images") -> np.ndarray:
    """Return ``x`` as float32 N×H×W×C in [0, 1], or raise a DatasetError naming the problem.

    Accepts integers and floats in 0–255 or in 0–1 (a maximum above 1 means 0–255).
    """
    x = _image_shaped(np.asarray(x), path, key)
    if x.size == 0:
        return x.astype(np.float32)
    hi = _checked_maximum(x, path, key)
    out = x.astype(np.float32, copy=True)
    if hi > 1.0:  # 0–255, integer or float; 0/1 masks stay as they are
        out /= 255.0
    return out


def _image_shaped(x: np.ndarray, path: str, key: str) -> np.ndarray:
    """N×H×W×C with C = 1 or 3 (alpha dropped), numeric, at least 4×4."""
    if x.dtype.kind not in "uif":
        raise DatasetError(f"'{key}' has dtype {x.dtype}; expected numeric pixel values", path)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise DatasetError(f"'{key}' has shape {x.shape}; expected N×H×W or N×H×W×C images", path)
    if x.shape[-1] in (2, 4):  # grey + alpha, RGBA
        x = x[..., : x.shape[-1] - 1]
    if x.shape[-1] not in (1, 3):
        raise DatasetError(f"'{key}' has {x.shape[-1]} channels; expected 1 (grey) or 3 (RGB)", path)
    if min(x.shape[1:3]) < 4:
        raise DatasetError(f"'{key}' images are {x.shape[1]}×{x.shape[2]}; need at least 4×4", path)
    return x


def _checked_maximum(x: np.ndarray, path: str, key: str) -> float:
    """The largest pixel value, after refusing NaN, infinities and values outside 0–255."""
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        bad = int((~np.isfinite(x)).reshape(len(x), -1).any(axis=1).sum())
        raise DatasetError(f"'{key}' has NaN or infinite pixels in {bad} image(s)", path)
    lo, hi = float(x.min()), float(x.max())
    if lo < 0:
        raise DatasetError(f"'{key}' has negative pixel values (min {lo:g}); expected 0–1 or 0–255", path)
    if hi > 255:
        raise DatasetError(f"'{key}' has pixel values up to {hi:g}; expected 0–1 or 0–255", path)
    return hi


def to_labels(y: np.ndarray, n: int, path: str, key: str = "labels") -> np.ndarray:
    """Return ``y`` as int32 of length ``n``, or raise a DatasetError naming the problem."""
    y = np.asarray(y)
    if y.dtype.kind not in "uif":
        raise DatasetError(f"'{key}' has dtype {y.dtype}; expected integer labels", path)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim == 2 and y.shape[0] == n and y.shape[1] > 1 and set(np.unique(y)) <= {0, 1}:
        y = y.argmax(axis=1)  # one-hot
    if y.ndim != 1:
        raise DatasetError(f"'{key}' has shape {y.shape}; expected one label per image", path)
    if len(y) != n:
        raise DatasetError(f"'{key}' has {len(y)} labels for {n} images", path)
    if y.dtype.kind == "f" and (not np.isfinite(y).all() or not np.all(y == np.round(y))):
        raise DatasetError(f"'{key}' holds non-integer labels", path)
    if len(y) and y.min() < 0:
        raise DatasetError(f"'{key}' has a negative label ({int(y.min())})", path)
    if len(y) and y.max() >= 1_000_000:
        raise DatasetError(f"'{key}' has a label out of range ({int(y.max())})", path)
    return y.astype(np.int32)


def check_label_names(names: ArrayLike | None, labels: list[np.ndarray | None], path: str) -> list[str] | None:
    """Validate label names against the labels: every label must have a name."""
    if names is None:
        return None
    names = [str(n) for n in np.asarray(names).reshape(-1)]
    for y in labels:
        if y is not None and len(y) and int(y.max()) >= len(names):
            raise DatasetError(f"label {int(y.max())} is out of range for {len(names)} label names", path)
    return names


def split_held_out(
    x: np.ndarray, y: np.ndarray | None, fraction: float, path: str, seed: int = SPLIT_SEED
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Shuffle and split one array into train and held-out parts (at least one image each)."""
    n = len(x)
    if n < MIN_TRAIN_IMAGES + 1:
        raise DatasetError(f"holds {n} image(s); need at least {MIN_TRAIN_IMAGES + 1} to train and hold one out", path)
    order = np.random.default_rng(seed).permutation(n)
    n_test = min(max(1, int(round(n * fraction))), n - MIN_TRAIN_IMAGES)
    test, train = order[:n_test], order[n_test:]
    y_train = None if y is None else y[train]
    y_test = None if y is None else y[test]
    return x[train], y_train, x[test], y_test


def random_split(fraction: float, seed: int) -> dict:
    """How ``split_held_out`` split a dataset, as recorded in a model file's dataset description."""
    return {"method": "random", "seed": int(seed), "fraction": fraction}


def check_splits(x_train: np.ndarray, x_test: np.ndarray, path: str) -> None:
    """Both splits must exist and hold images of one shape."""
    if len(x_train) < MIN_TRAIN_IMAGES:
        raise DatasetError(f"holds {len(x_train)} training image(s); need at least {MIN_TRAIN_IMAGES}", path)
    if len(x_test) < 1:
        raise DatasetError("holds no held-out images", path)
    if x_train.shape[1:] != x_test.shape[1:]:
        raise DatasetError(f"training images are {x_train.shape[1:]} but held-out images are {x_test.shape[1:]}", path)
