"""The map's data tools through the user's path: lasso and rectangle selection into the gallery,
the legend as a filter, colour by reconstruction loss, the hover card, thumbnails, the worst list."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from tests.gui.helpers import brush_rgb, drawn_indices, drawn_xy, open_model, open_tool
from tests.gui.test_main_window import png_size

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


@pytest.fixture(scope="module")
def map_model(tmp_path_factory, mnist, train_and_save):
    """A `dense` latent-2 model with 400 held-out images (more than the automatic thumbnails' 300)."""
    from vae_explorer.trainer.model.config import TrainConfig

    data = mnist.subset(1500, 400)
    config = TrainConfig(preset="dense", latent_dim=2, epochs=1, batch_size=64, learning_rate=3e-3, seed=0)
    path = tmp_path_factory.mktemp("mapdata") / "m.h5"
    train_and_save(config, data, path)
    return path, data


@pytest.fixture
def opened(window, qtbot, map_model):
    path, data = map_model
    assert open_model(window, str(path))
    window.datasets.show(data)
    settled = lambda: not window.busy() and not window.map.layouts.computing  # noqa: E731 (a layout moves the dots)
    qtbot.waitUntil(lambda: window.session.held_out_images() is not None and settled(), timeout=60_000)
    qtbot.wait(50)  # the view settles on the data, as on screen
    window.map.map.repaint()  # a paint applies a pending auto-range: the view the tests map through
    qtbot.wait(20)
    return window


def widget_pos(plot, x: float, y: float) -> QPoint:
    scene = plot.getViewBox().mapViewToScene(QPointF(x, y))
    return plot.mapFromScene(scene)


def view_pos(plot, pos: QPoint) -> tuple[float, float]:
    p = plot.getViewBox().mapSceneToView(plot.mapToScene(pos))
    return p.x(), p.y()


def drag(plot, points, modifier) -> list[QPoint]:
    """Press at the first map point, move through the others, release at the last (viewport events)."""
    vp = plot.viewport()
    pixels = [widget_pos(plot, x, y) for x, y in points]
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, modifier, pixels[0])
    for p in pixels[1:]:
        QTest.mouseMove(vp, p)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, modifier, pixels[-1])
    return pixels


def test_a_lasso_fills_the_gallery_with_exactly_the_points_inside_and_escape_clears_it(opened, qtbot, tmp_path):
    from vae_explorer.trainer.maps.selection import points_in_polygon

    plot, part, tools = opened.map.map, opened.map_data, opened.map.tools
    plane = plot.plane
    centre, spread = plane.mean(axis=0), plane.std(axis=0)
    angles = np.linspace(0, 2 * np.pi, 9)[:-1]
    outline = centre + spread * np.c_[np.cos(angles), 0.6 * np.sin(angles)]
    pixels = drag(plot, [*outline, outline[0] + 0.01], CTRL)
    polygon = [view_pos(plot, p) for p in pixels]  # what the tool saw, after rounding to pixels
    expected = np.sort(points_in_polygon(plane, polygon))
    assert 5 < len(expected) < len(plane)
    np.testing.assert_array_equal(part.context.view_state.selection, expected)
    np.testing.assert_array_equal(tools["selection"].page.indices(), expected)
    assert (
        opened.map.panel.currentWidget() is tools["selection"].page
        and f"{len(expected)} selected" in tools["selection"].page.header.text()
    )
    rings = part.selection.rings  # a white ring around each selected point, on screen
    np.testing.assert_array_equal(rings.shown, expected)
    ring_px = widget_pos(plot, *(float(v) for v in plane[expected[0]])) + QPoint(5, 0)
    assert plot.viewport().grab().toImage().pixelColor(ring_px).getRgb()[:3] == (255, 255, 255)
    out = tmp_path / "sheet.png"
    assert tools["selection"].export_sheet(str(out))
    rows = int(np.ceil(len(expected) / 8))
    assert png_size(out) == (2 * (min(8, len(expected)) * 59 + 2), 2 * (rows * 30 + 2))
    plot.setFocus()
    QTest.keyClick(plot, Qt.Key.Key_Escape)
    assert len(part.context.view_state.selection) == 0 and tools["selection"].page.indices() == []
    assert len(rings.shown) == 0


