"""The exploring side panel: a decoded point, interpolation, traversal and the manifold grid.

A view only: it shows images and emits what the user asked for; ``MapController`` does
the decoding.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSlider,
    QTabWidget, QVBoxLayout, QWidget,
)

from vae_explorer.explorer.widgets.image_pane import ImagePane
from vae_explorer.explorer.widgets.spin_boxes import int_spin, real_spin


class ExplorePanel(QTabWidget):
    interpolation_changed = Signal()  # endpoints, steps or method changed
    set_endpoint = Signal(str)  # "A" or "B": take the current point
    frame_changed = Signal(int)
    traversal_changed = Signal()
    grid_requested = Signal()
    grid_overlay_toggled = Signal(bool)

    MIN_HEIGHT = 260  # px: what the panel asks of the window at least

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """A QTabWidget asks for the tallest page's minimum (the Draw page's, ~600 px), which
        squeezed the loss plot above the map to a strip whenever the Runs dock was open; a page
        that does not fit is cut at the bottom instead, until the window grows."""
        hint = super().minimumSizeHint()
        return QSize(hint.width(), min(hint.height(), self.MIN_HEIGHT))

    def __init__(self, parent=None):
        super().__init__(parent)
        self.addTab(self._point_tab(), "Point")
        self.addTab(self._interpolate_tab(), "Interpolate")
        self.traverse_tab = self._traverse_tab()
        self.addTab(self.traverse_tab, "Traverse")
        self.addTab(self._grid_tab(), "Grid")

    def clear_images(self) -> None:
        for pane in (self.decoded, self.original, self.reconstruction, self.strip, self.frame,
                     self.traversal, self.grid):
            pane.set_image(None)
        self.point_label.setText("—")
        self.ends_label.setText("Click the map, then set A; click again, then set B.")

    def show_original(self, original, reconstruction) -> None:
        """A held-out image beside its reconstruction (``None``: not a data point)."""
        self.original.set_image(original)
        self.reconstruction.set_image(reconstruction)

    def traversal_in_view(self) -> bool:
        return self.currentWidget() is self.traverse_tab

    # -- tabs -----------------------------------------------------------------------------
    def _point_tab(self) -> QWidget:
        tab = QWidget()
        layout = QGridLayout(tab)
        self.decoded = ImagePane()
        self.original = ImagePane()
        self.reconstruction = ImagePane()
        layout.addWidget(QLabel("Decoded point (click or hover the map)"), 0, 0, 1, 2)
        layout.addWidget(self.decoded, 1, 0, 1, 2)
        self.point_label = QLabel("—")
        self.point_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.point_label.setWordWrap(True)
        layout.addWidget(self.point_label, 2, 0, 1, 2)
        layout.addWidget(QLabel("Original"), 3, 0)
        layout.addWidget(QLabel("Reconstruction"), 3, 1)
        layout.addWidget(self.original, 4, 0)
        layout.addWidget(self.reconstruction, 4, 1)
        layout.setRowStretch(1, 3)
        layout.setRowStretch(4, 2)
        return tab

    def _endpoint_buttons(self) -> QHBoxLayout:
        ends = QHBoxLayout()
        self.set_a = QPushButton("Set &A = current")
        self.set_b = QPushButton("Set &B = current")
        self.set_a.setToolTip("Use the last clicked point or position as the start (A)")
        self.set_b.setToolTip("Use the last clicked point or position as the end (B)")
        self.set_a.clicked.connect(lambda: self.set_endpoint.emit("A"))
        self.set_b.clicked.connect(lambda: self.set_endpoint.emit("B"))
        ends.addWidget(self.set_a)
        ends.addWidget(self.set_b)
        return ends

    def _interpolate_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addLayout(self._endpoint_buttons())
        self.ends_label = QLabel("Click the map, then set A; click again, then set B.")
        self.ends_label.setWordWrap(True)
        layout.addWidget(self.ends_label)
        form = QFormLayout()
        self.steps = int_spin(2, 64, 10)
        self.method = QComboBox()
        self.method.addItems(["linear", "spherical"])
        form.addRow("Frames", self.steps)
        form.addRow("Path", self.method)
        layout.addLayout(form)
        self.steps.valueChanged.connect(self.interpolation_changed)
        self.method.currentIndexChanged.connect(self.interpolation_changed)
        self.strip = ImagePane(min_size=60)
        self.strip.setMaximumHeight(110)
        layout.addWidget(self.strip)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 9)
        self.slider.valueChanged.connect(self.frame_changed)
        layout.addWidget(self.slider)
        self.frame = ImagePane()
        layout.addWidget(self.frame, 1)
        return tab

    def _traverse_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        form = QFormLayout()
        self.traverse_steps = int_spin(3, 31, 9)
        self.traverse_span = real_spin(0.5, 10.0, 3.0, decimals=2, step=0.5)
        form.addRow("Steps", self.traverse_steps)
        form.addRow("Span ±", self.traverse_span)
        layout.addLayout(form)
        layout.addWidget(QLabel("One row per latent dimension, around the current point"))
        self.traversal = ImagePane()
        layout.addWidget(self.traversal, 1)
        self.traverse_steps.valueChanged.connect(self.traversal_changed)
        self.traverse_span.valueChanged.connect(self.traversal_changed)
        return tab

    def _grid_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        row = QHBoxLayout()
        self.grid_n = int_spin(2, 40, 15)
        self.grid_button = QPushButton("&Decode visible region")
        self.grid_button.clicked.connect(self.grid_requested)
        row.addWidget(QLabel("N×N, N ="))
        row.addWidget(self.grid_n)
        row.addWidget(self.grid_button)
        layout.addLayout(row)
        self.grid_overlay = QCheckBox("Overlay the grid on the map")
        self.grid_overlay.toggled.connect(self.grid_overlay_toggled)
        layout.addWidget(self.grid_overlay)
        self.grid = ImagePane()
        layout.addWidget(self.grid, 1)
        return tab
