"""How much the map shows, computed off the GUI thread: legibility and neighbour recall.

For 70,000 points even the 2-D neighbour search takes a few hundred milliseconds, so the figures
of the map drawn are computed in the background and the line beside the layout box shows them
when they arrive. A t-SNE layout brings its own (computed where it was built). The latent
neighbours the recall needs are searched only up to ``RECALL_UP_TO`` points (a 16-D search of
70,000 codes takes some 40 s of one core); beyond that the recall is left out, the legibility not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

RECALL_UP_TO = 20_000


def figures_of(plane: np.ndarray, points: Any, lists: np.ndarray | None = None) -> dict:
    """``legibility`` and, when the latent neighbours are known or cheap to find, ``recall``."""
    from vae_explorer.trainer.maps.figures import latent_neighbours, plane_figures

    if lists is None and len(points.means) <= RECALL_UP_TO:
        lists = latent_neighbours(points.means, workers=1)
    return plane_figures(plane, points.labels, lists)


class FiguresService:
    """``of(plane, points, projection)``: the figures if known, else ``{}`` and a background job
    that calls ``changed()`` when they are."""

    def __init__(self, run: Callable[..., None], changed: Callable[[], None]) -> None:
        self._run, self._changed = run, changed
        self._known: tuple[Any, Any, dict] = (None, None, {})  # (points, projection, figures)
        self._asked: tuple[Any, Any] = (None, None)

    def of(self, plane: np.ndarray | None, points: Any, projection: Any) -> dict:
        if plane is None or points is None or projection is None:
            return {}
        own = getattr(projection, "figures", None)
        if own and getattr(projection, "plane", None) is plane:
            return own
        known_points, known_projection, figures = self._known
        if known_points is points and known_projection is projection:
            return figures
        if self._asked != (points, projection):
            self._asked = (points, projection)
            self._run(lambda: figures_of(plane, points), lambda f: self._arrived(points, projection, f))
        return {}

    def _arrived(self, points: Any, projection: Any, figures: dict) -> None:
        self._known = (points, projection, figures)
        self._changed()
