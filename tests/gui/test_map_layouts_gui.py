"""The map's layouts through the user's path: t-SNE by default above two latent dimensions,
computed in the background, switched from the chooser, decoded anywhere through its inverse."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt

from tests.gui.helpers import drawn_xy, open_model, recorded_calls, shown_image
from tests.gui.test_main_window import click_map
from tests.test_sampled_layout import InProcess


def tsne_ready(window) -> bool:
    return window.map.state.projection is not None and window.map.state.projection.kind == "tsne"


def test_a_wide_model_opens_on_a_t_sne_map_that_decodes_empty_space_through_its_inverse(window, qtbot, wide_model_file):
    assert open_model(window, str(wide_model_file))
    assert "computing the t-SNE layout" in window.map.axes.mode.text()  # PCA stands in, the GUI is free
    qtbot.waitUntil(lambda: tsne_ready(window), timeout=60_000)
    plot, layout = window.map.map, window.map.state.projection
    assert plot.getAxis("bottom").labelText == "t-SNE 1"
    assert "approximate" in window.map.axes.mode.text() and "legibility" in window.map.axes.mode.text()
    np.testing.assert_allclose(drawn_xy(plot), layout.plane, atol=1e-4)
    # empty space: halfway between two of the points farthest out, off any dot and off the
    # legend (a click on the legend hides a class), once the view has settled on the data
    qtbot.wait(50)
    far = np.argsort(np.linalg.norm(layout.plane - layout.plane.mean(axis=0), axis=1))[::-1]
    x, y = next(
        p
        for p in (layout.plane[[far[0], other]].mean(axis=0) + 0.37 for other in far[1:])
        if not plot.legend.sceneBoundingRect().contains(plot.getViewBox().mapViewToScene(QPointF(*p)))
    )
    window.map.state.current = None
    click_map(window, qtbot, float(x), float(y))
    assert window.map.state.current is not None and window.map.state.current_index is None
    z = window.map.state.current
    np.testing.assert_allclose(z, layout.from_plane([[x, y]])[0], atol=0.05)
    np.testing.assert_allclose(
        shown_image(window.map.tools["point"].page.decoded), window.session.space.decode(z)[0][..., 0], atol=1e-6
    )


def test_opening_a_wide_model_starts_the_t_sne_child_before_the_first_layout_is_asked(
    window, qtbot, wide_model_file, monkeypatch
):
    asked: list = []  # the layout asked for is not started: only the prepared child runs
    monkeypatch.setattr(window.map.layouts, "request", lambda codes, again=False: asked.append(codes))
    assert open_model(window, str(wide_model_file))
    qtbot.waitUntil(lambda: bool(asked), timeout=10_000)
    assert window.map.layouts.child_pid is not None and not window.map.layouts.computing


def test_beside_a_training_the_line_says_the_map_started_from_a_sample(window, qtbot, wide_model_file, monkeypatch):
    from vae_explorer.explorer.map import layout_service
    from vae_explorer.trainer.maps import layout_process, tsne

    monkeypatch.setattr(tsne, "FIRST_SAMPLE", 20)  # the 64 held-out codes count as a large map
    monkeypatch.setattr(layout_service, "SAMPLED_FROM", 50)
    monkeypatch.setattr(layout_process, "LayoutProcess", InProcess)
    monkeypatch.setattr(InProcess, "asked", [])
    window.map.layouts.training = lambda: True  # as while a training runs
    assert open_model(window, str(wide_model_file))
    qtbot.waitUntil(lambda: tsne_ready(window), timeout=60_000)
    assert window.map.state.projection.sampled == 20
    assert "approximate" in window.map.axes.mode.text()
    line = window.map.axes.mode.text()  # the figures before the note: an elided line keeps them
    assert line.endswith("started from a 20-point sample, laid out in full after training")
    assert line.index("legibility") < line.index("started from")
    box = window.map.axes.layout_box
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Down)  # t-SNE → PCA, before the training ends
    assert window.map.state.layout == "pca"
    window.map.layouts.training = lambda: False
    window.training.runner.finished.emit()  # the training's thread ended
    qtbot.waitUntil(lambda: window.map.state.tsne.sampled == 0, timeout=60_000)  # laid out in full meanwhile
    assert InProcess.asked[-1] == ("", False, None)
    qtbot.keyClick(box, Qt.Key.Key_Up)  # back to t-SNE: the whole layout, no sample said
    assert window.map.state.layout == "tsne" and "sample" not in window.map.axes.mode.text()


def test_switching_layouts_from_the_chooser_with_the_keyboard(window, qtbot, wide_model_file):
    open_model(window, str(wide_model_file))
    qtbot.waitUntil(lambda: tsne_ready(window), timeout=60_000)
    box, plot = window.map.axes.layout_box, window.map.map
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Down)  # t-SNE → PCA
    assert window.map.state.layout == "pca" and plot.getAxis("bottom").labelText == "PCA 1"
    assert window.map.axes.mode.text().startswith("exact")
    means = window.session.codes.means
    np.testing.assert_allclose(drawn_xy(plot), window.map.state.projection.to_plane(means), atol=1e-5)
    qtbot.keyClick(box, Qt.Key.Key_Up)  # back to t-SNE: the layout is kept, nothing recomputed
    assert window.map.state.layout == "tsne" and plot.getAxis("bottom").labelText == "t-SNE 1"


def test_a_2d_model_shows_its_own_plane_exactly(window, gui_model_file):
    open_model(window, str(gui_model_file[0]))
    assert not window.map.axes.layout_box.isEnabled()
    assert window.map.axes.mode.text().startswith("exact")
    assert window.map.map.getAxis("bottom").labelText == "z[0]"


def placing_sizes(monkeypatch) -> list:
    """How many codes each call of ``TSNELayout.to_plane`` placed among a layout's codes."""
    from vae_explorer.trainer.maps.tsne import TSNELayout

    return recorded_calls(monkeypatch, TSNELayout, "to_plane", lambda plane, *_: len(plane))


