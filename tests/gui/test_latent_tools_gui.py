"""The map's latent tools through the user's path: a class direction, prior holes, samples of a
class, and replaying the map of a 3-epoch training."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog

from tests.gui.helpers import drawn_xy, open_model, open_tool, shown_image
from tests.gui.test_main_window import click_map, png_size
from vae_explorer.trainer.files.imagegrid import tile
from vae_explorer.trainer.latent import class_tools


def open_tab(window, qtbot, title: str):
    return open_tool(window, qtbot, title)


def click_data_point(window, qtbot, index: int = 0) -> int:
    """Click held-out point ``index`` (or the next one not under the legend, which takes its own
    clicks); the index of the point the click hit."""
    plot = window.map.map
    qtbot.wait(50)  # the view settles on the data first
    legend = plot.legend.sceneBoundingRect()
    planes = window.map.state.projection.to_plane(window.session.codes.means)
    index = next(
        i
        for i in range(index, len(planes))
        if not legend.contains(plot.getViewBox().mapViewToScene(QPointF(*map(float, planes[i]))))
    )
    x, y = planes[index]
    click_map(window, qtbot, float(x), float(y))
    assert window.map.state.current_index is not None
    return window.map.state.current_index


def choose_other_class(qtbot, box, avoid: int) -> int:
    """Step a class combo box with the Down key until it shows a class other than ``avoid``."""
    box.setFocus()
    while box.currentData() == avoid:
        qtbot.keyClick(box, Qt.Key.Key_Down)
    return int(box.currentData())


def test_sliding_a_clicked_point_towards_another_class_decodes_along_the_class_direction(window, qtbot, gui_model_file):
    assert open_model(window, str(gui_model_file[0]))
    tab = open_tab(window, qtbot, "Direction")
    clicked = click_data_point(window, qtbot, 5)
    codes, space = window.session.codes, window.session.space
    source = int(codes.labels[clicked])
    target = choose_other_class(qtbot, tab.target, source)
    tab.slider.setFocus()
    for key in (Qt.Key.Key_PageUp,) * 7 + (Qt.Key.Key_Right,) * 3:  # 7 × 0.10 + 3 × 0.01
        qtbot.keyClick(tab.slider, key)
    assert window.map.tools["direction"].settings.t == 0.73
    centres = class_tools.class_means(codes.means, codes.labels)
    z = codes.means[clicked] + 0.73 * (centres[target] - centres[source])
    np.testing.assert_allclose(shown_image(tab.preview), space.decode(z.astype(np.float32))[0][..., 0], atol=1e-5)
    marker = window.map.tools["direction"].marker.data
    np.testing.assert_allclose([marker["x"][0], marker["y"][0]], z, atol=1e-4)  # a 2-D latent is its own map
    qtbot.keyClick(tab.slider, Qt.Key.Key_End)
    assert window.map.tools["direction"].settings.t == class_tools.DIRECTION_MAX


def test_the_prior_holes_overlay_appears_under_the_points(window, qtbot, gui_model_file):
    assert open_model(window, str(gui_model_file[0]))
    tab = open_tab(window, qtbot, "Prior holes")
    overlay = window.map.tools["prior_holes"].image
    assert not overlay.isVisible()
    qtbot.mouseClick(tab.holes, Qt.MouseButton.LeftButton)
    assert tab.holes.isChecked() and overlay.isVisible()
    assert overlay.image.shape == (64, 64, 4) and overlay.zValue() < window.map.map.dots.zValue()
    (x0, x1), (y0, y1) = window.map.map.visible_region()
    rect = overlay.mapRectToParent(overlay.boundingRect())
    np.testing.assert_allclose(
        [rect.left(), rect.top(), rect.width(), rect.height()], [x0, y0, x1 - x0, y1 - y0], rtol=1e-4, atol=1e-6
    )
    assert "prior has mass" in tab.note.text()
    qtbot.mouseClick(tab.holes, Qt.MouseButton.LeftButton)
    assert not overlay.isVisible()


def test_samples_of_a_class_are_decoded_from_its_fitted_gaussian_and_exported(
    window, qtbot, gui_model_file, tmp_path, monkeypatch
):
    assert open_model(window, str(gui_model_file[0]))
    tab = open_tab(window, qtbot, "Class samples")
    label = choose_other_class(qtbot, tab.label_box, tab.label_box.itemData(0))
    codes, space = window.session.codes, window.session.space

    def expected(seed):
        z = class_tools.class_samples(codes.means, codes.labels, label, 64, seed)
        return tile(space.decode(z), cols=8, pad=1)[..., 0]

    np.testing.assert_allclose(shown_image(tab.grid), expected(0), atol=1e-5)
    qtbot.mouseClick(tab.resample, Qt.MouseButton.LeftButton)
    assert tab.seed.value() == 1
    np.testing.assert_allclose(shown_image(tab.grid), expected(1), atol=1e-5)
    out = tmp_path / "sevens.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "")))
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *a, **k: (1, True)))
    qtbot.mouseClick(tab.export, Qt.MouseButton.LeftButton)
    assert png_size(out) == (8 * 30 + 2, 8 * 30 + 2)  # 28-pixel digits, 2 pixels apart, as exports are


def train_three_epochs(window, qtbot, latent_dim: int) -> list:
    """Train a tiny `dense` model for 3 epochs from the panel; the codes each epoch delivered."""
    panel = window.training.panel
    panel.set_preset("dense")
    panel.latent_dim.setValue(latent_dim)
    panel.epochs.setValue(3)
    panel.batch_size.setValue(64)
    epochs = []
    window.training.runner.epoch_done.connect(lambda report: epochs.append(report.latent_means.copy()))
    qtbot.mouseClick(panel.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=120_000)
    assert len(epochs) == 3
    return epochs


def drawn(window) -> np.ndarray:
    return drawn_xy(window.map.map)


def test_scrubbing_replays_the_map_of_each_epoch_and_the_file_keeps_them(window, qtbot, tmp_path):
    epochs = train_three_epochs(window, qtbot, latent_dim=2)
    tab = open_tab(window, qtbot, "Epochs")
    slider = tab.slider
    assert slider.isEnabled() and slider.maximum() == 2
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_Home)
    np.testing.assert_allclose(drawn(window), epochs[0], atol=1e-5)  # the latent plane: epoch 1's codes
    assert tab.label.text().startswith("Epoch 1 of 3")
    qtbot.keyClick(slider, Qt.Key.Key_Right)
    np.testing.assert_allclose(drawn(window), epochs[1], atol=1e-5)
    qtbot.keyClick(slider, Qt.Key.Key_End)
    np.testing.assert_allclose(drawn(window), window.session.codes.means, atol=1e-5)
    assert tab.label.text().startswith("Live map (epoch 3)")
    path = str(tmp_path / "run.h5")
    assert window.files.save_to(path) and open_model(window, path)
    assert slider.isEnabled() and slider.maximum() == 2  # the opened file brought its epochs
    qtbot.keyClick(slider, Qt.Key.Key_Home)
    np.testing.assert_allclose(drawn(window), epochs[0], atol=1e-2)  # kept as float16


def test_a_pca_map_replays_each_epoch_on_its_own_pca_plane_aligned_to_the_last(window, qtbot):
    from vae_explorer.trainer.maps.epoch_codes import aligned_pca_plane

    window.map.axes.choose("pca")
    epochs = train_three_epochs(window, qtbot, latent_dim=3)
    final = window.map.state.projection.to_plane(epochs[-1])
    tab = open_tab(window, qtbot, "Epochs")
    tab.slider.setFocus()
    qtbot.keyClick(tab.slider, Qt.Key.Key_Home)
    np.testing.assert_allclose(drawn(window), aligned_pca_plane(epochs[0], final), atol=1e-4)
    assert "aligned to the final map" in tab.label.text()
    for axis in (0, 1):  # aligned, not flipped: each axis goes the same way as the final map's
        assert np.corrcoef(drawn(window)[:, axis], final[:, axis])[0, 1] > 0


def test_on_a_t_sne_map_the_walk_is_placed_by_the_layout_and_the_prior_is_not_shaded(
    window, qtbot, tmp_path, mnist_small, train_and_save
):
    from vae_explorer.trainer.model.config import TrainConfig

    path = tmp_path / "latent4.h5"
    train_and_save(TrainConfig(preset="dense", latent_dim=4, epochs=1, batch_size=64, seed=2), mnist_small, path)
    assert open_model(window, str(path))
    qtbot.waitUntil(lambda: getattr(window.map.state.projection, "kind", None) == "tsne", timeout=60_000)
    space_tab = open_tab(window, qtbot, "Prior holes")
    qtbot.mouseClick(space_tab.holes, Qt.MouseButton.LeftButton)
    assert not window.map.tools["prior_holes"].image.isVisible() and "Not on a t-SNE map" in space_tab.note.text()
    tab = open_tab(window, qtbot, "Direction")
    click_data_point(window, qtbot, 3)
    choose_other_class(qtbot, tab.target, int(window.session.codes.labels[window.map.state.current_index]))
    tab.slider.setFocus()
    qtbot.keyClick(tab.slider, Qt.Key.Key_PageUp)
    z = window.map.tools["direction"].walk()
    z = z[0] + 0.1 * z[3]
    marker = window.map.tools["direction"].marker.data
    np.testing.assert_allclose([marker["x"][0], marker["y"][0]], window.map.state.projection.to_plane(z)[0], atol=1e-4)
    window.map.axes.choose("pca")  # a linear map: the prior's holes can be shaded
    assert window.map.tools["prior_holes"].image.isVisible()
