"""The README's claims about the map, through the user's path: the hover card's 6 px, the legend
as a filter of what is drawn, clicked, selected and listed, colouring by KL or by nothing with the
colour bar, Alt+drag and the toolbar's drag modes, and the Selection tab's sheet of every pair."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.gui import test_map_data_gui
from tests.gui.helpers import brush_rgb, drawn_indices, open_tool
from tests.gui.test_map_data_gui import (
    CTRL,
    SHIFT,
    double_click,
    drag,
    isolated_point,
    legend_row_pos,
    view_pos,
    widget_pos,
)

map_model, opened = test_map_data_gui.map_model, test_map_data_gui.opened  # the same model and window (fixtures)


def drawn_rgb(plot) -> np.ndarray:
    """``brush_rgb``, also when every point shares the scatter's one brush (pyqtgraph then keeps it
    in the scatter's options, not per point)."""
    try:
        return brush_rgb(plot)
    except AttributeError:
        scatter = plot.scatter
        return np.array([scatter.opts["brush"].color().getRgb()[:3]] * len(scatter.data))


ALT, NO_MOD = Qt.KeyboardModifier.AltModifier, Qt.KeyboardModifier.NoModifier


def pixels_from(plot, index: int, pos: QPoint) -> float:
    """How far, in screen pixels, the mouse at viewport ``pos`` is from point ``index``, measured as
    the map measures it (the view coordinates of the mouse, over the size of a pixel)."""
    x, y = view_pos(plot, pos)
    px, py = plot.getViewBox().viewPixelSize()
    dx, dy = plot.plane[index]
    return float(np.hypot((x - dx) / px, (y - dy) / py))


def mouse_at_distance(plot, index: int, low: float, high: float) -> QPoint:
    """A viewport pixel between ``low`` and ``high`` screen pixels from point ``index``, towards
    the middle of the view (so that it stays on the map)."""
    centre = widget_pos(plot, *(float(v) for v in plot.plane[index]))
    middle = plot.viewport().rect().center()
    for dx in range(-12, 13):
        for dy in range(-12, 13):
            pos = centre + QPoint(dx, dy)
            towards = dx * (middle.x() - centre.x()) + dy * (middle.y() - centre.y()) >= 0
            if towards and low <= pixels_from(plot, index, pos) <= high:
                return pos
    raise AssertionError(f"no pixel {low}-{high} px from point {index}")


def test_the_hover_card_shows_within_6_px_of_a_dot_and_not_farther(opened, qtbot):
    """README: hover within 6 px of a dot shows its card. Just inside 6 px it shows; at 6.5 px and
    at 9 px it does not (no other dot is within 20 px of the one hovered)."""
    plot, hover = opened.map.map, opened.map_data.hover
    target = isolated_point(plot, min_px=20.0)
    vp = plot.viewport()
    corner = plot.mapFromScene(plot.getViewBox().sceneBoundingRect().topLeft()) + QPoint(3, 60)
    QTest.mouseMove(vp, corner)
    qtbot.waitUntil(lambda: not hover.card.isVisible(), timeout=2_000)
    near, beyond, far = (mouse_at_distance(plot, target, *band) for band in ((5.4, 5.95), (6.3, 6.9), (8.6, 9.4)))
    for pos, shown in ((near, True), (beyond, False), (near, True), (far, False)):
        qtbot.wait(15)  # as a hand moves: pyqtgraph drops a move within 10 ms of the last (mouseRateLimit)
        QTest.mouseMove(vp, pos)
        qtbot.waitUntil(lambda s=shown: hover.card.isVisible() == s, timeout=2_000)
        if shown:
            assert hover.index == target
            assert hover.card.text.text().startswith(f"#{target} · {int(plot.labels[target])}")


def click_legend(plot, value) -> None:
    QTest.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, NO_MOD, legend_row_pos(plot, value))


def real_double_click(window, widget, pos: QPoint) -> None:
    """A double click as the window system delivers it: through the window, whose Qt turns the
    second press into a double-click event (the widget gets press, release, double-click, release)."""
    QTest.mouseDClick(window.windowHandle(), Qt.MouseButton.LeftButton, NO_MOD, widget.mapTo(window, pos))


