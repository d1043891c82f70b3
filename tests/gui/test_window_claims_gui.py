"""The README's claims about the window, through the user's path: the Train panel's settings and
defaults, its progress bar, the loss plot's terms, *Open…* of an IDX or image folder, the
Interpolate, Traverse and Grid tools, and File ▸ Export of the strip, the traversal, the grid,
samples and a .keras file."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog

from tests.gui.helpers import open_model, open_tool, shown_image
from tests.gui.test_main_window import click_map
from tests.gui.test_more_user_paths import answer_kind_dialog
from vae_explorer.trainer.files.imagegrid import tile, to_uint8, upscale

LEFT = Qt.MouseButton.LeftButton
CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def type_value(qtbot, spin, text: str) -> None:
    """Select the field's text and type ``text`` over it, then Tab away, as a user does."""
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Tab)


def decode_png(path) -> np.ndarray:
    from vae_explorer.trainer.tf_runtime import import_tensorflow

    return import_tensorflow().io.decode_png(path.read_bytes()).numpy()


def test_a_new_window_trains_the_default_preset_with_batch_64_lr_2e_3_for_15_epochs(window):
    from vae_explorer.trainer.model.config import TrainConfig

    panel = window.training.panel
    assert panel.preset.currentData() == "default"
    assert (panel.latent_dim.value(), panel.epochs.value(), panel.batch_size.value()) == (16, 15, 64)
    assert panel.lr.value() == pytest.approx(2e-3) and panel.beta.value() == 1.0 and panel.warmup.value() == 0
    assert window.training.settings.config() == TrainConfig(preset="default", epochs=15, batch_size=64)


def test_each_setting_of_the_train_panel_is_the_training_s(window, qtbot):
    """Preset, latent dimension, epochs, batch size, β, KL warm-up, learning rate and seed, typed
    into the panel, are what the model trains with."""
    panel = window.training.panel
    panel.set_preset("dense")
    for field, text in (
        (panel.latent_dim, "3"),
        (panel.epochs, "1"),
        (panel.batch_size, "32"),
        (panel.beta, "0.5"),
        (panel.warmup, "2"),
        (panel.lr, "0.004"),
        (panel.seed, "7"),
    ):
        type_value(qtbot, field, text)
    qtbot.mouseClick(panel.start, LEFT)
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=60_000)
    config = window.session.config
    assert (config.preset, config.latent_dim, config.epochs, config.batch_size) == ("dense", 3, 1, 32)
    assert (config.beta, config.kl_warmup_epochs, config.seed) == (0.5, 2, 7)
    assert config.learning_rate == pytest.approx(0.004)
    assert window.session.codes.means.shape == (64, 3) and len(window.session.history) == 1
    assert window.session.history[0]["kl_weight"] < 0.5  # β ramps up over the warm-up


def test_the_progress_bar_shows_epoch_batch_images_per_second_and_eta(window, qtbot, long_training):
    panel = window.training.panel
    qtbot.mouseClick(panel.start, LEFT)
    qtbot.waitUntil(lambda: len(long_training) > 3, timeout=30_000)
    last = long_training[-1]  # what the bar shows: the newest batch report (read between two events)
    progress, label = panel.progress.format(), panel.progress_label.text()
    qtbot.mouseClick(panel.stop, LEFT)
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=10_000)
    assert progress == f"epoch 1 · batch {last.batch}/125 · %p%" and last.epoch == 1
    shown = re.match(r"([\d,]+) images/s · ETA ((\d+:)?\d\d?:\d\d)\n", label)
    assert shown, label
    assert int(shown.group(1).replace(",", "")) == round(last.images_per_second) > 0
    eta = [int(v) for v in shown.group(2).split(":")]
    assert sum(v * 60**i for i, v in enumerate(reversed(eta))) > 60  # 1,000 epochs: far more than a minute