def test_shift_drag_selects_a_rectangle(opened):
    from vae_explorer.trainer.maps.selection import points_in_rect

    plot, part = opened.map.map, opened.map_data
    lo, hi = np.percentile(plot.plane, [20, 70], axis=0)
    pixels = drag(plot, [lo, (lo + hi) / 2, hi], SHIFT)
    expected = points_in_rect(plot.plane, view_pos(plot, pixels[0]), view_pos(plot, pixels[-1]))
    assert len(expected) > 5
    np.testing.assert_array_equal(part.context.view_state.selection, expected)


def legend_row_pos(plot, value) -> QPoint:
    row = plot.legend_values.index(value)
    sample, label = plot.legend.items[row]
    return plot.mapFromScene(label.sceneBoundingRect().center())


def double_click(widget, pos: QPoint) -> None:
    """Two clicks within the double-click interval (``QTest.mouseDClick`` sends only the
    double-click event, without the press and release a real double click begins with)."""
    none, left = Qt.KeyboardModifier.NoModifier, Qt.MouseButton.LeftButton
    QTest.mouseClick(widget, left, none, pos)
    QTest.mouseClick(widget, left, none, pos)


def test_clicking_a_legend_entry_hides_its_class_and_double_click_shows_only_it(opened, qtbot):
    plot = opened.map.map
    labels = plot.labels
    hidden_class = int(labels[0])
    count = int(np.sum(labels == hidden_class))
    assert plot.legend.items[plot.legend_values.index(hidden_class)][1].text.endswith(f"({count})")
    QTest.mouseClick(
        plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, legend_row_pos(plot, hidden_class)
    )
    drawn = drawn_indices(plot)
    assert len(drawn) == len(labels) - count and not np.any(labels[drawn] == hidden_class)
    assert opened.map.state.current is None  # the click on the legend decoded nothing
    # a hidden point is neither clickable nor hoverable: a click on it decodes empty space
    x, y = (float(v) for v in plot.plane[0])
    QTest.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, widget_pos(plot, x, y))
    assert opened.map.state.current_index != 0
    QTest.mouseMove(plot.viewport(), widget_pos(plot, x, y))
    qtbot.wait(100)
    assert opened.map_data.hover.index != 0
    double_click(plot.viewport(), legend_row_pos(plot, hidden_class))
    assert set(labels[drawn_indices(plot)]) == {hidden_class}
    assert opened.map.view_state.hidden == frozenset(plot.legend_values) - {hidden_class}


def test_colour_by_reconstruction_loss_follows_the_per_image_losses(opened, qtbot):
    from vae_explorer.trainer.latent.per_image import normalised, robust_range

    plot, part = opened.map.map, opened.map_data
    combo = part.toolbar.color_by
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Down)  # label → reconstruction loss
    assert part.context.view_state.color_by == "reconstruction"
    qtbot.waitUntil(lambda: part.context.view_state.metrics_for(opened.map.state.points) is not None, timeout=20_000)
    losses = part.context.view_state.metrics.reconstruction
    expected = opened.map.style.cmap.map(normalised(losses, robust_range(losses)), mode="byte")[:, :3]
    np.testing.assert_array_equal(brush_rgb(plot), expected)
    assert part.colorbar.bar.isVisible() and opened.map.style.levels == robust_range(losses)
    # the colour map runs dark (low loss) to bright (high loss): the worst are the brightest
    brightness = brush_rgb(plot).sum(axis=1)
    assert brightness[np.argmax(losses)] > brightness[np.argmin(losses)]
    QTest.keyClick(combo, Qt.Key.Key_Down)  # KL
    np.testing.assert_array_equal(
        brush_rgb(plot),
        opened.map.style.cmap.map(normalised(part.context.view_state.metrics.kl, opened.map.style.levels), mode="byte")[
            :, :3
        ],
    )


class Resizes(QObject):
    """Counts a widget's resize events."""

    def __init__(self, widget):
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched, event):  # noqa: N802 (Qt's name)
        self.count += event.type() == QEvent.Type.Resize
        return False