def test_a_real_double_click_on_a_legend_entry_shows_only_that_class(opened, qtbot):
    """The existing legend test makes its double click of two separate clicks; here it is the
    event sequence a mouse makes."""
    plot = opened.map.map
    only = int(plot.labels[0])
    opened.activateWindow()
    real_double_click(opened, plot.viewport(), legend_row_pos(plot, only))
    assert opened.map.view_state.hidden == frozenset(plot.legend_values) - {only}
    assert set(plot.labels[drawn_indices(plot)]) == {only}


def test_a_second_double_click_on_a_legend_entry_shows_every_class_again(opened, qtbot):
    """README: a double-click shows only that class, and another shows all. Each double click is
    made as the existing legend test makes it (two clicks within the interval), a pause between."""
    plot = opened.map.map
    labels, only = plot.labels, int(plot.labels[0])
    double_click(plot.viewport(), legend_row_pos(plot, only))
    assert set(labels[drawn_indices(plot)]) == {only}
    qtbot.wait(QApplication.doubleClickInterval() + 100)  # two separate double clicks, as a user makes them
    double_click(plot.viewport(), legend_row_pos(plot, only))
    assert opened.map.view_state.hidden == frozenset()
    np.testing.assert_array_equal(np.sort(drawn_indices(plot)), np.arange(len(labels)))


def test_hidden_points_are_not_selected_by_a_rectangle_or_a_lasso(opened, qtbot):
    plot, part = opened.map.map, opened.map_data
    labels = plot.labels
    hidden = int(labels[0])
    click_legend(plot, hidden)
    shown = np.flatnonzero(labels != hidden)
    assert len(drawn_indices(plot)) == len(shown)
    lo, hi = plot.plane.min(axis=0), plot.plane.max(axis=0)
    pad = 0.01 * (hi - lo)
    drag(plot, [lo - pad, (lo + hi) / 2, hi + pad], SHIFT)  # a rectangle around every point
    np.testing.assert_array_equal(part.context.view_state.selection, shown)
    plot.setFocus()
    QTest.keyClick(plot, Qt.Key.Key_Escape)
    outline = [lo - pad, (lo[0] - pad[0], hi[1] + pad[1]), hi + pad, (hi[0] + pad[0], lo[1] - pad[1]), lo - pad]
    drag(plot, outline, CTRL)  # a lasso around every point
    np.testing.assert_array_equal(part.context.view_state.selection, shown)


def test_hidden_points_are_not_listed_among_the_worst(opened, qtbot):
    tools = opened.map.tools
    open_tool(opened, qtbot, "Worst")
    qtbot.waitUntil(lambda: len(tools["worst"].page.indices()) == 20, timeout=20_000)
    plot, losses = opened.map.map, opened.map.view_state.metrics.reconstruction
    hidden = int(plot.labels[tools["worst"].page.indices()[0]])  # the class of the very worst image
    click_legend(plot, hidden)
    listed = tools["worst"].page.indices()
    shown = np.flatnonzero(plot.labels != hidden)
    assert len(listed) == 20 and not np.any(plot.labels[listed] == hidden)
    np.testing.assert_array_equal(listed, shown[np.argsort(-losses[shown], kind="stable")][:20])


def test_colour_by_kl_with_its_colour_bar_over_the_1st_to_99th_percentile_then_by_none(opened, qtbot):
    plot, part = opened.map.map, opened.map_data
    combo = part.toolbar.color_by
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Down)
    QTest.keyClick(combo, Qt.Key.Key_Down)  # label → reconstruction loss → KL
    assert combo.currentText() == "KL" and part.context.view_state.color_by == "kl"
    qtbot.waitUntil(lambda: part.context.view_state.metrics_for(opened.map.state.points) is not None, timeout=20_000)
    means, log_vars = opened.session.space.encode(opened.session.held_out_images())
    kl = -0.5 * (1 + log_vars - means**2 - np.exp(log_vars)).sum(axis=1)
    levels = np.percentile(kl, [1, 99])
    assert part.colorbar.bar.isVisible()
    np.testing.assert_allclose(part.colorbar.bar.levels(), levels, rtol=1e-3)
    expected = opened.map.style.cmap.map(np.clip((kl - levels[0]) / (levels[1] - levels[0]), 0, 1), mode="byte")
    assert np.abs(brush_rgb(plot).astype(int) - expected[:, :3].astype(int)).max() <= 2
    assert part.colorbar.bar.axis.labelText == "KL per image"
    QTest.keyClick(combo, Qt.Key.Key_End)  # the last entry: none
    assert combo.currentText() == "None" and part.context.view_state.color_by == "none"
    rgb = drawn_rgb(plot)
    assert len(rgb) == len(plot.plane) and (rgb == rgb[0]).all()  # one colour for every point
    assert rgb[0].max() - rgb[0].min() == 0  # a grey, no class and no figure in it
    assert not part.colorbar.bar.isVisible()