def test_the_loss_plot_draws_total_reconstruction_and_kl_per_batch_and_per_epoch_train_and_held_out(window, qtbot):
    panel = window.training.panel
    panel.set_preset("tutorial")
    panel.epochs.setValue(2)
    panel.batch_size.setValue(32)
    qtbot.mouseClick(panel.start, LEFT)
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=60_000)
    plot, history = window.training.loss_plot, window.session.history
    qtbot.waitUntil(lambda: len(plot._val["kl_loss"].xData) == 2, timeout=5_000)  # the next redraw
    for key in ("loss", "reconstruction_loss", "kl_loss"):
        np.testing.assert_allclose(plot._train[key].yData, [max(h[key], 1e-3) for h in history], rtol=1e-6)
        np.testing.assert_allclose(plot._val[key].yData, [max(h[f"val_{key}"], 1e-3) for h in history], rtol=1e-6)
        np.testing.assert_allclose(plot._train[key].xData, [1, 2])
        assert len(plot._batch[key].xData) == 2 * 8  # every batch of both epochs
    legend = {label.text for _, label in plot.plotItem.legend.items}
    for term in ("total", "reconstruction", "KL"):
        assert {f"{term} (batch)", f"{term} (epoch)", f"{term} (held-out)"} <= legend


@pytest.mark.parametrize("kind", ["IDX folder", "image folder"])
def test_open_dataset_opens_an_idx_folder_or_a_folder_of_images(window, qtbot, monkeypatch, tmp_path, kind):
    from tests.test_datasets import write_idx_folder
    from vae_explorer.trainer.files.imagegrid import write_png

    folder = tmp_path / "chosen"
    if kind == "IDX folder":
        write_idx_folder(folder, n_train=40, n_test=10)
        expected = (40, 10, (28, 28, 1))
    else:
        rng = np.random.default_rng(0)
        for label in ("cats", "dogs"):
            (folder / label).mkdir(parents=True)
            for i in range(10):
                write_png(folder / label / f"{i}.png", rng.integers(0, 256, (20, 16, 3), dtype=np.uint8))
        expected = (16, 4, (20, 16, 3))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(folder)))
    seen: list = []
    answer_kind_dialog("IDX or image folder…", seen)
    qtbot.mouseClick(window.datasets.box.open_data, LEFT)  # the Train panel's Open… button
    qtbot.waitUntil(
        lambda: window.session.dataset is not None and window.session.dataset.source == str(folder), timeout=20_000
    )
    qtbot.waitUntil(lambda: not window.busy(), timeout=20_000)
    data = window.session.dataset
    assert (len(data.x_train), len(data.x_test), data.image_shape) == expected
    assert window.datasets.box.dataset.currentText() == "chosen"


@pytest.fixture
def explored(window, gui_model_file):
    """The 2-D `dense` model open: its map is the latent plane itself."""
    assert open_model(window, str(gui_model_file[0]))
    return window


def somewhere(window, fx: float, fy: float) -> tuple[float, float]:
    (x0, x1), (y0, y1) = window.map.map.visible_region()
    return x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)


def test_interpolate_decodes_n_frames_from_a_to_b_linear_or_spherical_drawn_on_the_map(explored, qtbot):
    from vae_explorer.trainer.latent.paths import interpolate

    tool, space = explored.map.tools["interpolate"], explored.session.space
    click_map(explored, qtbot, *somewhere(explored, 0.8, 0.25))
    page = open_tool(explored, qtbot, "Interpolate")
    qtbot.mouseClick(page.set_a, LEFT)
    click_map(explored, qtbot, *somewhere(explored, 0.3, 0.7))
    qtbot.mouseClick(page.set_b, LEFT)
    type_value(qtbot, page.steps, "7")
    a, b = explored.map.state.ends["A"], explored.map.state.ends["B"]
    straight = a + np.linspace(0, 1, 7)[:, None] * (b - a)
    np.testing.assert_allclose(tool.frames, space.decode(straight.astype(np.float32)), atol=1e-5)
    np.testing.assert_allclose(shown_image(page.strip), tile(tool.frames, cols=7, pad=1)[..., 0], atol=1e-6)
    line = np.c_[tool.line.xData, tool.line.yData]  # the path on the map: the segment from A to B
    np.testing.assert_allclose(line[[0, -1]], [a, b], atol=1e-5)
    across = np.cross(b - a, line - a) / np.linalg.norm(b - a)
    assert np.abs(across).max() < 1e-4 * np.linalg.norm(b - a)
    page.method.setFocus()
    qtbot.keyClick(page.method, Qt.Key.Key_Down)  # linear → spherical
    assert page.method.currentText() == "spherical"
    np.testing.assert_allclose(tool.frames, space.decode(interpolate(a, b, 7, "spherical")), atol=1e-5)
    assert np.abs(tool.frames - space.decode(straight.astype(np.float32))).max() > 1e-3


