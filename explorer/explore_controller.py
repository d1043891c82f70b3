"""Turns map clicks and panel requests into decodes, using the core's latent maths.

Decoding runs on the GUI thread on purpose: ``LatentSpace.decode`` is a compiled call of about
a millisecond for one point (see ``benchmarks/``), cheaper than a round trip to a thread.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from vae_explorer.explorer.explore_panel import ExplorePanel
from vae_explorer.explorer.latent_map import LatentMap
from vae_explorer.explorer.session import Session
from vae_explorer.trainer.exports import manifold_grid, traversal_sheet
from vae_explorer.trainer.imagegrid import tile
from vae_explorer.trainer.latent import Projection, interpolate

PATH_POINTS = 64


class AxesChooser(QWidget):
    """For latent dim > 2: the map's axes are PCA components or two chosen dimensions."""

    def __init__(self, parent=None):
        super().__init__(parent)
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
        self.pca.toggled.connect(self._sync)
        self.set_latent_dim(2)

    def _sync(self) -> None:
        for spin in (self.x_dim, self.y_dim):
            spin.setEnabled(not self.pca.isChecked() and self.isEnabled())

    def set_latent_dim(self, dim: int) -> None:
        for spin in (self.x_dim, self.y_dim):
            spin.setRange(0, max(0, dim - 1))
        self.setEnabled(dim > 2)
        self._sync()

    def dims(self) -> tuple[int, int] | None:
        if self.pca.isChecked() or not self.isEnabled():
            return None
        return self.x_dim.value(), self.y_dim.value()