def test_alt_drag_draws_a_lasso(opened):
    from vae_explorer.trainer.maps.selection import points_in_polygon

    plot, part = opened.map.map, opened.map_data
    centre, spread = plot.plane.mean(axis=0), plot.plane.std(axis=0)
    angles = np.linspace(0, 2 * np.pi, 7)[:-1]
    outline = centre + spread * np.c_[0.8 * np.cos(angles), np.sin(angles)]
    pixels = drag(plot, [*outline, outline[0] + 0.01], ALT)
    expected = np.sort(points_in_polygon(plot.plane, [view_pos(plot, p) for p in pixels]))
    assert 5 < len(expected) < len(plot.plane)
    np.testing.assert_array_equal(part.context.view_state.selection, expected)


def test_the_rectangle_and_lasso_buttons_make_a_plain_drag_select(opened, qtbot):
    from vae_explorer.trainer.maps.selection import points_in_polygon, points_in_rect

    plot, part, toolbar = opened.map.map, opened.map_data, opened.map_data.toolbar
    buttons = {toolbar.drag.button(i).text(): toolbar.drag.button(i) for i in range(3)}
    lo, hi = np.percentile(plot.plane, [20, 70], axis=0)
    view_before = plot.getViewBox().viewRange()
    drag(plot, [lo, (lo + hi) / 2, hi], NO_MOD)  # Pan, the default: the view moves, nothing is selected
    assert len(part.context.view_state.selection) == 0 and plot.getViewBox().viewRange() != view_before
    opened.map.fit_view()
    qtbot.wait(50)
    qtbot.mouseClick(buttons["Rectangle"], Qt.MouseButton.LeftButton)
    assert part.context.view_state.drag_mode == "rect"
    view_before = plot.getViewBox().viewRange()
    pixels = drag(plot, [lo, (lo + hi) / 2, hi], NO_MOD)
    expected = points_in_rect(plot.plane, view_pos(plot, pixels[0]), view_pos(plot, pixels[-1]))
    assert len(expected) > 5 and plot.getViewBox().viewRange() == view_before
    np.testing.assert_array_equal(part.context.view_state.selection, expected)
    qtbot.mouseClick(buttons["Lasso"], Qt.MouseButton.LeftButton)
    assert part.context.view_state.drag_mode == "lasso"
    triangle = [lo, (hi[0], lo[1]), hi, lo]
    pixels = drag(plot, triangle, NO_MOD)
    expected = np.sort(points_in_polygon(plot.plane, [view_pos(plot, p) for p in pixels]))
    assert len(expected) > 3
    np.testing.assert_array_equal(part.context.view_state.selection, expected)


def test_export_sheet_writes_every_selected_image_beside_its_reconstruction(opened, qtbot, tmp_path, monkeypatch):
    """All 400 points selected: the gallery shows its first 300, the sheet has every one of them."""
    from PySide6.QtWidgets import QFileDialog

    from vae_explorer.trainer.files.imagegrid import to_uint8, upscale
    from vae_explorer.trainer.maps.selection import pair_sheet
    from vae_explorer.trainer.tf_runtime import import_tensorflow

    plot, tools = opened.map.map, opened.map.tools
    lo, hi = plot.plane.min(axis=0), plot.plane.max(axis=0)
    pad = 0.01 * (hi - lo)
    drag(plot, [lo - pad, hi + pad], SHIFT)
    page = tools["selection"].page
    assert opened.map.panel.currentWidget() is page and len(page.indices()) == 300
    assert page.header.text().startswith("400 selected")
    out = tmp_path / "chosen"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "PNG (*.png)")))
    qtbot.mouseClick(page.export, Qt.MouseButton.LeftButton)
    written = tmp_path / "chosen.png"
    assert written.exists()
    sheet = import_tensorflow().io.decode_png(written.read_bytes()).numpy()
    images = opened.session.held_out_images()
    expected = to_uint8(upscale(pair_sheet(images, opened.session.space.reconstruct(images), cols=8), 2))
    assert sheet.shape == expected.shape == (2 * (50 * 30 + 2), 2 * (8 * 59 + 2), 1)
    assert np.abs(sheet.astype(int) - expected.astype(int)).max() <= 1