def test_saying_the_per_image_losses_are_computing_leaves_the_map_s_size_alone(opened, qtbot):
    """The busy text once widened the toolbar, hence the map's column: the whole view (axes,
    grid, every dot) was repainted while the worker traced its graph, a 150 ms freeze."""
    opened.resize(1400, 900)
    qtbot.wait(50)
    part, resizes = opened.map_data, Resizes(opened.map.map)
    part.toolbar.color_by.setFocus()
    QTest.keyClick(part.toolbar.color_by, Qt.Key.Key_Down)  # label → reconstruction loss
    qtbot.waitUntil(lambda: part.toolbar.busy.text() != "", timeout=5_000)
    qtbot.waitUntil(lambda: part.context.view_state.metrics_for(opened.map.state.points) is not None, timeout=20_000)
    qtbot.wait(50)
    assert resizes.count == 0


def test_opening_a_model_while_coloured_by_loss_leaves_the_plot_area_s_size_alone(opened, qtbot, map_model):
    """The colour bar hid while the new model's losses were computed: the plot area took its width
    and gave it back, two repaints of the whole map (axes, grid, every dot) inside the open's freeze."""
    part, view = opened.map_data, opened.map.map.getViewBox()
    part.toolbar.color_by.setFocus()
    QTest.keyClick(part.toolbar.color_by, Qt.Key.Key_Down)  # label → reconstruction loss
    scored = lambda: part.context.view_state.metrics_for(opened.map.state.points) is not None  # noqa: E731
    qtbot.waitUntil(lambda: scored() and not opened.busy(), timeout=20_000)
    qtbot.wait(50)
    sizes = []
    view.sigResized.connect(lambda v: sizes.append(v.size()))
    assert open_model(opened, str(map_model[0]))
    qtbot.waitUntil(lambda: scored() and not opened.busy(), timeout=20_000)
    qtbot.wait(50)
    assert sizes == [] and part.colorbar.bar.isVisible()


def test_the_window_lets_its_gui_thread_take_the_gil_back_within_half_a_millisecond(opened):
    """Python's default 5 ms made a 15 ms repaint take 230-730 ms beside a busy worker thread."""
    assert sys.getswitchinterval() <= 0.0005


def test_hovering_a_data_point_previews_its_image_index_and_label(opened, qtbot):
    plot, hover = opened.map.map, opened.map_data.hover
    i = 17
    QTest.mouseMove(plot.viewport(), widget_pos(plot, *plot.plane[i]))
    qtbot.waitUntil(lambda: hover.card.isVisible(), timeout=2_000)
    nearest = hover.index
    assert np.linalg.norm(plot.plane[nearest] - plot.plane[i]) < 1e-6 or nearest == i  # i, or a point on top of it
    assert hover.card.text.text().startswith(f"#{nearest} · {int(plot.labels[nearest])}")
    assert hover.card.picture.pixmap().width() >= 28
    corner = plot.getViewBox().sceneBoundingRect().topLeft()
    QTest.mouseMove(plot.viewport(), plot.mapFromScene(corner) + QPoint(3, 60))
    qtbot.waitUntil(lambda: not hover.card.isVisible(), timeout=2_000)


def test_thumbnails_toggle_and_come_on_by_themselves_when_zoomed_in(opened, qtbot):
    plot, layer, toolbar = opened.map.map, opened.map_data.thumbnails, opened.map_data.toolbar
    qtbot.waitUntil(lambda: plot.isVisible(), timeout=2_000)
    plot.viewport().repaint()
    assert len(layer.drawn) == 0  # 400 points in view, each a few pixels apart: no thumbnails
    opened.activateWindow()
    plot.setFocus()
    QTest.keyClick(plot, Qt.Key.Key_T, CTRL)
    assert toolbar.thumbnails.isChecked()
    qtbot.waitUntil(lambda: plot.viewport().repaint() or len(layer.drawn) > 0, timeout=10_000)  # tiles made off-thread
    assert layer.side_px >= 16
    vb = plot.getViewBox()
    expected = np.array([[p.x(), p.y()] for p in (vb.mapViewToDevice(QPointF(*plot.plane[i])) for i in layer.drawn)])
    np.testing.assert_allclose(layer.drawn_px, expected, atol=0.5)
    # level of detail: one thumbnail per cell of a thumbnail's side on screen, every occupied cell
    # shown; the cells are fixed to the plane (a pan moves them with the points)
    every = np.array([[p.x(), p.y()] for p in (vb.mapViewToDevice(QPointF(*xy)) for xy in plot.plane)])

    def cells(px):
        origin = vb.mapViewToDevice(QPointF(0.0, 0.0))  # the plane's origin through the current view
        return {tuple(c) for c in np.floor((px - (origin.x(), origin.y())) / layer.side_px).astype(int)}

    assert len(cells(layer.drawn_px)) == len(layer.drawn) == len(cells(every)) < 400
    QTest.keyClick(plot, Qt.Key.Key_T, CTRL)
    plot.viewport().repaint()
    assert len(layer.drawn) == 0
    x, y = (float(v) for v in plot.plane[0])
    (x0, x1), (y0, y1) = vb.viewRange()
    vb.setRange(
        xRange=(x - (x1 - x0) / 20, x + (x1 - x0) / 20), yRange=(y - (y1 - y0) / 20, y + (y1 - y0) / 20), padding=0
    )
    plot.viewport().repaint()
    in_view = layer.in_view()
    assert 0 < len(layer.drawn) <= 300 and set(layer.drawn) <= set(in_view)  # automatic, once zoomed in
    zoomed = np.array([[p.x(), p.y()] for p in (vb.mapViewToDevice(QPointF(*plot.plane[i])) for i in in_view)])
    if len(cells(zoomed)) == len(in_view):  # each image in its own cell: every one of them is drawn
        assert sorted(layer.drawn) == sorted(in_view)


