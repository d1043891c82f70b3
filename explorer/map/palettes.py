"""The colours of the map's classes, from the one table every picture of a map uses
(``trainer.report.colours``: tab10 and Okabe–Ito), as the map's dots and the legend need them."""

from __future__ import annotations

import numpy as np

from vae_explorer.explorer.map.dots import argb
from vae_explorer.trainer.report.colours import DEFAULT_PALETTE, PALETTE_TITLES, PALETTES, frame_colors, label_color

__all__ = ["DEFAULT_PALETTE", "PALETTES", "PALETTE_TITLES", "frame_colors", "label_color", "label_pixels"]


def label_pixels(labels: np.ndarray | None, n: int, palette: str = DEFAULT_PALETTE) -> np.ndarray:
    """N uint32 dot colours: each point's class colour (grey without labels)."""
    return argb(frame_colors(labels, n, palette))
