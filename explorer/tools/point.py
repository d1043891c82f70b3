"""The Point tool: the decode of the clicked or hovered point, and for a data point the original
image beside its reconstruction.

Decoding runs on the GUI thread on purpose: one point is a compiled call of about a millisecond
(``trainer.model.space.LatentSpace``), cheaper than a round trip to a thread.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from vae_explorer.explorer.map.context import ToolContext
from vae_explorer.explorer.widgets.image_pane import ImagePane
from vae_explorer.explorer.widgets.readout import Readout


def fmt(z) -> str:
    """A latent vector in a line: its first six coordinates."""
    z = np.asarray(z).reshape(-1)
    shown = ", ".join(f"{v:.2f}" for v in z[:6])
    return f"({shown}{', …' if len(z) > 6 else ''})"


class PointPage(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QGridLayout(self)
        self.decoded, self.original, self.reconstruction = ImagePane(), ImagePane(), ImagePane()
        self.label = Readout("—", lines=3)  # each click and hover writes it: no relayout
        layout.addWidget(QLabel("Decoded point (click or hover the map)"), 0, 0, 1, 2)
        layout.addWidget(self.decoded, 1, 0, 1, 2)
        layout.addWidget(self.label, 2, 0, 1, 2)
        layout.addWidget(QLabel("Original"), 3, 0)
        layout.addWidget(QLabel("Reconstruction"), 3, 1)
        layout.addWidget(self.original, 4, 0)
        layout.addWidget(self.reconstruction, 4, 1)
        layout.setRowStretch(1, 3)
        layout.setRowStretch(4, 2)

    def clear(self) -> None:
        for pane in (self.decoded, self.original, self.reconstruction):
            pane.set_image(None)
        self.label.setText("—")


class PointTool:
    name, order = "point", 10
    hint = "Click or hover the map to decode that point; a data point shows its original beside it"

    def __init__(self, ctx: ToolContext):
        self.ctx, self.session, self.state = ctx, ctx.session, ctx.state
        self.page = PointPage()
        ctx.add_tab("Point", self.page, self.order, self.hint)
        self.state.changed.connect(self._state_changed)
        self.session.changed.connect(lambda names: self.show_current() if "codes" in names else None)
        ctx.view.hovered.connect(self.hover)

    def _state_changed(self, names) -> None:
        if "current" in names or "current_index" in names:
            self.show_current()
        elif "projection" in names and self.state.projection is None:
            self.page.clear()

    def show_current(self) -> None:
        """Decode the current point; for a data point, its original beside its reconstruction."""
        current, index, space = self.state.current, self.state.current_index, self.session.space
        if current is None or space is None:
            self.page.clear()
            return
        decoded = space.decode(current)[0]
        self.page.decoded.set_image(decoded)
        points = self.state.points
        images = None if index is None else self.session.point_images(points, [index])
        if index is not None and images is not None:
            self.page.original.set_image(images[0])
            self.page.reconstruction.set_image(decoded)
            text = f"image {self.session.point_caption(points, index)}, encoded mean {fmt(current)}"
        else:
            self.page.original.set_image(None)
            self.page.reconstruction.set_image(None)
            text = f"z = {fmt(current)}"
        self.page.label.setText(text)
        self.ctx.status(text, 0)

    def hover(self, x: float, y: float) -> None:
        """Decode the point under the mouse (no click needed)."""
        projection, space = self.state.projection, self.session.space
        if projection is None or space is None:
            return
        z = projection.from_plane([x, y])[0]
        self.page.decoded.set_image(space.decode(z)[0])
        self.page.label.setText(f"hover z = {fmt(z)}")
