"""The colours of the map's classes: one categorical palette for points, legend and frames.

Two palettes: Matplotlib's ``tab10`` (the default) and a colour-blind-safe one, Okabe and Ito's
eight colours extended to ten (their palette for deuteranopia, protanopia and tritanopia, with a
grey and a dark yellow). Beyond ten classes both continue with evenly spaced hues.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

PALETTES: dict[str, list[tuple[int, int, int]]] = {
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


def label_color(label: int, palette: str = DEFAULT_PALETTE) -> tuple[int, int, int]:
    colours = PALETTES.get(palette, PALETTES[DEFAULT_PALETTE])
    if 0 <= label < len(colours):
        return colours[label]
    r, g, b, _ = pg.intColor(label, hues=17).getRgb()
    return r, g, b


def label_brushes(labels, palette: str = DEFAULT_PALETTE):
    """One brush per point in its label's colour (one shared grey brush without labels)."""
    if labels is None:
        return pg.mkBrush(200, 200, 200, 160)
    table = {int(v): pg.mkBrush(*label_color(int(v), palette), 180) for v in np.unique(labels)}
    return [table[int(v)] for v in labels]


def frame_colors(labels, n: int, palette: str = DEFAULT_PALETTE) -> np.ndarray:
    """N×3 uint8: each image's class colour (grey without labels), for thumbnail frames."""
    if labels is None:
        return np.full((n, 3), 160, np.uint8)
    table = {int(v): label_color(int(v), palette) for v in np.unique(labels)}
    return np.array([table[int(v)] for v in labels], np.uint8)
