"""The whole dataset on the map, through the user's path, on 24,000 images: choose which points,
find an image by its index, lasso thousands of points and export them as a list to act on."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.gui.helpers import brush_rgb, drawn_indices, open_model, point_count
from tests.gui.test_map_data_gui import drag, view_pos

CTRL = Qt.KeyboardModifier.ControlModifier
N_TRAIN, N_HELD_OUT = 21_000, 3_000


@pytest.fixture(scope="module")
def big_data(mnist):
    """24,000 real digits: the embedded images, each repeated shifted by a pixel or two."""
    from vae_explorer.trainer.data.dataset import Dataset

    def grow(x, y, n):
        reps = -(-n // len(x))
        shifted = [np.roll(x, (k % 3, k // 3 % 3), axis=(1, 2)) for k in range(reps)]
        return np.concatenate(shifted)[:n], np.tile(y, reps)[:n]

    x_train, y_train = grow(mnist.x_train, mnist.y_train, N_TRAIN)
    x_test, y_test = grow(mnist.x_test, mnist.y_test, N_HELD_OUT)
    return Dataset("big digits", "test", x_train, x_test, y_train, y_test)


@pytest.fixture
def big_map(window, qtbot, map_model, big_data):
    """A latent-2 model (its map is its latent plane: exact, no layout to wait for) on big_data."""
    assert open_model(window, str(map_model[0]))
    window.datasets.show(big_data)
    qtbot.waitUntil(lambda: window.session.held_out_images() is not None and not window.busy(), timeout=30_000)
    return window


@pytest.fixture(scope="module")
def map_model(tmp_path_factory, big_data, train_and_save):
    """Trained on big_data itself: the map can show its training images."""
    from vae_explorer.trainer.model.config import TrainConfig

    config = TrainConfig(preset="dense", latent_dim=2, epochs=1, batch_size=128, learning_rate=3e-3, seed=0)
    path = tmp_path_factory.mktemp("mapscale") / "m.h5"
    train_and_save(config, big_data, path)
    return path, None


def choose_points(window, qtbot, text: str, expected: int) -> None:
    """Pick ``text`` in the Points box with the keyboard, as a user does, and wait for the map."""
    box = window.map.axes.points_box
    box.setFocus()
    while box.currentText() != text:
        QTest.keyClick(box, Qt.Key.Key_Down if box.findText(text) > box.currentIndex() else Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: point_count(window.map.map) == expected and not window.busy(), timeout=60_000)


def test_all_24000_images_on_the_map_searched_filtered_lassoed_and_exported(big_map, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from vae_explorer.trainer.maps.selection import points_in_polygon

    window, plot = big_map, big_map.map.map
    choose_points(window, qtbot, "all", N_TRAIN + N_HELD_OUT)
    points = window.map.state.points
    assert points.which == "all" and points.sample is None

    search = window.map.search.box
    qtbot.mouseClick(search, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(search, "train 20345")
    QTest.keyClick(search, Qt.Key.Key_Return)
    found = window.map.state.current_index
    assert (points.sets[found], points.index[found]) == (1, 20345)
    (x0, x1), (y0, y1) = plot.getViewBox().viewRange()
    x, y = plot.plane[found]
    assert abs((x0 + x1) / 2 - x) < 1e-3 * (x1 - x0) and abs((y0 + y1) / 2 - y) < 1e-3 * (y1 - y0)

    choose_points(window, qtbot, "training", N_TRAIN)
    assert set(window.map.state.points.sets.tolist()) == {1}
    choose_points(window, qtbot, "all", N_TRAIN + N_HELD_OUT)
    plot.getViewBox().autoRange()
    plane = plot.plane
    angles = np.linspace(0, 2 * np.pi, 13)[:-1]
    outline = plane.mean(axis=0) + 0.8 * plane.std(axis=0) * np.c_[np.cos(angles), np.sin(angles)]
    pixels = drag(plot, [*outline, outline[0]], CTRL)
    expected = np.sort(points_in_polygon(plane, [view_pos(plot, p) for p in pixels]))
    assert len(expected) > 5_000
    np.testing.assert_array_equal(window.map.view_state.selection, expected)

    page, out = window.map.tools["selection"].page, tmp_path / "chosen.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "CSV (*.csv)")))
    qtbot.mouseClick(page.export_list, Qt.MouseButton.LeftButton)
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    points = window.map.state.points
    assert [(r["set"], int(r["index"]), int(r["label"])) for r in rows] == [
        (("held-out", "train")[points.sets[i]], int(points.index[i]), int(points.labels[i])) for i in expected
    ]
    data = window.session.dataset
    for r in rows[:: max(1, len(rows) // 50)]:  # each row names the image the lasso took
        image = (data.x_train if r["set"] == "train" else data.x_test)[int(r["index"])]
        assert int((data.y_train if r["set"] == "train" else data.y_test)[int(r["index"])]) == int(r["label"])
        assert image.shape == (28, 28, 1)


def test_colour_by_set_paints_training_and_held_out_images_apart(big_map, qtbot):
    from vae_explorer.explorer.map.point_style import SET_RGB

    window, plot = big_map, big_map.map.map
    choose_points(window, qtbot, "all", N_TRAIN + N_HELD_OUT)
    combo = window.map_data.toolbar.color_by
    combo.setFocus()
    while combo.currentData() != "set":
        QTest.keyClick(combo, Qt.Key.Key_Down)
    assert window.map.view_state.color_by == "set"
    sets = window.map.state.points.sets[drawn_indices(plot)]
    np.testing.assert_array_equal(brush_rgb(plot), np.array(SET_RGB)[sets])
    assert set(sets.tolist()) == {0, 1}
