"""Two models side by side: each its own map, linked by the held-out image under the mouse.

Each map is a ``LatentMap`` of one model's stored held-out codes, laid out on its own PCA
plane (its latent plane itself at two dimensions). Hovering a held-out point on either map
highlights the same held-out image on both and shows it beside both models' reconstructions
(the decode of each model's encoded mean). That link is only made when both models held out
the same images: their files' held-out checksums must match, and the window says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QDialog, QGridLayout, QLabel, QVBoxLayout

from vae_explorer.explorer.map.latent_map import LatentMap, hide_while_empty
from vae_explorer.explorer.runs.overlay import run_label
from vae_explorer.explorer.widgets.image_pane import ImagePane
from vae_explorer.trainer.maps.layouts import LAYOUTS, make_layout

if TYPE_CHECKING:
    from vae_explorer.trainer.files.modelfile import ModelFile
    from vae_explorer.trainer.files.run_record import RunRecord
    from vae_explorer.trainer.model.space import LatentCodes, LatentSpace


@dataclass
class Side:
    """One model of the comparison: its run, its loaded file and that file's held-out codes, its
    latent space and map plane."""

    record: RunRecord
    loaded: ModelFile
    codes: LatentCodes  # loaded.latent: a file without held-out codes cannot be compared
    space: LatentSpace
    plane: np.ndarray  # N×2: the held-out codes on this model's map

    @property
    def means(self) -> np.ndarray:
        return self.codes.means


def same_held_out(a: dict, b: dict) -> tuple[bool, str]:
    """Whether two models' dataset descriptions hold out the same images, and a line saying so."""
    sha_a, sha_b = a.get("held_out_sha256"), b.get("held_out_sha256")
    if sha_a and sha_b:
        if sha_a == sha_b:
            return True, f"Both models held out the same {a.get('n_test')} images of {a.get('name')} (checksums match)."
        return False, (
            "These models did not hold out the same images (their held-out checksums differ: "
            f"{a.get('name')}, {a.get('n_test')} vs {b.get('name')}, {b.get('n_test')}); the maps are not linked."
        )
    keys = ("name", "source", "n_test", "split")
    if all(a.get(k) == b.get(k) for k in keys):
        return True, "Same dataset and split recorded (no checksum in a file: not verified)."
    return False, "These models' datasets or splits differ: the maps are not linked."


def plane_of(means: np.ndarray) -> tuple[np.ndarray, tuple[str, str]]:
    """The map plane of one model: PCA of its codes (its latent plane at two dimensions)."""
    name = "latent" if means.shape[1] <= 2 else "pca"
    return make_layout(name, means).to_plane(means), LAYOUTS[name].axis_names((0, 1))


class CompareWindow(QDialog):
    """``images`` are the shared held-out images when the app has them (None: no originals)."""

    def __init__(self, left: Side, right: Side, images: np.ndarray | None, label_names=None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Compare two models")
        self.resize(1100, 760)
        self.sides, self.images, self.label_names = (left, right), images, label_names
        self.linked, note = same_held_out(left.loaded.dataset, right.loaded.dataset)
        self.linked = self.linked and len(left.means) == len(right.means)
        self.current_index: int | None = None
        self.maps: list[LatentMap] = []
        self.rings: list[pg.ScatterPlotItem] = []
        layout = QVBoxLayout(self)
        self.note = QLabel(note)
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        layout.addLayout(self._maps(), 3)
        layout.addLayout(self._images(), 1)

    def _maps(self) -> QGridLayout:
        grid = QGridLayout()
        for column, side in enumerate(self.sides):
            title = QLabel(f"{'AB'[column]}: {run_label(side.record)} · {side.record.model_path}")
            title.setWordWrap(True)
            latent_map = LatentMap()
            _, names = plane_of(side.means)
            latent_map.set_axis_names(*names)
            latent_map.draw_points(side.plane, side.codes.labels, keep_view=False)
            latent_map.show_legend(side.codes.labels, self.label_names)
            ring = pg.ScatterPlotItem(size=18, symbol="o", pen=pg.mkPen((255, 255, 0), width=3), brush=None)
            hide_while_empty(ring)
            latent_map.addItem(ring, ignoreBounds=True)
            latent_map.hovered.connect(lambda x, y, c=column: self.hover(c, x, y))
            grid.addWidget(title, 0, column)
            grid.addWidget(latent_map, 1, column)
            self.maps.append(latent_map)
            self.rings.append(ring)
        grid.setRowStretch(1, 1)
        return grid

    def _images(self) -> QGridLayout:
        grid = QGridLayout()
        self.original, self.reconstructions = ImagePane(min_size=90), [ImagePane(min_size=90), ImagePane(min_size=90)]
        for column, (text, pane) in enumerate(
            (
                ("held-out image", self.original),
                ("A's reconstruction", self.reconstructions[0]),
                ("B's reconstruction", self.reconstructions[1]),
            )
        ):
            grid.addWidget(QLabel(text), 0, column)
            grid.addWidget(pane, 1, column)
        self.point_label = QLabel("Hover a point on either map.")
        grid.addWidget(self.point_label, 2, 0, 1, 3)
        return grid

    # -- hover ----------------------------------------------------------------------------
    def hover(self, column: int, x: float, y: float) -> None:
        """The held-out point under the mouse on map ``column``, shown on both (when linked)."""
        hit = self.maps[column].point_at(x, y)
        if hit is not None:
            self.show_index(column, hit)

    def show_index(self, column: int, index: int) -> None:
        self.current_index = index
        shown = (0, 1) if self.linked else (column,)
        for c, side in enumerate(self.sides):
            on = c in shown
            self.rings[c].setData(
                [float(side.plane[index, 0])] if on else [], [float(side.plane[index, 1])] if on else []
            )
            self.reconstructions[c].set_image(side.space.decode(side.means[index])[0] if on else None)
        images = self.images if self.linked else None
        self.original.set_image(images[index] if images is not None and index < len(images) else None)
        self.point_label.setText(f"held-out image #{index}{self._label_text(column, index)}")

    def _label_text(self, column: int, index: int) -> str:
        labels = self.sides[column].codes.labels
        if labels is None:
            return ""
        v = int(labels[index])
        names = self.label_names
        return f" (label {names[v] if names and v < len(names) else v})"
