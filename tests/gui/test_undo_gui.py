"""Edit ▸ Undo / Redo through the user's path: each kind of step done with the mouse or the keys,
the Edit menu naming it, Ctrl+Z taking it back, Ctrl+Shift+Z doing it again; a zoom of several
wheel notches is one step; a new model clears the stack."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.gui.helpers import drawn_indices, open_model, open_tool
from tests.gui.test_draw import draw_stroke, drop_files
from tests.gui.test_follow import zoom_in
from tests.gui.test_map_data_gui import drag, legend_row_pos
from tests.gui.test_sessions_gui import click_map
from vae_explorer.explorer.map.view_range import GESTURE_END_MS
from vae_explorer.trainer.files.imagegrid import write_png

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
LEFT, NONE = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier


@pytest.fixture
def opened(window, qtbot, gui_model_file):
    """The latent-2 model: its map is the latent plane (no t-SNE layout arrives meanwhile)."""
    assert open_model(window, str(gui_model_file[0]))
    qtbot.waitUntil(lambda: not window.busy(), timeout=30_000)
    assert not window.actions["undo"].isEnabled()  # a model just opened: nothing to undo
    return window


def undo(window, qtbot) -> None:
    qtbot.keyClick(window.map.map, Qt.Key.Key_Z, CTRL)


def redo(window, qtbot) -> None:
    qtbot.keyClick(window.map.map, Qt.Key.Key_Z, CTRL | SHIFT)


def undo_text(window) -> str:
    return window.actions["undo"].text().replace("&", "")


def test_a_zoom_of_several_wheel_notches_is_one_step(opened, qtbot):
    vb, state = opened.map.map.getViewBox(), opened.map.view_state
    before = vb.viewRange()
    for _ in range(3):
        zoom_in(opened.map.map)
    qtbot.waitUntil(lambda: state.view_range is not None, timeout=2 * GESTURE_END_MS + 2000)
    zoomed = vb.viewRange()
    assert undo_text(opened) == "Undo Zoom" and opened.undo.stack.count() == 1
    undo(opened, qtbot)
    assert state.view_range is None
    qtbot.waitUntil(lambda: np.allclose(vb.viewRange(), before, atol=0.01), timeout=2000)  # fitted again
    redo(opened, qtbot)
    np.testing.assert_allclose(vb.viewRange(), zoomed)


def test_layout_and_colour_mode_are_undone_and_redone_with_their_widgets(opened, qtbot, wide_model_file):
    axes, toolbar = opened.map.axes, opened.map_data.toolbar
    assert open_model(opened, str(wide_model_file))  # latent 6: the layouts to choose from
    qtbot.keyClick(axes.layout_box, Qt.Key.Key_Down)  # t-SNE → PCA
    assert undo_text(opened) == "Undo Map layout PCA"
    qtbot.keyClick(toolbar.color_by, Qt.Key.Key_Down)
    assert undo_text(opened) == "Undo Colour by reconstruction loss"
    undo(opened, qtbot)
    assert opened.map_data.state.color_by == "label" and toolbar.color_by.currentData() == "label"
    assert undo_text(opened) == "Undo Map layout PCA"
    undo(opened, qtbot)
    assert opened.map.state.layout == "tsne" and axes.layout_box.currentData() == "tsne"
    redo(opened, qtbot)
    assert opened.map.state.layout == "pca" and opened.map.state.projection.kind == "pca"
    assert opened.actions["redo"].text().replace("&", "") == "Redo Colour by reconstruction loss"
    qtbot.waitUntil(lambda: not opened.busy(), timeout=30_000)  # closing while the losses compile aborts


def test_a_lasso_selection_and_a_hidden_class_are_named_and_undone(opened, qtbot):
    plot, view = opened.map.map, opened.map.view_state
    centre, spread = plot.plane.mean(axis=0), plot.plane.std(axis=0)
    angles = np.linspace(0, 2 * np.pi, 9)[:-1]
    drag(plot, [*(centre + spread * np.c_[np.cos(angles), np.sin(angles)]), centre + spread * [1, 0.01]], CTRL)
    selected = view.selection.copy()
    assert len(selected) > 3 and undo_text(opened) == f"Undo Lasso selection ({len(selected)} images)"
    hidden = int(plot.legend_values[0])
    QTest.mouseClick(plot.viewport(), LEFT, NONE, legend_row_pos(plot, hidden))
    assert undo_text(opened) == f"Undo Hide class {hidden}"
    undo(opened, qtbot)
    assert view.hidden == frozenset() and len(drawn_indices(plot)) == len(plot.plane)
    undo(opened, qtbot)
    assert len(view.selection) == 0
    redo(opened, qtbot)
    np.testing.assert_array_equal(view.selection, selected)
    redo(opened, qtbot)
    assert view.hidden == {hidden} and undo_text(opened) == f"Undo Hide class {hidden}"


def test_the_a_and_b_endpoints_are_undone_one_at_a_time(opened, qtbot):
    page = open_tool(opened, qtbot, "Interpolate")
    lo, hi = np.percentile(opened.map.map.plane, [20, 80], axis=0)
    click_map(opened, *lo)
    qtbot.mouseClick(page.set_a, LEFT)
    click_map(opened, *hi)
    qtbot.mouseClick(page.set_b, LEFT)
    assert undo_text(opened) == "Undo Set B"
    undo(opened, qtbot)  # the click that chose B's point
    undo(opened, qtbot)
    assert set(opened.map.state.ends) == {"A"} and undo_text(opened) == "Undo Set A"
    np.testing.assert_array_equal(opened.map.state.current, opened.map.state.ends["A"])  # A's point again
    assert opened.map.tools["interpolate"].frames is None  # no path without B
    redo(opened, qtbot)
    redo(opened, qtbot)
    assert set(opened.map.state.ends) == {"A", "B"} and opened.map.tools["interpolate"].frames is not None


def test_a_stroke_and_a_placed_image_are_undone_and_the_canvas_follows(opened, qtbot, tmp_path):
    from tests.test_own_images import dark_seven_on_white

    open_tool(opened, qtbot, "Draw")
    draw, canvas = opened.draw, opened.draw.panel.canvas
    draw_stroke(qtbot, canvas, [(6, 6), (14, 14), (22, 6)])
    first = canvas.pixels()
    qtbot.wait(int(1000 * 0.6))  # a pause: the next stroke is a step of its own
    draw_stroke(qtbot, canvas, [(14, 4), (14, 24)])
    assert undo_text(opened) == "Undo Stroke" and not np.array_equal(canvas.pixels(), first)
    undo(opened, qtbot)
    np.testing.assert_array_equal(canvas.pixels(), first)
    np.testing.assert_array_equal(draw.state.drawing.pixels[..., 0], first)
    undo(opened, qtbot)
    assert draw.state.drawing is None and canvas.is_blank()
    image = tmp_path / "seven.png"
    write_png(str(image), dark_seven_on_white())
    assert drop_files(opened, [image])
    qtbot.waitUntil(lambda: len(draw.state.images) == 1, timeout=20_000)
    assert undo_text(opened) == "Undo Place seven.png"
    undo(opened, qtbot)
    assert draw.state.images == () and len(opened.draw.markers.images.data) == 0


def test_a_new_model_clears_the_stack(opened, qtbot, wide_model_file):
    qtbot.keyClick(opened.map_data.toolbar.color_by, Qt.Key.Key_Down)
    assert opened.actions["undo"].isEnabled()
    assert open_model(opened, str(wide_model_file))
    assert not opened.actions["undo"].isEnabled() and undo_text(opened) == "Undo"
    qtbot.waitUntil(lambda: not opened.busy(), timeout=30_000)  # closing while the losses compile aborts


def test_a_tool_setting_is_undone_as_one_step_per_edit(opened, qtbot):
    from tests.gui.test_draw_claims_gui import type_value

    page = open_tool(opened, qtbot, "Interpolate")
    type_value(qtbot, page.steps, "7")
    assert undo_text(opened) == "Undo Interpolate: steps"
    undo(opened, qtbot)
    assert opened.map.tools["interpolate"].settings.steps == 10 and page.steps.value() == 10
