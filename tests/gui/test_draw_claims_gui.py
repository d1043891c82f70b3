"""The README's claims about your own images, through the user's path: the brush width and Clear,
the labels of the 5 nearest held-out codes, the canvas in the data's polarity, a star for the
drawing and diamonds for images, Set A / Set B = selected, and File ▸ Open image… (Ctrl+I)
inverting an image whose polarity differs from the data's, and saying so."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from tests.gui.helpers import open_model
from tests.gui.test_draw import draw_stroke
from tests.gui.test_main_window import click_map
from tests.test_own_images import dark_seven_on_white
from vae_explorer.trainer.files.imagegrid import write_png

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def draw_tab(window, qtbot, gui_model_file):
    """The 2-D `dense` model open and the Draw tool chosen in the side panel, as a user does."""
    from tests.gui.helpers import open_tool

    assert open_model(window, str(gui_model_file[0]))
    open_tool(window, qtbot, "Draw")
    return window


def type_value(qtbot, spin, text: str) -> None:
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def stroke_thickness(pixels: np.ndarray, column: int) -> int:
    """Rows of ``column`` that the ink covers (more than half)."""
    return int(np.sum(pixels[:, column] > 0.5))


def test_the_brush_width_sets_how_thick_a_stroke_is(draw_tab, qtbot):
    panel = draw_tab.draw.panel
    thickness = {}
    for width in ("1", "6"):
        type_value(qtbot, panel.brush, width)
        assert panel.brush.value() == float(width)
        draw_stroke(qtbot, panel.canvas, [(4, 14), (24, 14)])  # a horizontal line
        thickness[width] = stroke_thickness(panel.canvas.pixels(), 14)
        qtbot.mouseClick(panel.clear, LEFT)
    assert thickness["1"] <= 2 and 5 <= thickness["6"] <= 7, thickness


def test_clear_empties_the_canvas(draw_tab, qtbot):
    draw, panel = draw_tab.draw, draw_tab.draw.panel
    draw_stroke(qtbot, panel.canvas, [(8, 6), (20, 6), (14, 22)])
    assert panel.canvas.pixels().max() > 0.5 and draw.state.drawing is not None
    qtbot.mouseClick(panel.clear, LEFT)
    assert panel.canvas.pixels().max() == 0.0  # all paper: black, the data's background
    assert draw.state.drawing is None and len(draw.markers.drawing.data) == 0
    assert panel.drawing_info.text().startswith("Draw on the canvas")


def test_the_labels_shown_are_those_of_the_5_nearest_held_out_codes(draw_tab, qtbot):
    draw = draw_tab.draw
    draw_stroke(qtbot, draw.panel.canvas, [(8, 6), (20, 6), (14, 22)])  # a 7
    codes, mean = draw_tab.session.codes, draw.state.drawing.encoded.mean
    nearest = np.argsort(np.linalg.norm(codes.means - mean, axis=1), kind="stable")[:5]
    shown = re.match(r"nearest held-out: (.+?) · σ", draw.panel.drawing_info.text())
    assert shown, draw.panel.drawing_info.text()
    assert shown.group(1).split(" ") == [draw_tab.session.label_text(int(v)) for v in codes.labels[nearest]]


def test_the_drawing_is_a_star_on_the_map_and_images_are_diamonds(draw_tab, qtbot, tmp_path, mnist_small, monkeypatch):
    draw = draw_tab.draw
    draw_stroke(qtbot, draw.panel.canvas, [(14, 4), (14, 24)])
    assert draw.markers.drawing.opts["symbol"] == "star" and len(draw.markers.drawing.data) == 1
    digit = tmp_path / "digit.png"
    write_png(digit, mnist_small.x_test[7])
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(digit)], "")))
    qtbot.mouseClick(draw.panel.open_button, LEFT)
    qtbot.waitUntil(lambda: len(draw.state.images) == 1, timeout=20_000)
    assert draw.markers.images.opts["symbol"] == "d" and len(draw.markers.images.data) == 1


def test_set_b_takes_the_drawing_and_set_a_an_opened_image(draw_tab, qtbot, tmp_path, mnist_small, monkeypatch):
    draw, explore, space = draw_tab.draw, draw_tab.map, draw_tab.session.space
    digit = tmp_path / "digit.png"
    write_png(digit, mnist_small.x_test[3])
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(digit)], "")))
    qtbot.mouseClick(draw.panel.open_button, LEFT)
    qtbot.waitUntil(lambda: len(draw.state.images) == 1, timeout=20_000)
    draw.panel.images.setCurrentRow(1)  # the image, chosen in the list
    qtbot.mouseClick(draw.panel.set_a, LEFT)
    draw_stroke(qtbot, draw.panel.canvas, [(14, 4), (14, 24)])  # a 1
    draw.panel.images.setCurrentRow(0)  # the drawing
    qtbot.mouseClick(draw.panel.set_b, LEFT)
    image, drawing = draw.state.images[0], draw.state.drawing
    np.testing.assert_allclose(explore.state.ends["A"], image.encoded.mean)
    np.testing.assert_allclose(explore.state.ends["B"], drawing.encoded.mean)
    frames = explore.tools["interpolate"].frames
    np.testing.assert_allclose(frames[0], space.decode(image.encoded.mean)[0], atol=1e-6)
    np.testing.assert_allclose(frames[-1], space.decode(drawing.encoded.mean)[0], atol=1e-6)


def test_the_canvas_is_in_the_data_s_polarity(draw_tab, qtbot, mnist_small):
    """Dark-on-light data: the canvas is white paper and the ink is dark (MNIST: the other way)."""
    panel = draw_tab.draw.panel
    light = dataclasses.replace(
        mnist_small, name="light", x_train=1.0 - mnist_small.x_train, x_test=1.0 - mnist_small.x_test
    )
    draw_tab.datasets.show(light)
    assert panel.canvas.pixels().min() == 1.0  # blank: all paper, white
    draw_stroke(qtbot, panel.canvas, [(4, 14), (24, 14)])
    assert panel.canvas.pixels()[14, 6:22].max() < 0.5 and panel.canvas.pixels()[0].min() == 1.0
    assert draw_tab.draw.state.drawing is not None  # encoded as drawn


def test_an_image_of_the_other_polarity_is_inverted_and_the_window_says_so(
    draw_tab, qtbot, tmp_path, mnist_small, monkeypatch
):
    from vae_explorer.trainer.data.user_image import prepare_image

    photo, digit = tmp_path / "photo.png", tmp_path / "digit.png"
    write_png(photo, dark_seven_on_white())  # dark ink on white paper; MNIST is white on black
    write_png(digit, mnist_small.x_test[7])
    draw = draw_tab.draw
    said: list[str] = []
    draw_tab.statusBar().messageChanged.connect(said.append)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(photo), str(digit)], "")))
    draw_tab.activateWindow()
    qtbot.keyClick(draw_tab, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)  # File ▸ Open image…
    qtbot.waitUntil(lambda: len(draw.state.images) == 2, timeout=20_000)
    placed = {image.name: image for image in draw.state.images}
    as_it_is = prepare_image(photo, (28, 28, 1), white_on_black=False).pixels  # the photo's own polarity
    np.testing.assert_allclose(placed["photo.png"].pixels, 1.0 - as_it_is, atol=1e-6)  # inverted
    assert placed["photo.png"].note == "inverted to match a white-on-black dataset"
    assert placed["digit.png"].note == ""
    np.testing.assert_allclose(placed["digit.png"].pixels, mnist_small.x_test[7], atol=1 / 255)
    assert "photo.png placed on the map (inverted to match a white-on-black dataset)" in said
    rows = [draw.panel.images.item(i).text() for i in range(draw.panel.images.count())]
    assert "photo.png (inverted)" in rows and "digit.png" in rows
    draw.panel.images.setCurrentRow(rows.index("photo.png (inverted)"))
    assert "inverted to match a white-on-black dataset" in draw.panel.chosen_info.text()


def test_set_a_takes_a_clicked_point_for_an_interpolation_towards_the_drawing(draw_tab, qtbot):
    """The Interpolate tab's Set A = current with a clicked data point, then the drawing as B."""
    from tests.gui.helpers import open_tool

    draw, explore = draw_tab.draw, draw_tab.map
    x, y = explore.state.projection.to_plane(draw_tab.session.codes.means[3])[0]
    click_map(draw_tab, qtbot, float(x), float(y))
    page = open_tool(draw_tab, qtbot, "Interpolate")
    qtbot.mouseClick(page.set_a, LEFT)
    open_tool(draw_tab, qtbot, "Draw")
    draw_stroke(qtbot, draw.panel.canvas, [(8, 6), (20, 6), (14, 22)])
    qtbot.mouseClick(draw.panel.set_b, LEFT)
    frames = explore.tools["interpolate"].frames
    assert len(frames) == explore.tools["interpolate"].settings.steps
    np.testing.assert_allclose(explore.state.ends["A"], explore.state.current)
    np.testing.assert_allclose(frames[-1], draw_tab.session.space.decode(draw.state.drawing.encoded.mean)[0], atol=1e-6)
