"""The values a session file keeps, written as plain JSON and checked field by field when read.

State objects hold NumPy arrays (the current point, the A/B endpoints, the selection), tuples
(the two chosen dimensions, the view range) and frozensets (the hidden classes): JSON has none
of them, so each is written as a one-key object that says what it was
(``{"ndarray": {"dtype": "float32", "shape": [16], "data": [...]}}``, ``{"tuple": [...]}``,
``{"frozenset": [...]}``) and read back as exactly that. ``SCHEMA`` says, for each state object a
session keeps, what each of its ``SAVED`` fields may hold; a value of another type or out of
range is refused with the field named, before anything is applied. No Qt here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from vae_explorer.explorer.map.state import COLOR_BY, DRAG_MODES
from vae_explorer.trainer.model.presets import PRESETS
from vae_explorer.trainer.report.colours import PALETTES

TAGS = ("ndarray", "tuple", "frozenset")
DTYPES = ("float32", "float64", "int64", "int32")
MAX_DIM = 512  # the largest latent dimension a model may have
MAX_INDEX = 10**9

Check = Callable[[Any], str | None]  # a decoded value → None when it is fine, else what is wrong


def encode(value: Any) -> Any:
    """``value`` as JSON-able data; arrays, tuples and sets tagged so that ``decode`` restores them."""
    if isinstance(value, np.ndarray):
        if value.dtype.name not in DTYPES:
            raise ValueError(f"cannot keep an array of {value.dtype}")
        return {"ndarray": {"dtype": value.dtype.name, "shape": list(value.shape), "data": value.ravel().tolist()}}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise ValueError(f"cannot keep the number {value}")
        return float(value)
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, frozenset):
        return {"frozenset": sorted((encode(v) for v in value), key=repr)}
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"cannot keep a value of type {type(value).__name__}")


def decode(data: Any) -> Any:
    """The value ``encode`` wrote; ``ValueError`` naming what is malformed."""
    if isinstance(data, list):
        raise ValueError("a list where an array, a tuple or a set belongs")
    if not isinstance(data, dict):
        return data
    if len(data) == 1 and next(iter(data)) in TAGS:
        tag, inner = next(iter(data.items()))
        return _decode_tagged(tag, inner)
    return {k: decode(v) for k, v in data.items()}


def _decode_tagged(tag: str, inner: Any) -> Any:
    if tag == "ndarray":
        return _array(inner)
    if not isinstance(inner, list):
        raise ValueError(f"a {tag} that is not a list")
    items = [decode(v) for v in inner]
    if tag == "tuple":
        return tuple(items)
    if any(isinstance(v, (dict, tuple, frozenset, np.ndarray)) for v in items):
        raise ValueError("a set of something other than plain values")
    return frozenset(items)


def _array(inner: Any) -> np.ndarray:
    if not isinstance(inner, dict) or set(inner) != {"dtype", "shape", "data"}:
        raise ValueError("an array without exactly dtype, shape and data")
    dtype, shape, data = inner["dtype"], inner["shape"], inner["data"]
    if dtype not in DTYPES or not isinstance(shape, list) or len(shape) > 2:
        raise ValueError("an array of an unknown dtype or shape")
    if not all(type(n) is int and 0 <= n <= MAX_INDEX for n in shape) or not isinstance(data, list):
        raise ValueError("an array of an unknown shape")
    if math.prod(shape) != len(data) or not all(type(v) in (int, float) for v in data):
        raise ValueError("an array whose data does not fit its shape")
    if not all(math.isfinite(v) for v in data):
        raise ValueError("an array with a number that is not finite")
    kind = np.int64 if dtype.startswith("int") else np.float64
    if kind is np.int64 and not all(type(v) is int and abs(v) <= MAX_INDEX for v in data):
        raise ValueError("an integer array with a value that is not an index")
    return np.asarray(data, kind).astype(dtype).reshape(shape)


# -- what each field may hold --------------------------------------------------------------------
def is_int(v: Any) -> bool:
    return type(v) is int


def integer(lo: int, hi: int) -> Check:
    return lambda v: None if is_int(v) and lo <= v <= hi else f"an integer from {lo} to {hi}"


def real(lo: float, hi: float) -> Check:
    def check(v: Any) -> str | None:
        ok = type(v) in (int, float) and math.isfinite(v) and lo <= v <= hi
        return None if ok else f"a number from {lo:g} to {hi:g}"

    return check


def boolean(v: Any) -> str | None:
    return None if type(v) is bool else "true or false"


def choice(*options: str) -> Check:
    return lambda v: None if isinstance(v, str) and v in options else "one of " + ", ".join(options)


def text(v: Any) -> str | None:
    return None if isinstance(v, str) and len(v) <= 200 else "a text"


def optional(check: Check) -> Check:
    return lambda v: None if v is None else check(v)


def vector(v: Any) -> str | None:
    ok = isinstance(v, np.ndarray) and v.ndim == 1 and 1 <= len(v) <= MAX_DIM and v.dtype.kind == "f"
    return None if ok else f"a vector of 1 to {MAX_DIM} numbers"


def indices(v: Any) -> str | None:
    ok = isinstance(v, np.ndarray) and v.ndim == 1 and v.dtype.kind == "i" and bool((v >= 0).all())
    return None if ok else "an array of image indices"


def int_pair(v: Any) -> str | None:
    ok = isinstance(v, tuple) and len(v) == 2 and all(is_int(d) and 0 <= d < MAX_DIM for d in v)
    return None if ok else "two dimension numbers"


def labels(v: Any) -> str | None:
    ok = isinstance(v, frozenset) and all(is_int(x) and 0 <= x <= MAX_INDEX for x in v)
    return None if ok else "a set of class labels"


def ends(v: Any) -> str | None:
    ok = isinstance(v, dict) and set(v) <= {"A", "B"} and all(vector(z) is None for z in v.values())
    return None if ok else "endpoints A and B as vectors"


def view_range(v: Any) -> str | None:
    def axis(a: Any) -> bool:
        return isinstance(a, tuple) and len(a) == 2 and all(real(-1e12, 1e12)(x) is None for x in a) and a[0] < a[1]

    return None if isinstance(v, tuple) and len(v) == 2 and all(axis(a) for a in v) else "an x and a y range"


SCHEMA: dict[str, dict[str, Check]] = {
    "map": {
        "which": choice("held-out", "train", "all"),
        "layout": choice("latent", "tsne", "pca", "dims"),
        "dims": int_pair,
        "current": optional(vector),
        "current_index": optional(integer(0, MAX_INDEX)),
        "ends": ends,
        "shown_epoch": optional(integer(0, MAX_INDEX)),
    },
    "view": {
        "hidden": labels,
        "color_by": choice(*(key for key, _ in COLOR_BY)),
        "thumbnails": boolean,
        "thumbnails_auto": boolean,
        "selection": indices,
        "drag_mode": choice(*DRAG_MODES),
        "palette": choice(*PALETTES),
        "view_range": optional(view_range),
    },
    "train": {
        "preset": choice(*PRESETS),
        "latent_dim": integer(1, MAX_DIM),
        "epochs": integer(1, 100_000),
        "batch_size": integer(1, 1_000_000),
        "beta": real(0.0, 1e6),
        "kl_warmup_epochs": integer(0, 100_000),
        "learning_rate": real(0.0, 10.0),
        "seed": integer(-(2**63), 2**63 - 1),
    },
    "interpolate": {"steps": integer(2, 64), "method": choice("linear", "spherical"), "frame": integer(0, 64)},
    "traverse": {"steps": integer(3, 31), "span": real(0.5, 10.0), "by_kl": boolean, "hide_inactive": boolean},
    "grid": {"n": integer(2, 40), "overlay": boolean},
    "direction": {"target": optional(integer(0, MAX_INDEX)), "t": real(0.0, 1.5)},
    "class_samples": {"label": optional(integer(0, MAX_INDEX)), "n": integer(2, 16), "seed": integer(0, 999_999)},
    "prior_holes": {"on": boolean},
}
