"""The class colours of every picture of a map: the app's points, legend and frames, and the report's.

Two palettes: Matplotlib's ``tab10`` (the default) and a colour-blind-safe one, Okabe and Ito's
eight colours extended to ten (their palette for deuteranopia, protanopia and tritanopia, with a
grey and a dark yellow). Beyond ten classes both continue with evenly spaced hues.
"""

from __future__ import annotations

import colorsys

import numpy as np

RGB = tuple[int, int, int]

PALETTES: dict[str, list[RGB]] = {
    "tab10": [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
    ],
    "okabe-ito": [
        (230, 159, 0),
        (86, 180, 233),
        (0, 158, 115),
        (240, 228, 66),
        (0, 114, 178),
        (213, 94, 0),
        (204, 121, 167),
        (255, 255, 255),
        (153, 153, 153),
        (150, 120, 0),
    ],
}
PALETTE_TITLES = {"tab10": "Standard (tab10)", "okabe-ito": "Colour-blind safe (Okabe–Ito)"}
DEFAULT_PALETTE = "tab10"
UNLABELLED: RGB = (160, 160, 160)
HUES = 17  # beyond a palette's ten colours: evenly spaced hues, as pyqtgraph's intColor spaces them


def label_color(label: int, palette: str = DEFAULT_PALETTE) -> RGB:
    """The colour of class ``label`` in ``palette`` (an unknown palette name: the default)."""
    colours = PALETTES.get(palette, PALETTES[DEFAULT_PALETTE])
    if 0 <= label < len(colours):
        return colours[label]
    r, g, b = colorsys.hsv_to_rgb((label % HUES) / HUES, 1.0, 1.0)
    return int(r * 255), int(g * 255), int(b * 255)


def frame_colors(labels: np.ndarray | None, n: int, palette: str = DEFAULT_PALETTE) -> np.ndarray:
    """N×3 uint8: each image's class colour (grey without labels), for thumbnail frames."""
    if labels is None:
        return np.full((n, 3), UNLABELLED[0], np.uint8)
    # one colour per class, then gathered: a Python loop over 70,000 labels took 35 ms of an epoch's end
    classes, which = classes_and_rows(np.asarray(labels).ravel())
    table = np.array([label_color(int(v), palette) for v in classes], np.uint8).reshape(len(classes), 3)
    return table[which]


def classes_and_rows(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(labels, return_inverse=True)``; small non-negative class numbers are counted
    instead of sorted (4-5 ms less at 70,000 labels)."""
    if labels.dtype.kind in "iu" and len(labels) and labels.min() >= 0 and labels.max() < 100_000:
        classes = np.flatnonzero(np.bincount(labels))
        row_of = np.zeros(classes[-1] + 1, np.intp)
        row_of[classes] = np.arange(len(classes))
        return classes, row_of[labels]
    classes, which = np.unique(labels, return_inverse=True)
    return classes, which.ravel()


def hex_color(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)