def test_a_pan_keeps_the_thumbnails_shown_and_uploads_only_those_coming_into_view(opened, qtbot):
    """The cells are fixed to the plane and the tiles kept in the slots of one pixmap: a pan step
    redraws the same images where they moved and writes only the new ones (map.tile_slots)."""
    plot, layer = opened.map.map, opened.map_data.thumbnails
    qtbot.waitUntil(lambda: plot.isVisible(), timeout=2_000)
    opened.activateWindow()
    plot.setFocus()
    QTest.keyClick(plot, Qt.Key.Key_T, CTRL)
    qtbot.waitUntil(lambda: plot.viewport().repaint() or len(layer.drawn) > 0, timeout=10_000)
    before, written, view = set(layer.drawn.tolist()), layer._tiles.written, plot.getViewBox().viewRange()
    start = plot.viewport().rect().center()
    QTest.mousePress(plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 4):
        QTest.mouseMove(plot.viewport(), start + QPoint(6 * step, 4 * step))
    QTest.mouseRelease(
        plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(18, 12)
    )
    plot.viewport().repaint()
    after = set(layer.drawn.tolist())
    assert plot.getViewBox().viewRange() != view  # the drag panned
    assert len(after & before) >= 0.9 * len(before)
    # each newly shown image was written once (a paint in the middle of the drag may add a few)
    assert len(after - before) <= layer._tiles.written - written < 0.1 * len(before)


def test_a_click_in_the_worst_list_centres_the_map_on_that_image_and_selects_it(opened, qtbot):
    plot, tools = opened.map.map, opened.map.tools
    open_tool(opened, qtbot, "Worst")
    qtbot.waitUntil(lambda: len(tools["worst"].page.indices()) == 20, timeout=20_000)
    losses = opened.map.view_state.metrics.reconstruction
    np.testing.assert_array_equal(tools["worst"].page.indices(), np.argsort(-losses, kind="stable")[:20])
    row = 3
    item = tools["worst"].page.list.item(row)
    QTest.mouseClick(
        tools["worst"].page.list.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        tools["worst"].page.list.visualItemRect(item).center(),
    )
    index = tools["worst"].page.indices()[row]
    assert opened.map.state.current_index == index
    (x0, x1), (y0, y1) = plot.getViewBox().viewRange()
    np.testing.assert_allclose([(x0 + x1) / 2, (y0 + y1) / 2], plot.plane[index], atol=1e-3 * (x1 - x0))


