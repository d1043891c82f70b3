"""Class tools of the map part: walk the clicked point towards another class, sample a class.

Follows the map part's ``MapState`` (the clicked point, the projection) and the ``Session``
(the codes and their labels); the maths is ``trainer.latent.class_tools``. Decoding runs on the GUI
thread, like the map part's own (one decode per slider step; a grid of samples only while its
tab is in view). The moving point is drawn on the map with the map's current projection.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt

from vae_explorer.explorer.map.class_tabs import ClassSamplesTab, DirectionTab, fill_classes
from vae_explorer.trainer.latent import class_tools
from vae_explorer.trainer.files.imagegrid import tile

PATH_POINTS = 32


class ClassToolsController(QObject):
    """Adds the Direction and Class samples tabs to the map part ``part`` (a ``MapController``)."""

    def __init__(self, part):
        super().__init__(part)
        self.part, self.session, self.state = part, part.session, part.state
        self.direction_tab, self.samples_tab = DirectionTab(), ClassSamplesTab()
        part.panel.addTab(self.direction_tab, "Direction")
        part.panel.addTab(self.samples_tab, "Class samples")
        self.marker = pg.ScatterPlotItem(size=16, symbol="star", pen=pg.mkPen("k"), brush=pg.mkBrush(255, 0, 255))
        self.line = pg.PlotDataItem([], [], pen=pg.mkPen((255, 0, 255, 180), width=2, style=Qt.PenStyle.DashLine))
        for item in (self.line, self.marker):
            part.map.addItem(item, ignoreBounds=True)
        self._centres = None  # (codes, {label: mean code}) of the codes last seen
        self._samples = None  # (key, codes, decoded samples) last decoded
        self.session.changed.connect(self._session_changed)
        self.state.changed.connect(self._state_changed)
        self.direction_tab.changed.connect(self.update_direction)
        self.samples_tab.changed.connect(self.update_samples)
        part.panel.currentChanged.connect(self._tab_changed)

    # -- following the session and the map ------------------------------------------------
    def _session_changed(self, names) -> None:
        if "model" in names:
            self._samples = None
            self.direction_tab.clear()
            self.samples_tab.grid.set_image(None)
        if names & {"model", "codes", "dataset"}:
            self._fill_class_boxes()
            self.update_direction()
            self.update_samples()

    def _state_changed(self, names) -> None:
        if names & {"current", "current_index", "projection"}:
            self.update_direction()

    def _tab_changed(self, _index: int) -> None:
        self.update_direction()
        self.update_samples()

    def _fill_class_boxes(self) -> None:
        codes = self.session.codes
        labels = [] if codes is None or codes.labels is None else sorted(int(v) for v in np.unique(codes.labels))
        names = self.session.label_names()
        fill_classes(self.direction_tab.target, labels, names)
        fill_classes(self.samples_tab.label_box, labels, names)
        self.samples_tab.note.setText("" if labels else "The held-out set has no labels: no classes to sample.")

    def centres(self) -> dict[int, np.ndarray] | None:
        """{label: mean code} of the session's labelled codes (computed once per set of codes)."""
        codes = self.session.codes
        if codes is None or codes.labels is None:
            return None
        if self._centres is None or self._centres[0] is not codes:
            self._centres = codes, class_tools.class_means(codes.means, codes.labels)
        return self._centres[1]

    # -- the direction --------------------------------------------------------------------
    def source(self) -> tuple[np.ndarray, int] | None:
        """The clicked point and its class: its label, or the class whose mean is nearest."""
        centres, z = self.centres(), self.state.current
        if centres is None or z is None or len(z) != self.session.latent_dim:
            return None
        index, labels = self.state.current_index, self.session.codes.labels
        if index is not None and index < len(labels):
            return z, int(labels[index])
        return z, class_tools.nearest_class(z, centres)

    def walk(self) -> tuple[np.ndarray, int, int, np.ndarray] | None:
        """(start point, source class, target class, μ target − μ source), or None: no walk yet."""
        source, target = self.source(), self.direction_tab.target.currentData()
        if source is None or target is None or self.session.space is None:
            return None
        return source[0], source[1], int(target), class_tools.direction(self.centres(), source[1], int(target))

    def update_direction(self) -> None:
        """Decode the point the slider reached, and draw it and its path on the map: only while
        the tab is in view (a click elsewhere decodes one point, not this one too)."""
        tab = self.direction_tab
        walk = self.walk() if self.part.panel.currentWidget() is tab else None
        if walk is None:
            self._draw_on_map(None)
            return
        z0, source, target, vector = walk
        z = class_tools.along_direction(z0, vector, tab.t)
        names = self.session.label_names()
        name = lambda v: names[v] if names and v < len(names) else str(v)  # noqa: E731
        tab.source_label.setText(f"From the clicked point (class {name(source)}) towards class {name(target)}")
        tab.amount.setText(f"t = {tab.t:.2f} × (μ {name(target)} − μ {name(source)})")
        tab.preview.set_image(self.session.space.decode(z)[0])
        path = class_tools.along_direction(z0, vector, np.linspace(0, class_tools.DIRECTION_MAX, PATH_POINTS))
        self._draw_on_map((z, path))

    def _draw_on_map(self, points) -> None:
        """The moving point and its path, projected as the map projects any code (hidden: None)."""
        projection = self.state.projection
        if points is None or projection is None:
            self.marker.setData([], [])
            self.line.setData([], [])
            return
        z, path = points
        here, line = projection.to_plane(z), projection.to_plane(path)
        self.marker.setData(here[:, 0], here[:, 1])
        self.line.setData(line[:, 0], line[:, 1])

    # -- samples of a class ---------------------------------------------------------------
    def sample_grid(self, pad: int = 1) -> np.ndarray | None:
        """The N×N grid of decoded samples of the chosen class (decoded now if not yet);
        ``pad`` 2 is the exports' spacing."""
        tab, codes = self.samples_tab, self.session.codes
        label = tab.label_box.currentData()
        if codes is None or codes.labels is None or label is None or self.session.space is None:
            return None
        n = tab.grid_n.value()
        key = (int(label), n, tab.seed.value())
        if self._samples is None or self._samples[0] != key or self._samples[1] is not codes:
            z = class_tools.class_samples(codes.means, codes.labels, int(label), n * n, tab.seed.value())
            self._samples = key, codes, self.session.space.decode(z)
        return tile(self._samples[2], cols=n, pad=pad)

    def update_samples(self) -> None:
        """Show the grid, if its tab is the one in view (it is decoded when it comes into view)."""
        if self.part.panel.currentWidget() is not self.samples_tab:
            return
        self.samples_tab.grid.set_image(self.sample_grid())
