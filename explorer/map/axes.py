"""The map's axes chooser: PCA components or two chosen latent dimensions (latent dim > 2).

A view of ``MapState.layout`` and ``MapState.dims``: it writes them when the user changes it
and follows them when something else does.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from vae_explorer.explorer.map.state import MapState


class AxesChooser(QWidget):
    def __init__(self, state: MapState, parent=None):
        super().__init__(parent)
        self.state = state
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.pca = QCheckBox("PCA axes")
        self.pca.setChecked(True)
        self.x_dim, self.y_dim = QSpinBox(), QSpinBox()
        self.x_dim.setPrefix("x = z[")
        self.y_dim.setPrefix("y = z[")
        for spin in (self.x_dim, self.y_dim):
            spin.setSuffix("]")
        self.y_dim.setValue(1)
        layout.addWidget(QLabel("Map axes:"))
        layout.addWidget(self.pca)
        layout.addWidget(self.x_dim)
        layout.addWidget(self.y_dim)
        layout.addStretch(1)
        self.pca.toggled.connect(self._edited)
        self.x_dim.valueChanged.connect(self._edited)
        self.y_dim.valueChanged.connect(self._edited)
        state.changed.connect(self._state_changed)
        self.set_latent_dim(2)

    def set_latent_dim(self, dim: int) -> None:
        for spin in (self.x_dim, self.y_dim):
            spin.setRange(0, max(0, dim - 1))
        self.setEnabled(dim > 2)
        self._sync_enabled()

    def _sync_enabled(self) -> None:
        for spin in (self.x_dim, self.y_dim):
            spin.setEnabled(not self.pca.isChecked() and self.isEnabled())

    def _edited(self) -> None:
        self._sync_enabled()
        self.state.update(layout="pca" if self.pca.isChecked() else "dims",
                          dims=(self.x_dim.value(), self.y_dim.value()))

    def _state_changed(self, names) -> None:
        if not names & {"layout", "dims"}:
            return
        for widget, value in ((self.pca, self.state.layout == "pca"), (self.x_dim, self.state.dims[0]),
                              (self.y_dim, self.state.dims[1])):
            widget.blockSignals(True)
            (widget.setChecked if widget is self.pca else widget.setValue)(value)
            widget.blockSignals(False)
        self._sync_enabled()