def test_colouring_by_loss_follows_the_training_epoch_by_epoch(window, qtbot):
    """Scored in the background after every epoch; figures for an older epoch are never shown."""
    part = window.map_data
    part.toolbar.color_by.setCurrentIndex(part.toolbar.color_by.findData("kl"))
    panel = window.training.panel
    panel.set_preset("dense")
    panel.epochs.setValue(3)
    panel.batch_size.setValue(64)
    scored = []
    part.metrics.ready.connect(lambda codes, metrics: scored.append(codes))
    QTest.mouseClick(panel.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=60_000)
    qtbot.waitUntil(
        lambda: part.context.view_state.metrics_for(window.map.state.points) is not None and not window.busy(),
        timeout=20_000,
    )
    assert scored and scored[-1] is window.map.state.points
    means, log_vars = window.session.space.encode(window.session.held_out_images())  # the trained weights
    expected_kl = -0.5 * (1 + log_vars - means**2 - np.exp(log_vars)).sum(axis=1)
    np.testing.assert_allclose(part.context.view_state.metrics.kl, expected_kl, rtol=1e-3, atol=1e-3)
    assert part.colorbar.bar.isVisible()


def test_after_an_epoch_the_points_move_keep_their_colours_and_clicks_find_them(opened, qtbot):
    """A new epoch moves the drawn points in place (no per-point brushes rebuilt): the scatter holds
    the new coordinates, the same images in the same colours, and a click on a moved point
    decodes that image."""
    plot = opened.map.map
    before_plane, before_rgb = plot.plane.copy(), brush_rgb(plot)
    panel = opened.training.panel
    panel.epochs.setValue(1)
    qtbot.mouseClick(panel.continue_training, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not opened.training.runner.running and not opened.busy(), timeout=120_000)
    qtbot.wait(50)
    drawn = drawn_indices(plot)
    assert not np.allclose(plot.plane, before_plane)  # the epoch moved the points
    np.testing.assert_array_equal(drawn, np.arange(len(plot.plane)))
    np.testing.assert_allclose(drawn_xy(plot), plot.plane[drawn], rtol=1e-6)
    np.testing.assert_array_equal(brush_rgb(plot), before_rgb)
    bounds = plot.dots.dataBounds(0)
    assert bounds[0] == pytest.approx(plot.plane[:, 0].min()) and bounds[1] == pytest.approx(plot.plane[:, 0].max())
    target = isolated_point(plot)
    QTest.mouseClick(
        plot.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        widget_pos(plot, *(float(v) for v in plot.plane[target])),
    )
    assert opened.map.state.current_index == target


def test_clicks_draw_the_kept_raster_of_the_dots_and_a_new_view_stamps_them_again(opened, qtbot, monkeypatch):
    """At 70,000 points every click and hover repaints the view: the dots are stamped and the
    thumbnails chosen again only when the points or the view change, and the kept raster is what
    the screen shows."""
    from vae_explorer.explorer.map.dots import DotsItem, rgb_of
    from vae_explorer.explorer.map.thumbnails import ThumbnailLayer

    plot, stamped, chosen = opened.map.map, [], []
    plot.viewport().repaint()
    stamp, choose = DotsItem._raster, ThumbnailLayer._choose
    monkeypatch.setattr(DotsItem, "_raster", staticmethod(lambda *a: stamped.append(1) or stamp(*a)))
    monkeypatch.setattr(ThumbnailLayer, "_choose", lambda self, t: chosen.append(1) or choose(self, t))
    target = isolated_point(plot)
    pos = widget_pos(plot, *(float(v) for v in plot.plane[target]))
    shown = plot.viewport().grab().toImage().pixelColor(pos)
    assert [shown.red(), shown.green(), shown.blue()] == list(rgb_of(plot.dots.colours[target : target + 1])[0])
    for _ in range(3):
        QTest.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
        qtbot.wait(30)
    assert opened.map.state.current_index == target and stamped == [] and chosen == []
    opened.resize(opened.width() - 40, opened.height())
    qtbot.waitUntil(lambda: len(stamped) > 0 and len(chosen) > 0, timeout=2_000)


def isolated_point(plot, min_px: float = 15.0) -> int:
    """A drawn point outside the legend with no other point within ``min_px`` pixels (a click
    on it can only hit it)."""
    legend = plot.legend.sceneBoundingRect()
    px = np.array(
        [[p.x(), p.y()] for p in (plot.getViewBox().mapViewToScene(QPointF(*map(float, xy))) for xy in plot.plane)]
    )
    gaps = np.linalg.norm(px[:, None] - px[None], axis=2) + np.eye(len(px)) * 1e9
    return next(
        i for i in np.argsort(-gaps.min(axis=1)) if gaps[i].min() > min_px and not legend.contains(QPointF(*px[i]))
    )
