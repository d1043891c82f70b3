"""Find an image on the map by its index or its file name, and centre the map on it.

Typed into the box over the map: ``34512`` (a held-out image when the map shows that one, else a
training image), ``train 34512`` or ``held-out 17`` (that set), or part of a file name for an
image folder (the first match). The image found becomes the current point, as a click on its dot
would make it, and the map centres on it keeping the zoom; a hidden class is shown again first.
"""

from __future__ import annotations

import re

import numpy as np
from PySide6.QtWidgets import QLineEdit

from vae_explorer.explorer.map.context import ToolContext
from vae_explorer.trainer.maps.points import SETS, MapPoints

QUERY = re.compile(r"^\s*(?:(train|training|t|held-out|heldout|test|h)\s*)?#?\s*(\d+)\s*$", re.IGNORECASE)


def parse_index(text: str) -> tuple[str | None, int] | None:
    """``(set or None, index)`` of a typed index, or None when the text is no index."""
    match = QUERY.match(text)
    if match is None:
        return None
    word = (match.group(1) or "").lower()
    which = None if not word else "train" if word.startswith("t") and word != "test" else "held-out"
    return which, int(match.group(2))


def find_point(points: MapPoints, text: str, files_of=None) -> int | None:
    """The map point ``text`` names, or None. ``files_of(set index, index)`` names the files."""
    parsed = parse_index(text)
    if parsed is not None:
        which, index = parsed
        for name in (which,) if which else SETS:
            hit = points.find(name, index)
            if hit is not None:
                return hit
        return None
    needle = text.strip().lower()
    if not needle or files_of is None:
        return None
    for i in range(len(points)):
        name = files_of(int(points.sets[i]), int(points.index[i]))
        if name is not None and needle in name.lower():
            return i
    return None


class MapSearch:
    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx
        self.box = QLineEdit()
        self.box.setPlaceholderText("Find image: index, train 123, or file name")
        self.box.setToolTip(
            "Type an image's index (train 123 for a training image) or part of its file name, then Enter"
        )
        self.box.setClearButtonEnabled(True)
        self.box.setMaximumWidth(260)
        self.box.returnPressed.connect(lambda: self.find(self.box.text()))

    def find(self, text: str) -> int | None:
        points, dataset = self.ctx.state.points, self.ctx.session.dataset
        files_of = getattr(dataset, "file_of", None)
        hit = None if points is None else find_point(points, text, files_of)
        if hit is None or points is None:
            self.ctx.status(
                f"No image '{text.strip()}' on the map ({'no map' if points is None else points.describe()})"
            )
            return None
        self._show(points, hit)
        return hit

    def _show(self, points: MapPoints, i: int) -> None:
        view = self.ctx.view_state
        if points.labels is not None and int(points.labels[i]) in view.hidden:
            view.hidden = view.hidden - {int(points.labels[i])}
        vb, (x, y) = self.ctx.view.getViewBox(), (float(v) for v in self.ctx.view.plane[i])
        (x0, x1), (y0, y1) = vb.viewRange()
        vb.setRange(
            xRange=(x - (x1 - x0) / 2, x + (x1 - x0) / 2), yRange=(y - (y1 - y0) / 2, y + (y1 - y0) / 2), padding=0
        )
        self.ctx.state.update(current=np.asarray(points.means[i], np.float32), current_index=int(i))
        self.ctx.status(f"Found {self.ctx.session.point_caption(points, i)}", 8000)
