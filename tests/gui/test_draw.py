"""Bring your own image, through the real window: draw with the mouse, drop and open image files,
take them off the map, interpolate from a drawing, and the posterior ellipse of a clicked point."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from tests.gui.helpers import open_model, shown_image
from tests.gui.test_main_window import click_map
from tests.test_own_images import dark_seven_on_white
from vae_explorer.trainer.files.imagegrid import write_png

LEFT, NO_MOD = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier


def draw_stroke(qtbot, canvas, points) -> None:
    """Press at the first image point, move through the others, release at the last: as a hand would."""
    at = [canvas.to_widget(x, y).toPoint() for x, y in points]
    qtbot.mousePress(canvas, LEFT, NO_MOD, at[0])
    for pos in at[1:]:
        qtbot.mouseMove(canvas, pos)
    qtbot.mouseRelease(canvas, LEFT, NO_MOD, at[-1])


def drop_files(window, paths) -> bool:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, NO_MOD)
    QApplication.sendEvent(window, enter)
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, NO_MOD)
    QApplication.sendEvent(window, event)
    return enter.isAccepted() and event.isAccepted()


def marker_positions(item) -> np.ndarray:
    return np.c_[item.data["x"], item.data["y"]]


@pytest.fixture
def opened(window, gui_model_file):
    """The window with the 2-D `dense` model open and the Draw tab in view."""
    assert open_model(window, str(gui_model_file[0]))
    window.map.panel.setCurrentWidget(window.draw.panel)
    return window


@pytest.fixture
def image_files(tmp_path, mnist_small):
    digit, photo = tmp_path / "digit.png", tmp_path / "photo.jpg.png"
    write_png(digit, mnist_small.x_test[7])
    write_png(photo, dark_seven_on_white())
    return digit, photo


def test_a_stroke_is_encoded_placed_and_reconstructed_as_it_is_drawn(opened, qtbot):
    canvas, space, draw = opened.draw.panel.canvas, opened.session.space, opened.draw
    assert canvas.image_shape() == (28, 28) and canvas.scale >= 8
    draw_stroke(qtbot, canvas, [(8, 6), (20, 6), (14, 22)])  # a 7
    pixels = canvas.pixels()
    assert pixels[6, 8:20].min() > 0.5 and pixels[0].max() == 0  # white ink on black, where drawn
    mean, _ = space.encode(pixels[None, ..., None])
    np.testing.assert_allclose(draw.state.drawing.encoded.mean, mean[0], atol=1e-6)
    expected = opened.map.state.projection.to_plane(mean)
    np.testing.assert_allclose(marker_positions(draw.markers.drawing), expected, atol=1e-5)
    np.testing.assert_allclose(shown_image(draw.panel.reconstruction), space.decode(mean)[0][..., 0], atol=1e-6)
    assert "nearest held-out:" in draw.panel.drawing_info.text()
    # every stroke event moves the marker: one more segment, a new code
    draw_stroke(qtbot, canvas, [(4, 14), (24, 14)])
    assert not np.allclose(draw.state.drawing.encoded.mean, mean[0])
    qtbot.mouseClick(draw.panel.clear, LEFT)
    assert draw.state.drawing is None and len(draw.markers.drawing.data) == 0


def test_the_eraser_takes_ink_away(opened, qtbot):
    panel = opened.draw.panel
    draw_stroke(qtbot, panel.canvas, [(4, 14), (24, 14)])
    qtbot.mouseClick(panel.eraser, LEFT)
    panel.brush.setValue(4.0)
    draw_stroke(qtbot, panel.canvas, [(2, 14), (26, 14)])
    assert panel.canvas.pixels().max() == 0 and opened.draw.state.drawing is None


def test_dropped_images_land_at_their_encoded_means_and_can_be_removed(opened, qtbot, image_files):
    from vae_explorer.trainer.data.user_image import prepare_image

    draw, space = opened.draw, opened.session.space
    assert drop_files(opened, image_files)
    qtbot.waitUntil(lambda: len(draw.state.images) == 2, timeout=20_000)
    by_name = {image.name: image for image in draw.state.images}
    means = []
    for path in image_files:
        pixels = prepare_image(path, (28, 28, 1), white_on_black=True).pixels
        means.append(space.encode(pixels[None])[0][0])
        np.testing.assert_allclose(by_name[path.name].encoded.mean, means[-1], atol=1e-6)
    expected = opened.map.state.projection.to_plane(
        np.stack([by_name[p.name].encoded.mean for p in (i for i in draw.state.images)])
    )
    np.testing.assert_allclose(marker_positions(draw.markers.images), expected, atol=1e-5)
    assert [t.toPlainText() for t in draw.markers.names if t.isVisible()] == [i.name for i in draw.state.images]
    rows = [draw.panel.images.item(i).text() for i in range(draw.panel.images.count())]
    assert "photo.jpg.png (inverted)" in rows and "digit.png" in rows
    assert len(opened.draw.ellipses.ellipses["markers"]) == 2  # the latent plane: each has its ellipse
    # Delete on the selected row, then the Remove button
    draw.panel.images.setCurrentRow(1)
    draw.panel.images.setFocus()
    qtbot.keyClick(draw.panel.images, Qt.Key.Key_Delete)
    assert len(draw.state.images) == 1 and len(draw.markers.images.data) == 1
    draw.panel.images.setCurrentRow(1)
    qtbot.mouseClick(draw.panel.remove, LEFT)
    assert draw.state.images == () and len(draw.markers.images.data) == 0
    assert not any(t.isVisible() for t in draw.markers.names)


def test_a_bad_image_dropped_is_one_dialog_naming_it_and_the_app_goes_on(opened, qtbot, dialogs, tmp_path, image_files):
    bad = tmp_path / "scan.jpg"
    bad.write_bytes(b"\xff\xd8 this is no JPEG")
    assert drop_files(opened, [bad])
    qtbot.waitUntil(lambda: bool(dialogs.warnings), timeout=20_000)
    title, text = dialogs.warnings[0]
    assert title == "Cannot open image" and str(bad) in text and "\n" not in text
    qtbot.waitUntil(lambda: not opened.busy(), timeout=10_000)
    assert drop_files(opened, [image_files[0]])
    qtbot.waitUntil(lambda: len(opened.draw.state.images) == 1, timeout=20_000)


def test_file_open_image_places_the_chosen_files(opened, qtbot, image_files, monkeypatch):
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(image_files[0])], "Images"))
    )
    assert opened.actions["open_image"].isEnabled()
    opened.actions["open_image"].trigger()
    qtbot.waitUntil(lambda: len(opened.draw.state.images) == 1, timeout=20_000)
    assert opened.draw.state.chosen == 0 and "digit.png" in opened.draw.panel.chosen_info.text()


def test_interpolating_from_the_drawing_to_a_data_point(opened, qtbot):
    draw, explore = opened.draw, opened.map
    draw_stroke(qtbot, draw.panel.canvas, [(14, 4), (14, 24)])  # a 1
    qtbot.mouseClick(draw.panel.set_a, LEFT)
    np.testing.assert_allclose(explore.state.ends["A"], draw.state.drawing.encoded.mean)
    x, y = explore.state.projection.to_plane(opened.session.codes.means[3])[0]
    click_map(opened, qtbot, float(x), float(y))
    interpolate = explore.tools["interpolate"]
    qtbot.mouseClick(interpolate.page.set_b, LEFT)
    frames = interpolate.frames
    assert frames is not None and len(frames) == interpolate.settings.steps == interpolate.page.steps.value()
    np.testing.assert_allclose(frames[0], opened.session.space.decode(draw.state.drawing.encoded.mean)[0], atol=1e-6)


def test_a_clicked_point_shows_its_posterior_ellipse(opened, qtbot):
    codes, overlay = opened.session.codes, opened.draw.ellipses
    i = 11
    x, y = opened.map.state.projection.to_plane(codes.means[i])[0]
    click_map(opened, qtbot, float(x), float(y))
    assert opened.map.state.current_index == i
    (ellipse,) = overlay.ellipses["point"]
    sigma = np.exp(0.5 * codes.log_vars[i].astype(np.float64))
    np.testing.assert_allclose(np.sort(ellipse.semi_axes), np.sort(sigma), rtol=1e-6)
    np.testing.assert_allclose(ellipse.center, [x, y], atol=1e-5)
    drawn = np.c_[overlay.items["point"].xData, overlay.items["point"].yData]
    drawn = drawn[np.isfinite(drawn).all(axis=1)]
    # the drawn outline is that ellipse: axis-aligned on the latent plane, so (dx/σx)² + (dy/σy)² = 1
    np.testing.assert_allclose(((drawn - [x, y]) / sigma) ** 2 @ [1, 1], 1.0, atol=1e-4)
    (x0, x1), (y0, y1) = opened.map.map.visible_region()
    corner = (x1 - 0.03 * (x1 - x0), y0 + 0.03 * (y1 - y0))  # bottom right: the legend sits top left
    click_map(opened, qtbot, *corner)  # empty space: no posterior, no ellipse
    assert opened.map.state.current_index is None
    assert overlay.ellipses["point"] == []


def test_a_drawing_on_a_t_sne_map_has_no_ellipse_and_on_pca_the_projected_one(window, qtbot, wide_model_file):
    from tests.gui.test_map_layouts_gui import tsne_ready

    assert open_model(window, str(wide_model_file))
    qtbot.waitUntil(lambda: tsne_ready(window), timeout=60_000)
    window.map.panel.setCurrentWidget(window.draw.panel)
    draw_stroke(qtbot, window.draw.panel.canvas, [(8, 6), (20, 6), (14, 22)])
    layout, drawing = window.map.state.projection, window.draw.state.drawing
    np.testing.assert_allclose(
        marker_positions(window.draw.markers.drawing), layout.to_plane(drawing.encoded.mean), atol=1e-5
    )
    assert window.draw.ellipses.ellipses["markers"] == []
    click_map(window, qtbot, *map(float, layout.plane[0]))
    assert window.map.state.current_index == 0 and window.draw.ellipses.ellipses["point"] == []
    # the same drawing on the PCA plane: its ellipse is the projected covariance P Σ Pᵀ
    window.map.axes.choose("pca")
    pca = window.map.state.projection
    assert pca.kind == "pca"
    np.testing.assert_allclose(
        marker_positions(window.draw.markers.drawing), pca.to_plane(drawing.encoded.mean), atol=1e-5
    )
    (ellipse,) = window.draw.ellipses.ellipses["markers"]
    covariance = pca.basis @ np.diag(np.exp(drawing.encoded.log_var.astype(np.float64))) @ pca.basis.T
    np.testing.assert_allclose(np.sort(ellipse.semi_axes**2), np.linalg.eigvalsh(covariance), rtol=1e-6)