class ExploreController(QObject):
    """Owns the current latent point, the interpolation endpoints and the map's projection."""

    def __init__(self, session: Session, latent_map: LatentMap, panel: ExplorePanel,
                 axes: AxesChooser, status=None):
        super().__init__(latent_map)
        self.session, self.map, self.panel, self.axes = session, latent_map, panel, axes
        self.status = status or (lambda text: None)
        self.projection: Projection | None = None
        self.current: np.ndarray | None = None
        self.current_index: int | None = None
        self.ends: dict[str, np.ndarray] = {}
        self.frames: np.ndarray | None = None
        self.path: np.ndarray | None = None
        latent_map.position_clicked.connect(self.click_position)
        latent_map.point_clicked.connect(self.click_point)
        latent_map.hovered.connect(self.hover)
        panel.set_endpoint.connect(self.set_endpoint)
        panel.interpolation_changed.connect(self.update_interpolation)
        panel.frame_changed.connect(self.show_frame)
        panel.traversal_changed.connect(self.update_traversal)
        panel.grid_requested.connect(self.update_grid)
        panel.grid_overlay_toggled.connect(lambda on: self.update_grid() if on else latent_map.show_grid(None, None))
        axes.pca.toggled.connect(lambda: self.refresh_map())
        axes.x_dim.valueChanged.connect(lambda: self.refresh_map())
        axes.y_dim.valueChanged.connect(lambda: self.refresh_map())

    # -- the map --------------------------------------------------------------------------
    def reset(self) -> None:
        """A different model: forget points, endpoints and images."""
        self.projection = None
        self.current = self.current_index = None
        self.ends.clear()
        self.frames = self.path = None
        self.map.show_path(None)
        self.map.show_grid(None, None)
        self.axes.set_latent_dim(self.session.latent_dim)
        for pane in (self.panel.decoded, self.panel.original, self.panel.reconstruction,
                     self.panel.strip, self.panel.frame, self.panel.traversal, self.panel.grid):
            pane.set_image(None)
        self.panel.point_label.setText("—")
        self.panel.ends_label.setText("Click the map, then set A; click again, then set B.")

    def refresh_map(self, keep_view: bool = False) -> None:
        """Redraw the scatter from the session's codes (after an epoch, a load, an axes change)."""
        codes = self.session.codes
        if codes is None or self.session.model is None:
            return
        previous = self.projection
        projection = Projection(codes.means, self.axes.dims())
        if previous is not None and projection.kind == "pca" and previous.kind == "pca":
            signs = np.sign(np.sum(projection.basis * previous.basis, axis=1))
            projection.basis *= np.where(signs == 0, 1, signs)[:, None]  # no flipping between epochs
        self.projection = projection
        names = {"identity": ("z[0]", "z[1]"), "pca": ("PCA 1", "PCA 2")}
        dims = self.axes.dims()
        x_name, y_name = names.get(projection.kind, (f"z[{dims[0]}]", f"z[{dims[1]}]") if dims else ("z[0]", ""))
        if self.session.latent_dim == 1:
            x_name, y_name = "z[0]", "(none)"
        self.map.set_axis_names(x_name, y_name)
        self.map.set_points(projection.to_plane(codes.means), codes.labels, self.session.label_names(),
                            keep_view=keep_view)
        self.refresh_images()

    def refresh_images(self) -> None:
        """Decode again with the current weights: the preview, the strip and the traversal."""
        if self.current is not None:
            self._show_current(self.current, self.current_index)
        if len(self.ends) == 2:
            self.update_interpolation()
        if self.panel.grid_overlay.isChecked():
            self.update_grid()

    # -- clicks and hover -----------------------------------------------------------------
    def click_position(self, x: float, y: float) -> None:
        if self.projection is None or self.session.space is None:
            return
        self._show_current(self.projection.from_plane([x, y])[0], None)

    def click_point(self, index: int) -> None:
        if self.session.codes is None or self.session.space is None:
            return
        self._show_current(self.session.codes.means[index], index)

    def hover(self, x: float, y: float) -> None:
        if self.projection is None or self.session.space is None:
            return
        z = self.projection.from_plane([x, y])[0]
        self.panel.decoded.set_image(self.session.space.decode(z)[0])
        self.panel.point_label.setText(f"hover z = {_fmt(z)}")

    def _show_current(self, z: np.ndarray, index: int | None) -> None:
        self.current, self.current_index = np.asarray(z, np.float32), index
        space = self.session.space
        decoded = space.decode(self.current)[0]
        self.panel.decoded.set_image(decoded)
        plane = self.projection.to_plane(self.current)[0] if self.projection else self.current[:2]
        self.map.show_cursor(float(plane[0]), float(plane[-1] if len(plane) > 1 else 0.0))
        text = f"z = {_fmt(self.current)}"
        images = self.session.held_out_images()
        if index is not None and images is not None:
            self.panel.original.set_image(images[index])
            self.panel.reconstruction.set_image(decoded)
            label = self._label_text(index)
            text = f"held-out image #{index}{label}, encoded mean {_fmt(self.current)}"
        else:
            self.panel.original.set_image(None)
            self.panel.reconstruction.set_image(None)
        self.panel.point_label.setText(text)
        self.status(text)
        self.update_traversal()

    def _label_text(self, index: int) -> str:
        labels = self.session.codes.labels
        if labels is None:
            return ""
        names = self.session.label_names()
        v = int(labels[index])
        return f" (label {names[v] if names and v < len(names) else v})"

    # -- interpolation --------------------------------------------------------------------
    def set_endpoint(self, which: str) -> None:
        if self.current is None:
            self.status("Click the map first: the endpoint is the current point")
            return
        self.ends[which] = self.current.copy()
        self.panel.ends_label.setText("  ".join(f"{k}: {_fmt(v)}" for k, v in sorted(self.ends.items())))
        self.update_interpolation()

    def update_interpolation(self) -> None:
        if len(self.ends) < 2 or self.session.space is None:
            return
        steps, method = self.panel.steps.value(), self.panel.method.currentText()
        path = interpolate(self.ends["A"], self.ends["B"], steps, method)
        self.frames = self.session.space.decode(path)
        self.path = path
        self.panel.strip.set_image(tile(self.frames, cols=len(self.frames), pad=1))
        self.panel.slider.setRange(0, len(self.frames) - 1)
        dense = interpolate(self.ends["A"], self.ends["B"], PATH_POINTS, method)
        if self.projection is not None:
            ends = self.projection.to_plane(np.stack([self.ends["A"], self.ends["B"]]))
            self.map.show_path(self.projection.to_plane(dense), ends)
        self.show_frame(self.panel.slider.value())

    def show_frame(self, i: int) -> None:
        if self.frames is None or not len(self.frames):
            return
        i = int(np.clip(i, 0, len(self.frames) - 1))
        self.panel.frame.set_image(self.frames[i])
        if self.projection is not None and self.path is not None:
            p = self.projection.to_plane(self.path[i])[0]
            self.map.cursor.setData([float(p[0])], [float(p[1])])

    # -- traversal and grid ---------------------------------------------------------------
    def update_traversal(self) -> None:
        if self.current is None or self.session.space is None:
            return
        self.panel.traversal.set_image(traversal_sheet(
            self.session.space, self.current, self.panel.traverse_steps.value(),
            self.panel.traverse_span.value(), pad=1))

    def update_grid(self) -> np.ndarray | None:
        """Decode an N×N grid over the visible region; show it and (optionally) on the map."""
        if self.projection is None or self.session.space is None:
            return None
        n = self.panel.grid_n.value()
        (x0, x1), (y0, y1) = self.map.visible_region()
        image = manifold_grid(self.session.space, self.projection, n, (x0, x1), (y0, y1))
        self.panel.grid.set_image(image)
        if self.panel.grid_overlay.isChecked():
            # Tile centres sit on the grid points: widen the rect by half a tile each side.
            dx, dy = (x1 - x0) / max(n - 1, 1), (y1 - y0) / max(n - 1, 1)
            self.map.show_grid(image, (x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy))
        return image


def _fmt(z) -> str:
    z = np.asarray(z).reshape(-1)
    shown = ", ".join(f"{v:.2f}" for v in z[:6])
    return f"({shown}{', …' if len(z) > 6 else ''})"