def test_traverse_varies_each_dimension_by_plus_minus_3_around_the_point(explored, qtbot):
    click_map(explored, qtbot, *somewhere(explored, 0.6, 0.4))
    z = explored.map.state.current
    page = open_tool(explored, qtbot, "Traverse")
    steps = page.steps.value()
    assert page.span.value() == 3.0
    rows = [int(d[1:]) for d in page.about.text().removeprefix("Rows, top to bottom: ").split(", ")]
    assert sorted(rows) == [0, 1]
    codes = np.repeat(z[None], len(rows) * steps, axis=0).astype(np.float32)
    for r, d in enumerate(rows):
        codes[r * steps : (r + 1) * steps, d] = z[d] + np.linspace(-3, 3, steps)
    expected = tile(explored.session.space.decode(codes), cols=steps, pad=1)[..., 0]
    np.testing.assert_allclose(shown_image(page.sheet), expected, atol=1e-5)


def test_the_grid_decodes_n_by_n_points_over_the_visible_region(explored, qtbot):
    page = open_tool(explored, qtbot, "Grid")
    type_value(qtbot, page.n, "4")
    qtbot.mouseClick(page.decode, LEFT)
    (x0, x1), (y0, y1) = explored.map.map.visible_region()
    xs, ys = np.linspace(x0, x1, 4), np.linspace(y1, y0, 4)  # rows from the top of the view down
    z = np.array([[x, y] for y in ys for x in xs], np.float32)
    expected = tile(explored.session.space.decode(z), cols=4, pad=0)[..., 0]
    np.testing.assert_allclose(shown_image(page.grid), expected, atol=1e-5)


def test_file_export_writes_the_strip_the_traversal_the_grid_samples_and_a_keras_model(
    explored, qtbot, tmp_path, monkeypatch
):
    import keras

    import vae_explorer.trainer.model.vae  # noqa: F401 (the .keras file's VAE and Sampling classes)

    asked: list[str] = []

    def save_as(parent, title, suggested, *a, **k):
        asked.append(title)
        return str(tmp_path / os.path.basename(suggested)), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_as))
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *a, **k: (2, True)))  # pixels doubled
    tools, space = explored.map.tools, explored.session.space
    click_map(explored, qtbot, *somewhere(explored, 0.7, 0.3))
    page = open_tool(explored, qtbot, "Interpolate")
    qtbot.mouseClick(page.set_a, LEFT)
    click_map(explored, qtbot, *somewhere(explored, 0.2, 0.6))
    qtbot.mouseClick(page.set_b, LEFT)
    explored.activateWindow()
    for action in ("export_interp", "export_traverse", "export_samples"):
        explored.actions[action].trigger()  # File ▸ Export ▸ …
    qtbot.keyClick(explored, Qt.Key.Key_E, CTRL)  # File ▸ Export ▸ Manifold grid
    expected = {
        "interpolation.png": tile(tools["interpolate"].frames, cols=len(tools["interpolate"].frames)),
        "traversal.png": tools["traverse"].export_image(),
        "grid.png": tools["grid"].export_image(),
    }
    for name, image in expected.items():
        np.testing.assert_array_equal(decode_png(tmp_path / name), to_uint8(upscale(image, 2)), err_msg=name)
    assert decode_png(tmp_path / "samples.png").shape == (2 * (8 * 30 + 2), 2 * (8 * 30 + 2), 1)  # 64 samples
    explored.actions["export_keras"].trigger()
    reloaded = keras.saving.load_model(tmp_path / "vae.keras")
    z = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    np.testing.assert_allclose(reloaded.decoder(z).numpy(), space.decode(z), atol=1e-5)
    assert asked == ["Export PNG"] * 4 + ["Export Keras model"]
