"""Turns map clicks and panel requests into decodes, using the core's latent maths.

The map part: it owns ``MapState`` and its widgets (the latent map, the axes chooser, the
explore panel), follows the ``Session`` (a new model, new codes), and keeps what it decoded
so that exports reuse it. Decoding runs on the GUI thread on purpose: ``LatentSpace.decode``
is a compiled call of about a millisecond for one point (see ``benchmarks/``), cheaper than a
round trip to a thread. The traversal sheet (one decode per dimension and step) is decoded
only while its tab is shown, and when the tab comes into view.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject

from vae_explorer.explorer.map import layouts
from vae_explorer.explorer.map.axes import AxesChooser
from vae_explorer.explorer.map.explore_panel import ExplorePanel
from vae_explorer.explorer.map.latent_map import LatentMap
from vae_explorer.explorer.map.latent_tools import add_latent_tools
from vae_explorer.explorer.map.state import MapState
from vae_explorer.explorer.map.tsne_service import TSNEService
from vae_explorer.trainer.files.imagegrid import tile
from vae_explorer.trainer.latent.paths import interpolate, traverse

PATH_POINTS = 64


class MapController(QObject):
    """The map part; ``status(text)`` shows a line in the window's status bar."""

    def __init__(self, session, status, parent: QObject):
        super().__init__(parent)
        self.session, self.status = session, status
        self.state = MapState(self)
        self.tsne = TSNEService(self)
        self.map, self.panel, self.axes = LatentMap(), ExplorePanel(), AxesChooser(self.state)
        self._traversal = None  # (key, frames) of the sheet last decoded
        self._grid = None  # (key, image) of the grid last decoded
        self._connect()
        self.tools = add_latent_tools(self)  # class directions and samples, prior holes, epoch replay

    def _connect(self) -> None:
        self.map.position_clicked.connect(self.click_position)
        self.map.point_clicked.connect(self.click_point)
        self.map.hovered.connect(self.hover)
        p = self.panel
        p.set_endpoint.connect(self.set_endpoint)
        p.interpolation_changed.connect(self.update_interpolation)
        p.frame_changed.connect(self.show_frame)
        p.traversal_changed.connect(self.update_traversal)
        p.currentChanged.connect(lambda _: self.update_traversal())
        p.grid_requested.connect(self.update_grid)
        p.grid_overlay_toggled.connect(lambda on: self.update_grid() if on else self.map.show_grid(None, None))
        self.session.changed.connect(self._session_changed)
        self.state.changed.connect(self._state_changed)
        self.tsne.ready.connect(self._tsne_ready)
        self.tsne.failed.connect(lambda error: self.status(f"t-SNE layout failed: {error}"))

    def _session_changed(self, names) -> None:
        if "dataset" in names and self.session.dataset is not None:
            self.map.show_legend(self.session.dataset.y_test, self.session.label_names())
        if "model" in names:
            self.reset()
        if names & {"model", "codes"} or ("dataset" in names and self.state.codes is not None):
            self.refresh_map(keep_view="model" not in names)

    def _state_changed(self, names) -> None:
        if names & {"layout", "dims"}:
            self.refresh_map()

    def _tsne_ready(self, codes, layout) -> None:
        """A t-SNE layout arrived: show it, keeping the user's view (points drift, not jump)."""
        if self.session.codes is None:
            return
        self.state.update(tsne=layout, tsne_codes=codes)
        if layouts.effective_layout(self.state, layout.latent_dim) == "tsne":
            self.refresh_map(keep_view=True)

    # -- the map --------------------------------------------------------------------------
    def reset(self) -> None:
        """A different model: forget points, endpoints and images; follow the new data."""
        self.state.forget_points()
        self.tsne.forget()
        self._traversal = self._grid = None
        self.map.show_path(None)
        self.map.show_grid(None, None)
        self.map.getViewBox().enableAutoRange()
        self.axes.set_latent_dim(self.session.latent_dim)
        self.panel.clear_images()

    def refresh_map(self, keep_view: bool = False) -> None:
        """Redraw the scatter from the session's codes (after an epoch, a load, an axes change)."""
        codes = self.session.codes
        if codes is None or self.session.model is None:
            return
        projection, (x_name, y_name) = layouts.build(self.state, codes.means)
        self.state.update(codes=codes, projection=projection)
        tsne_shown = layouts.effective_layout(self.state, codes.means.shape[1]) == "tsne"
        if tsne_shown and self.state.tsne_codes is not codes:
            self.tsne.request(codes)  # in the background; until then the last layout places the points
        plane = projection.plane if projection is self.state.tsne and self.state.tsne_codes is codes \
            else projection.to_plane(codes.means)
        self.map.set_axis_names(x_name, y_name)
        self.map.set_points(plane, codes.labels, self.session.label_names(), keep_view=keep_view)
        self.axes.show_mode(self._mode_text(projection, plane, codes, tsne_shown))
        self.refresh_images()

    def _mode_text(self, projection, plane, codes, tsne_shown: bool) -> str:
        """Exact or approximate, t-SNE still computing, and the legibility of what is drawn."""
        from vae_explorer.trainer.maps.legibility import legibility

        if tsne_shown and projection.kind != "tsne":
            text = "computing the t-SNE layout… (PCA meanwhile)"
        elif projection.exact:
            text = "exact: every point of the plane is one latent point"
        else:
            text = "approximate: the plane decodes through an inverse map" + \
                (" · updating…" if self.tsne.computing else "")
        score = legibility(plane, codes.labels)
        return text if score is None else f"{text} · legibility {score:.0%}"

    def refresh_images(self) -> None:
        """Decode again with the current weights: the preview, the strip and the traversal."""
        self._traversal = self._grid = None
        if self.state.current is not None:
            self._show_current(self.state.current, self.state.current_index)
        if len(self.state.ends) == 2:
            self.update_interpolation()
        if self.panel.grid_overlay.isChecked():
            self.update_grid()

    # -- clicks and hover -----------------------------------------------------------------
    def click_position(self, x: float, y: float) -> None:
        if self.state.projection is None or self.session.space is None:
            return
        self._show_current(self.state.projection.from_plane([x, y])[0], None)

    def click_point(self, index: int) -> None:
        if self.session.codes is None or self.session.space is None:
            return
        self._show_current(self.session.codes.means[index], index)

    def hover(self, x: float, y: float) -> None:
        if self.state.projection is None or self.session.space is None:
            return
        z = self.state.projection.from_plane([x, y])[0]
        self.panel.decoded.set_image(self.session.space.decode(z)[0])
        self.panel.point_label.setText(f"hover z = {fmt(z)}")

    def _show_current(self, z: np.ndarray, index: int | None) -> None:
        current = np.asarray(z, np.float32)
        self.state.update(current=current, current_index=index)
        decoded = self.session.space.decode(current)[0]
        self.panel.decoded.set_image(decoded)
        projection = self.state.projection
        plane = projection.to_plane(current)[0] if projection else current[:2]
        self.map.show_cursor(float(plane[0]), float(plane[-1] if len(plane) > 1 else 0.0))
        images = self.session.held_out_images()
        if index is not None and images is not None:
            self.panel.show_original(images[index], decoded)
            text = f"held-out image #{index}{self._label_text(index)}, encoded mean {fmt(current)}"
        else:
            self.panel.show_original(None, None)
            text = f"z = {fmt(current)}"
        self.panel.point_label.setText(text)
        self.status(text)
        self._traversal = None
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
        if self.state.current is None:
            self.status("Click the map first: the endpoint is the current point")
            return
        self.set_endpoint_at(which, self.state.current)

    def set_endpoint_at(self, which: str, z: np.ndarray) -> None:
        """Make the latent point ``z`` the interpolation's end ``which`` ("A" or "B")."""
        self.state.ends = {**self.state.ends, which: np.array(z, np.float32)}
        self.panel.ends_label.setText("  ".join(f"{k}: {fmt(v)}" for k, v in sorted(self.state.ends.items())))
        self.update_interpolation()

    def update_interpolation(self) -> None:
        ends = self.state.ends
        if len(ends) < 2 or self.session.space is None:
            return
        method = self.panel.method.currentText()
        path = interpolate(ends["A"], ends["B"], self.panel.steps.value(), method)
        frames = self.session.space.decode(path)
        self.state.update(frames=frames, path=path)
        self.panel.strip.set_image(tile(frames, cols=len(frames), pad=1))
        self.panel.slider.setRange(0, len(frames) - 1)
        projection = self.state.projection
        if projection is not None:
            dense = interpolate(ends["A"], ends["B"], PATH_POINTS, method)
            self.map.show_path(projection.to_plane(dense), projection.to_plane(np.stack([ends["A"], ends["B"]])))
        self.show_frame(self.panel.slider.value())

    def show_frame(self, i: int) -> None:
        frames = self.state.frames
        if frames is None or not len(frames):
            return
        i = int(np.clip(i, 0, len(frames) - 1))
        self.panel.frame.set_image(frames[i])
        if self.state.projection is not None and self.state.path is not None:
            p = self.state.projection.to_plane(self.state.path[i])[0]
            self.map.cursor.setData([float(p[0])], [float(p[1])])

    # -- traversal and grid: decoded once, reused by the exports ---------------------------
    def traversal_frames(self) -> np.ndarray | None:
        """One row per latent dimension around the current point (decoded now if not yet)."""
        if self.state.current is None or self.session.space is None:
            return None
        steps, span = self.panel.traverse_steps.value(), self.panel.traverse_span.value()
        key = (steps, span)
        if self._traversal is None or self._traversal[0] != key:
            self._traversal = key, self.session.space.decode(traverse(self.state.current, steps, span))
        return self._traversal[1]

    def update_traversal(self) -> None:
        """Show the sheet, if its tab is the one in view (it is decoded when it comes into view)."""
        if not self.panel.traversal_in_view():
            return
        frames = self.traversal_frames()
        if frames is not None:
            self.panel.traversal.set_image(tile(frames, cols=self.panel.traverse_steps.value(), pad=1))

    def export_image(self, what: str) -> np.ndarray | None:
        """``"grid"``, ``"interpolation"``, ``"traversal"`` or ``"class_samples"`` as exported (pad 2),
        from what is decoded."""
        if what == "grid":
            return self.grid_image()
        if what == "class_samples":
            return self.tools.classes.sample_grid(pad=2)
        frames = self.state.frames if what == "interpolation" else self.traversal_frames()
        if frames is None:
            return None
        return tile(frames, cols=len(frames) if what == "interpolation" else self.panel.traverse_steps.value())

    def fit_view(self) -> None:
        self.map.getViewBox().enableAutoRange()

    def grid_image(self) -> np.ndarray | None:
        """The N×N grid over the visible region: the one shown if it still fits, else decoded."""
        key = (self.panel.grid_n.value(), self.map.visible_region())
        if self._grid is not None and self._grid[0] == key:
            return self._grid[1]
        return self.update_grid()

    def update_grid(self) -> np.ndarray | None:
        """Decode an N×N grid over the visible region; show it and (optionally) on the map."""
        from vae_explorer.trainer.files.exports import manifold_grid

        if self.state.projection is None or self.session.space is None:
            return None
        n = self.panel.grid_n.value()
        (x0, x1), (y0, y1) = region = self.map.visible_region()
        image = manifold_grid(self.session.space, self.state.projection, n, (x0, x1), (y0, y1))
        self._grid = (n, region), image
        self.panel.grid.set_image(image)
        if self.panel.grid_overlay.isChecked():
            # Tile centres sit on the grid points: widen the rect by half a tile each side.
            dx, dy = (x1 - x0) / max(n - 1, 1), (y1 - y0) / max(n - 1, 1)
            self.map.show_grid(image, (x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy))
        return image


def fmt(z) -> str:
    z = np.asarray(z).reshape(-1)
    shown = ", ".join(f"{v:.2f}" for v in z[:6])
    return f"({shown}{', …' if len(z) > 6 else ''})"
