"""The map's layout chooser: t-SNE, PCA or two chosen latent dimensions (latent dim > 2).

The names and tips come from the trainer's one layout registry (``trainer.maps.layouts``), as
``vae-explorer export --layout`` takes them. A view of ``MapState.layout`` and ``MapState.dims``:
it writes them when the user changes it and follows them when something else does. Beside it, a
line says which kind of map is showing: *exact* (the latent plane, a PCA slice, two dimensions:
every point of the plane is one latent point) or *approximate* (a t-SNE layout: the plane decodes
through an inverse map), and how legible the map is.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QSpinBox, QWidget

from vae_explorer.explorer.map.state import MapState
from vae_explorer.trainer.maps.layouts import LAYOUTS

CHOICES = ("tsne", "pca", "dims")  # above two latent dimensions; at two, the latent plane itself
POINTS_TEXT = {"held-out": "held-out", "train": "training", "all": "all"}  # trainer.maps.points.WHICH
MODE_TIP = (
    "Legibility: the share of images whose 5 nearest neighbours on the map mostly have the same label. "
    "Neighbours kept: the share of each image's 10 nearest codes that stay among its 10 nearest on the map"
)


class OneLineLabel(QLabel):
    """A line of text that never changes the size of its row: drawn elided to the width it is
    given, whole in its tooltip. Wrapped, a text one line longer than the last made the map
    below shorter, and every dot and axis was repainted (40-60 ms of opening a model)."""

    def __init__(self, tip: str):
        super().__init__("")
        self._tip = tip
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.setToolTip(tip)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        self.setToolTip(f"{text}\n\n{self._tip}" if text else self._tip)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.width())
        QPainter(self).drawText(self.rect(), int(self.alignment()), shown)


class AxesChooser(QWidget):
    def __init__(self, state: MapState, parent=None):
        super().__init__(parent)
        self.state = state
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.points_box = QComboBox()
        for key, text in POINTS_TEXT.items():
            self.points_box.addItem(text, key)
        self.points_box.setToolTip(
            "Which images the map shows: the held-out set, the training set or both (up to 100,000; "
            "above that a stratified sample)"
        )
        self.layout_box = QComboBox()
        for name in CHOICES:
            self.layout_box.addItem(LAYOUTS[name].title, name)
            self.layout_box.setItemData(self.layout_box.count() - 1, LAYOUTS[name].tip, 3)  # 3: Qt.ToolTipRole
        self.x_dim, self.y_dim = QSpinBox(), QSpinBox()
        for spin, axis in ((self.x_dim, "x"), (self.y_dim, "y")):
            spin.setPrefix(f"{axis} = z[")
            spin.setSuffix("]")
            spin.setToolTip(f"The latent dimension drawn on the {axis} axis of the two-dimensions map")
        self.y_dim.setValue(1)
        self.mode = OneLineLabel(MODE_TIP)
        for widget in (QLabel("Points:"), self.points_box, QLabel("Map:"), self.layout_box, self.x_dim, self.y_dim):
            layout.addWidget(widget)
        layout.addWidget(self.mode, 1)  # the rest of the row
        self._row = layout
        self.layout_box.currentIndexChanged.connect(self._edited)
        self.points_box.currentIndexChanged.connect(lambda _: state.update(which=self.points_box.currentData()))
        self.x_dim.valueChanged.connect(self._edited)
        self.y_dim.valueChanged.connect(self._edited)
        state.changed.connect(self._state_changed)
        self._show_state()
        self.set_latent_dim(2)

    def add_widget(self, widget: QWidget) -> None:
        """Another control in this row, before the line that says what the map shows."""
        self._row.insertWidget(self._row.count() - 1, widget)

    def choose(self, name: str) -> None:
        """Select the layout called ``name`` as a user would, through the combo box."""
        self.layout_box.setCurrentIndex(self.layout_box.findData(name))

    def set_latent_dim(self, dim: int) -> None:
        for spin in (self.x_dim, self.y_dim):
            spin.setRange(0, max(0, dim - 1))
        self.layout_box.setEnabled(dim > 2)
        self.layout_box.setToolTip(
            "How the map lays the latent space out on the plane (each choice says more)"
            if dim > 2
            else "A latent space of two dimensions is its own map"
        )
        self._sync_enabled()

    def show_mode(self, text: str) -> None:
        self.mode.setText(text)

    def _sync_enabled(self) -> None:
        dims = self.layout_box.currentData() == "dims" and self.layout_box.isEnabled()
        for spin in (self.x_dim, self.y_dim):
            spin.setVisible(dims)

    def _edited(self) -> None:
        self._sync_enabled()
        self.state.update(layout=self.layout_box.currentData(), dims=(self.x_dim.value(), self.y_dim.value()))

    def _state_changed(self, names) -> None:
        if names & {"layout", "dims", "which"}:
            self._show_state()

    def _show_state(self) -> None:
        for widget, set_value, value in (
            (self.points_box, self.points_box.setCurrentIndex, self.points_box.findData(self.state.which)),
            (self.layout_box, self.layout_box.setCurrentIndex, self.layout_box.findData(self.state.layout)),
            (self.x_dim, self.x_dim.setValue, self.state.dims[0]),
            (self.y_dim, self.y_dim.setValue, self.state.dims[1]),
        ):
            widget.blockSignals(True)
            set_value(value)
            widget.blockSignals(False)
        self._sync_enabled()
