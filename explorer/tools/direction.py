"""The Direction tool: walk the clicked point towards another class ("make this 4 look more like a 9").

From the clicked point z (its class: the clicked image's label, or the class whose mean is nearest
for a point that is not a data point) the slider decodes z + t·(μ(target) − μ(source)); the maths
is ``trainer.latent.class_tools``. One decode per slider step, on the GUI thread, only while the
page is in view. The moving point and its path are drawn with the map's projection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from vae_explorer.explorer.map.context import ToolContext
from vae_explorer.explorer.tools.class_pages import DirectionSettings, DirectionTab, fill_classes
from vae_explorer.trainer.latent import class_tools

if TYPE_CHECKING:
    from vae_explorer.trainer.model.space import LatentCodes

PATH_POINTS = 32


class ClassMeans:
    """{label: mean code} of the session's labelled codes, computed once per set of codes."""

    def __init__(self, session):
        self.session = session
        self._cached: tuple[LatentCodes, dict[int, np.ndarray]] | None = None

    def __call__(self) -> dict[int, np.ndarray] | None:
        codes = self.session.codes
        if codes is None or codes.labels is None:
            return None
        if self._cached is None or self._cached[0] is not codes:
            self._cached = codes, class_tools.class_means(codes.means, codes.labels)
        return self._cached[1]

    def labels(self) -> list[int]:
        codes = self.session.codes
        return [] if codes is None or codes.labels is None else sorted(int(v) for v in np.unique(codes.labels))


class DirectionTool:
    name, order = "direction", 50
    hint = "Walk the clicked point towards another class along the difference of class means"

    def __init__(self, ctx: ToolContext):
        self.ctx, self.session, self.state = ctx, ctx.session, ctx.state
        self.settings = DirectionSettings()
        self.page = DirectionTab(self.settings)
        self.centres = ClassMeans(self.session)
        self.marker = pg.ScatterPlotItem(size=16, symbol="star", pen=pg.mkPen("k"), brush=pg.mkBrush(255, 0, 255))
        self.line = pg.PlotDataItem([], [], pen=pg.mkPen((255, 0, 255, 180), width=2, style=Qt.PenStyle.DashLine))
        for item in (self.line, self.marker):
            ctx.add_overlay(item)
        ctx.add_tab("Direction", self.page, self.order, self.hint)
        self.session.changed.connect(self._session_changed)
        self.state.changed.connect(lambda names: self.update() if names & {"current", "projection"} else None)
        self.settings.changed.connect(lambda names: self.update())
        ctx.panel.currentChanged.connect(lambda _: self.update())

    def _session_changed(self, names) -> None:
        if "model" in names:
            self.page.clear()
        if names & {"model", "codes", "dataset"}:
            fill_classes(self.page.target, self.centres.labels(), self.session.label_names(), self.settings.target)
            self.settings.update(target=self.page.target.currentData())
            self.update()

    def source(self) -> tuple[np.ndarray, int] | None:
        """The clicked point and its class: its label, or the class whose mean is nearest."""
        centres, z = self.centres(), self.state.current
        if centres is None or z is None or len(z) != self.session.latent_dim:
            return None
        index, points = self.state.current_index, self.state.points
        labels = None if points is None else points.labels
        if index is not None and labels is not None and index < len(labels):
            return z, int(labels[index])
        return z, class_tools.nearest_class(z, centres)

    def walk(self) -> tuple[np.ndarray, int, int, np.ndarray] | None:
        """(start point, source class, target class, μ target − μ source), or None: no walk yet."""
        source, target = self.source(), self.settings.target
        if source is None or target is None or self.session.space is None:
            return None
        centres = self.centres()
        if centres is None or target not in centres:
            return None
        return source[0], source[1], int(target), class_tools.direction(centres, source[1], int(target))

    def update(self) -> None:
        """Decode the point the slider reached and draw it and its path: only while the page is
        in view (a click elsewhere decodes one point, not this one too)."""
        walk = self.walk() if self.ctx.in_view(self.page) else None
        if walk is None:
            self._draw(None)
            return
        z0, source, target, vector = walk
        t, name = self.settings.t, self.session.label_text
        z = class_tools.along_direction(z0, vector, t)
        self.page.source_label.setText(f"From the clicked point (class {name(source)}) towards class {name(target)}")
        self.page.amount.setText(f"t = {t:.2f} × (μ {name(target)} − μ {name(source)})")
        self.page.preview.set_image(self.session.space.decode(z)[0])
        self._draw((z, class_tools.along_direction(z0, vector, np.linspace(0, class_tools.DIRECTION_MAX, PATH_POINTS))))

    def _draw(self, points) -> None:
        """The moving point and its path, projected as the map projects any code (hidden: None)."""
        projection = self.state.projection
        if points is None or projection is None:
            self.marker.setData([], [])
            self.line.setData([], [])
            return
        here, line = projection.to_plane(points[0]), projection.to_plane(points[1])
        self.marker.setData(here[:, 0], here[:, 1])
        self.line.setData(line[:, 0], line[:, 1])
