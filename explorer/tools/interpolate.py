"""The Interpolate tool: a strip of decoded frames from point A to point B, straight or spherical,
its path drawn on the map and a slider to scrub through it.

The path is computed in the latent space and placed on the map by the map's own projection (on a
t-SNE map by the forward inverse-distance blend, approximate). Endpoints are the map's state
(``MapState.ends``): the Draw tool sets them too.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from vae_explorer.explorer.core.evented import EventedModel, Field
from vae_explorer.explorer.map.context import ToolContext
from vae_explorer.explorer.tools.point import fmt
from vae_explorer.explorer.widgets.bind import bind, bind_all
from vae_explorer.explorer.widgets.image_pane import ImagePane
from vae_explorer.explorer.widgets.spin_boxes import int_spin
from vae_explorer.trainer.files.imagegrid import tile
from vae_explorer.trainer.latent.paths import interpolate

PATH_POINTS = 64
NO_ENDS = "Click the map, then set A; click again, then set B."


class InterpolateSettings(EventedModel):
    FIELDS = {"steps": 10, "method": "linear", "frame": 0}
    SAVED = ("steps", "method", "frame")
    steps = Field()
    method = Field()
    frame = Field()


class InterpolatePage(QWidget):
    def __init__(self, settings: InterpolateSettings, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        ends = QHBoxLayout()
        self.set_a, self.set_b = QPushButton("Set &A = current"), QPushButton("Set &B = current")
        self.set_a.setToolTip("Use the last clicked point or position as the start (A)")
        self.set_b.setToolTip("Use the last clicked point or position as the end (B)")
        ends.addWidget(self.set_a)
        ends.addWidget(self.set_b)
        layout.addLayout(ends)
        self.ends_label = QLabel(NO_ENDS)
        self.ends_label.setWordWrap(True)
        layout.addWidget(self.ends_label)
        layout.addLayout(self._form(settings))
        self.strip = ImagePane(min_size=60)
        self.strip.setMaximumHeight(110)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Scrub through the frames (the ring on the map follows)")
        self.frame = ImagePane()
        for widget, stretch in ((self.strip, 0), (self.slider, 0), (self.frame, 1)):
            layout.addWidget(widget, stretch)
        bind(settings, "frame", self.slider)

    def _form(self, settings: InterpolateSettings) -> QFormLayout:
        form = QFormLayout()
        self.steps = int_spin(2, 64, 10)
        self.steps.setToolTip("How many frames the strip has, A and B included")
        self.method = QComboBox()
        self.method.addItem("linear", "linear")
        self.method.addItem("spherical", "spherical")
        self.method.setToolTip("Straight line, or along the great circle (keeps away from the origin)")
        form.addRow("Frames", self.steps)
        form.addRow("Path", self.method)
        bind_all(settings, {"steps": self.steps, "method": self.method})
        return form


class InterpolateTool:
    name, order = "interpolate", 20
    hint = "Decode a path from point A to point B: a strip of frames, drawn on the map"

    def __init__(self, ctx: ToolContext):
        self.ctx, self.session, self.state = ctx, ctx.session, ctx.state
        self.settings = InterpolateSettings()
        self.page = InterpolatePage(self.settings)
        self.frames: np.ndarray | None = None  # decoded frames (N×H×W×C), derived
        self.path: np.ndarray | None = None  # their latent points (N×D), derived
        self.line = pg.PlotDataItem([], [], pen=pg.mkPen((255, 255, 255), width=2))
        self.endpoints = pg.ScatterPlotItem(size=14, symbol="s", pen=pg.mkPen("w", width=2), brush=None)
        self.marker = pg.ScatterPlotItem(size=12, symbol="o", pen=pg.mkPen((255, 255, 0), width=2), brush=None)
        for item in (self.line, self.endpoints, self.marker):
            ctx.add_overlay(item, z=8)
        ctx.add_tab("Interpolate", self.page, self.order, self.hint)
        self.page.set_a.clicked.connect(lambda: self.set_endpoint("A"))
        self.page.set_b.clicked.connect(lambda: self.set_endpoint("B"))
        self.settings.changed.connect(self._settings_changed)
        self.state.changed.connect(self._state_changed)
        self.session.changed.connect(lambda names: self.update() if names & {"codes", "space"} else None)

    def set_endpoint(self, which: str) -> None:
        """Make the current point the interpolation's end ``which`` ("A" or "B")."""
        if self.state.current is None:
            self.ctx.status("Click the map first: the endpoint is the current point")
            return
        self.state.ends = {**self.state.ends, which: np.array(self.state.current, np.float32)}

    def _settings_changed(self, names) -> None:
        if names & {"steps", "method"}:
            self.update()
        elif "frame" in names:
            self.show_frame()

    def _state_changed(self, names) -> None:
        if names & {"ends", "projection"}:
            self.update()

    def update(self) -> None:
        """Decode the frames between A and B and draw the path (nothing without both ends)."""
        ends, space = self.state.ends, self.session.space
        self.page.ends_label.setText("  ".join(f"{k}: {fmt(v)}" for k, v in sorted(ends.items())) or NO_ENDS)
        if len(ends) < 2 or space is None:
            self.frames = self.path = None
            self._draw_path()
            return
        method, steps = self.settings.method, self.settings.steps
        self.path = interpolate(ends["A"], ends["B"], steps, method)
        self.frames = space.decode(self.path)
        self.page.strip.set_image(tile(self.frames, cols=len(self.frames), pad=1))
        self.page.slider.setRange(0, len(self.frames) - 1)
        self._draw_path()
        self.show_frame()

    def _draw_path(self) -> None:
        projection, ends = self.state.projection, self.state.ends
        if projection is None or self.path is None:
            for item in (self.line, self.endpoints, self.marker):
                item.setData([], [])
            return
        dense = projection.to_plane(interpolate(ends["A"], ends["B"], PATH_POINTS, self.settings.method))
        tips = projection.to_plane(np.stack([ends["A"], ends["B"]]))
        self.line.setData(dense[:, 0], dense[:, 1])
        self.endpoints.setData(tips[:, 0], tips[:, 1])

    def show_frame(self) -> None:
        """The frame the slider is at, and where it lies on the map."""
        if self.frames is None or not len(self.frames):
            return
        i = int(np.clip(self.settings.frame, 0, len(self.frames) - 1))
        self.page.frame.set_image(self.frames[i])
        if self.state.projection is not None and self.path is not None:
            p = self.state.projection.to_plane(self.path[i])[0]
            self.marker.setData([float(p[0])], [float(p[1])])

    def export_image(self) -> np.ndarray | None:
        """The strip as File ▸ Export writes it (pad 2)."""
        return None if self.frames is None else tile(self.frames, cols=len(self.frames))
