"""What the Edit menu calls a step: "Undo Lasso selection (312 images)", "Undo Hide class 3".

A step is a change of some fields of one state object (``core.undo``); its name is chosen here
from the part, the fields and their old and new values, so that the user reads what Ctrl+Z will
take back. No Qt here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vae_explorer.explorer.map.state import COLOR_BY

SELECTED_BY = {"rect": "Rectangle selection", "lasso": "Lasso selection"}
LAYOUT_TITLES = {"latent": "latent plane", "tsne": "t-SNE", "pca": "PCA", "dims": "two dimensions"}
WHICH = {"held-out": "held-out images", "train": "training images", "all": "all images"}


def _zoom(old: Any, new: Any) -> str:
    if new is None:
        return "Fit view"
    widths = [(o[1] - o[0], n[1] - n[0]) for o, n in zip(old or new, new, strict=True)]
    if old is not None and all(abs(a - b) <= 1e-6 * abs(b) for a, b in widths):
        return "Pan"
    return "Zoom"


def _hidden(old: frozenset, new: frozenset) -> str:
    hidden, shown = sorted(new - old), sorted(old - new)
    if len(hidden) == 1 and not shown:
        return f"Hide class {hidden[0]}"
    if len(shown) == 1 and not hidden:
        return f"Show class {shown[0]}"
    return "Show all classes" if not new else "Show one class only"


def _selection(new: np.ndarray, how: str) -> str:
    if not len(new):
        return "Clear selection"
    return f"{SELECTED_BY.get(how, 'Selection')} ({len(new)} image{'s' if len(new) != 1 else ''})"


def _ends(old: dict, new: dict) -> str:
    set_now = [k for k in sorted(new) if k not in old or new[k] is not old[k]]
    if set_now:
        return "Set " + " and ".join(set_now)
    return "Clear endpoints"


def _drawing(old: Any, new: Any) -> str:
    return "Clear drawing" if new is None else "Stroke"


def _images(old: tuple, new: tuple) -> str:
    if len(new) > len(old):
        return f"Place {new[-1].name}"
    if len(new) < len(old):
        gone = [image.name for image in old if image not in new]
        return f"Remove {gone[0] if gone else 'image'}"
    return "Encode images"


NAMERS = {
    ("view", "view_range"): _zoom,
    ("view", "hidden"): _hidden,
    ("map", "ends"): _ends,
    ("draw", "drawing"): _drawing,
    ("draw", "images"): _images,
}


def step_name(part: str, fields: list[str], old: dict, new: dict, extra: dict | None = None) -> str:
    """The name of a change of ``fields`` of the state saved as ``part``."""
    field = fields[0]
    namer = NAMERS.get((part, field))
    if namer is not None:
        return namer(old[field], new[field])
    value = new[field]
    if (part, field) == ("view", "selection"):
        return _selection(np.asarray(value), (extra or {}).get("selected_by", ""))
    if (part, field) == ("view", "color_by"):
        return f"Colour by {dict(COLOR_BY).get(value, value).lower()}"
    if (part, field) == ("map", "layout"):
        return f"Map layout {LAYOUT_TITLES.get(value, value)}"
    if (part, field) == ("map", "which"):
        return f"Show {WHICH.get(value, value)}"
    if part == "map" and field in ("current", "current_index"):
        return "Choose point"
    return f"{part.replace('_', ' ').capitalize()}: {field.replace('_', ' ')}"