def test_training_updates_the_t_sne_layout_each_epoch_with_a_warm_start(window, qtbot, monkeypatch):
    """Between an epoch's codes and their layout the points stay where the last layout of the same
    images put them: placing every code among the layout's took minutes of the GUI thread at
    70,000 points."""
    placed = placing_sizes(monkeypatch)
    panel = window.training.panel
    panel.set_preset("dense")
    panel.latent_dim.setValue(4)
    panel.epochs.setValue(3)
    panel.batch_size.setValue(64)
    layouts, training_said = [], []
    window.map.layouts.ready.connect(lambda codes, layout: layouts.append(layout))
    window.training.runner.epoch_done.connect(lambda report: training_said.append(window.map.layouts.training()))
    qtbot.mouseClick(panel.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=60_000)
    assert training_said == [True] * 3 and not window.map.layouts.training()  # what picks a sampled first layout
    qtbot.waitUntil(
        lambda: not window.map.layouts.computing and window.map.state.tsne_points is window.map.state.points,
        timeout=60_000,
    )
    assert len(layouts) >= 2 and not layouts[0].warm_started and all(layout.warm_started for layout in layouts[1:])
    assert window.map.state.projection is layouts[-1]
    assert not [n for n in placed if n == len(window.map.state.points)]


def test_other_images_than_the_layout_s_wait_in_pca_when_placing_them_would_take_long(
    window, qtbot, wide_model_file, monkeypatch
):
    from vae_explorer.trainer.maps import tsne

    assert open_model(window, str(wide_model_file))
    qtbot.waitUntil(lambda: tsne_ready(window), timeout=60_000)
    placed = placing_sizes(monkeypatch)
    monkeypatch.setattr(tsne, "PLACING_BUDGET", 0)  # as 70,000 images among 70,000 codes
    kinds: list = []
    state = window.map.state
    state.changed.connect(lambda names: kinds.append(state.projection.kind) if "projection" in names else None)
    box = window.map.axes.points_box
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Down)  # held-out → training images (encoded in the background)
    qtbot.waitUntil(lambda: state.points.which == "train", timeout=30_000)
    assert kinds[:1] == ["pca"]
    assert "PCA meanwhile" in window.map.axes.mode.text()
    qtbot.waitUntil(lambda: tsne_ready(window) and state.tsne_points is state.points, timeout=60_000)
    np.testing.assert_allclose(drawn_xy(window.map.map), state.tsne.plane, atol=1e-4)
    assert len(state.points) not in placed


def test_the_axes_are_laid_out_again_only_when_their_names_change(qtbot, monkeypatch):
    """Every epoch redraws the map with the same axis names: setting them again laid both axes
    out again, 11 ms of each redraw of 70,000 points (more beside a training)."""
    from vae_explorer.explorer.map.latent_map import LatentMap

    view = LatentMap()
    qtbot.addWidget(view)
    labels = recorded_calls(monkeypatch, view, "setLabel", lambda result, *args: args)
    for _ in range(3):
        view.set_axis_names("t-SNE 1", "t-SNE 2")
    view.set_axis_names("PC 1", "PC 2")
    assert labels == [("bottom", "t-SNE 1"), ("left", "t-SNE 2"), ("bottom", "PC 1"), ("left", "PC 2")]
    assert view.getPlotItem().getAxis("bottom").labelText == "PC 1"
