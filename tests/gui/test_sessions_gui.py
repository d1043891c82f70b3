"""Sessions through the user's path: set the map up with clicks and keys, File ▸ Save session…,
open it in a new window, and every saved field of every state object, the tool shown, the zoom
and the drawn map are the same; a bad file, a moved model, a rewritten model, the last session
and ``vae-explorer SESSION.json``."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog

from tests.gui.helpers import brush_rgb, drawn_indices, drawn_xy, open_model, open_tool
from tests.gui.test_draw_claims_gui import type_value
from tests.gui.test_follow import zoom_in
from tests.gui.test_map_data_gui import drag, legend_row_pos, widget_pos
from vae_explorer.explorer.files.session_parts import saved_states
from vae_explorer.explorer.map.view_range import GESTURE_END_MS

LEFT, NONE, SHIFT = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier


def answer_dialogs(monkeypatch, save: str | None = None, open_: str | None = None) -> list[str]:
    """QFileDialog's static functions answer ``save`` / ``open_``; the titles asked are listed."""
    asked: list[str] = []

    def get_save(parent, title, *args, **kwargs):
        asked.append(title)
        return save or "", ""

    def get_open(parent, title, *args, **kwargs):
        asked.append(title)
        return open_ or "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(get_save))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(get_open))
    return asked


def click_map(window, x: float, y: float) -> None:
    QTest.mouseClick(window.map.map.viewport(), LEFT, NONE, widget_pos(window.map.map, x, y))


def set_up_by_hand(window, qtbot) -> None:
    """A PCA map coloured by KL with one class hidden, a rectangle selected, A and B set, seven
    interpolation frames, and zoomed in: each through the widgets, as a user does."""
    axes, toolbar, plot = window.map.axes, window.map_data.toolbar, window.map.map
    qtbot.keyClick(axes.layout_box, Qt.Key.Key_Down)  # t-SNE → PCA
    assert window.map.state.layout == "pca"
    for _ in range(2):
        qtbot.keyClick(toolbar.color_by, Qt.Key.Key_Down)  # label → reconstruction loss → KL
    assert window.map_data.state.color_by == "kl"
    hidden = int(plot.legend_values[1])
    QTest.mouseClick(plot.viewport(), LEFT, NONE, legend_row_pos(plot, hidden))
    lo, hi = np.percentile(plot.plane, [10, 80], axis=0)
    drag(plot, [lo, (lo + hi) / 2, hi], SHIFT)
    assert len(window.map.view_state.selection) > 3
    page = open_tool(window, qtbot, "Interpolate")
    click_map(window, *lo)
    qtbot.mouseClick(page.set_a, LEFT)
    click_map(window, *hi)
    qtbot.mouseClick(page.set_b, LEFT)
    type_value(qtbot, page.steps, "7")
    assert set(window.map.state.ends) == {"A", "B"} and window.map.tools["interpolate"].settings.steps == 7
    zoom_in(plot)
    qtbot.waitUntil(lambda: window.map.view_state.view_range is not None, timeout=2 * GESTURE_END_MS + 2000)
    qtbot.waitUntil(lambda: not window.busy(), timeout=30_000)  # the per-image KL


def same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b)) and np.asarray(a).dtype == np.asarray(b).dtype
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


@pytest.fixture
def new_window(qtbot, tmp_path, mnist_small):
    """Another main window (its own settings and runs folder), as a later start of the app."""
    from vae_explorer.explorer.main_window import MainWindow

    made = []

    def make(settings_file: str = "settings2.ini", small: bool = True, runs: str = "runs2"):
        settings = QSettings(str(tmp_path / settings_file), QSettings.Format.IniFormat)
        w = MainWindow(settings=settings, runs_dir=str(tmp_path / runs))
        w.show()  # not qtbot.addWidget: pytest-qt would delete it before it is idle (see gui/conftest.py)
        qtbot.waitUntil(lambda: w.session.tf_ready and w.session.dataset is not None and not w.busy(), timeout=60_000)
        if small:
            w.datasets.show(mnist_small)
        made.append(w)
        return w

    yield make
    for w in made:
        # the per-image KL of a restored colouring may still be compiling: closing then aborts (a
        # defect of the closing path outside sessions, reported), so the windows close when idle
        qtbot.waitUntil(lambda w=w: not w.busy(), timeout=60_000)
        w.close()
        qtbot.waitUntil(lambda w=w: not w.busy(), timeout=10_000)
        w.deleteLater()


@pytest.fixture
def explored(window, qtbot, wide_model_file, tmp_path, monkeypatch):
    """The latent-6 model opened, set up by hand, and saved as a session through File ▸ Save session…"""
    model = tmp_path / "models" / "wide.h5"
    model.parent.mkdir()
    shutil.copy(wide_model_file, model)
    assert open_model(window, str(model))
    qtbot.waitUntil(lambda: not window.busy(), timeout=30_000)
    set_up_by_hand(window, qtbot)
    session = tmp_path / "explored.json"
    answer_dialogs(monkeypatch, save=str(session))
    window.actions["save_session"].trigger()
    assert session.exists()
    return window, session, model


def opened_in(w, qtbot, monkeypatch, session) -> None:
    answer_dialogs(monkeypatch, open_=str(session))
    with qtbot.waitSignal(w.sessions.applied, timeout=60_000):
        w.actions["open_session"].trigger()
    qtbot.waitUntil(lambda: not w.busy(), timeout=30_000)


def test_a_session_opened_in_a_new_window_restores_every_state_the_zoom_and_the_map(
    explored, new_window, qtbot, monkeypatch
):
    window, session, model = explored
    raw = json.loads(session.read_text())
    assert raw["model"]["path"] == os.path.join("models", "wide.h5") and raw["tab"] == "Interpolate"
    other = new_window()
    opened_in(other, qtbot, monkeypatch, session)
    assert other.session.path == str(model) and not other.actions["undo"].isEnabled()
    before, after = saved_states(window), saved_states(other)
    assert before.keys() == after.keys()
    for name, state in before.items():
        for key, value in state.values().items():
            assert same(value, getattr(after[name], key)), (name, key)
    assert other.map.panel.tool_name(other.map.panel.currentIndex()) == "Interpolate"
    np.testing.assert_allclose(other.map.map.getViewBox().viewRange(), window.map.map.getViewBox().viewRange())
    np.testing.assert_array_equal(drawn_indices(other.map.map), drawn_indices(window.map.map))
    np.testing.assert_allclose(drawn_xy(other.map.map), drawn_xy(window.map.map))
    np.testing.assert_array_equal(brush_rgb(other.map.map), brush_rgb(window.map.map))
    assert other.map.tools["interpolate"].page.steps.value() == 7
    assert other.map_data.toolbar.color_by.currentData() == "kl"


def test_a_bad_session_file_is_one_line_and_changes_nothing(window, qtbot, dialogs, monkeypatch, tmp_path):
    before = {name: dict(state.values()) for name, state in saved_states(window).items()}
    empty = {"format": "vae-explorer-session", "version": 1, "model": None, "states": {}}
    for name, content in (
        ("garbage.json", "\x00 not json"),
        ("future.json", {**empty, "version": 9}),
        ("typed.json", {**empty, "states": {"view": {"hidden": [1, 2]}}}),
    ):
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        answer_dialogs(monkeypatch, open_=str(path))
        window.actions["open_session"].trigger()
        title, line = dialogs.warnings[-1]
        assert title == "Cannot open session" and str(path) in line and "\n" not in line
    assert len(dialogs.warnings) == 3 and "newer vae-explorer" in dialogs.warnings[1][1]
    after = {name: dict(state.values()) for name, state in saved_states(window).items()}
    assert all(same(before[n][k], after[n][k]) for n in before for k in before[n])


def test_a_moved_model_is_asked_for_once_and_a_rewritten_one_is_said(
    explored, new_window, qtbot, monkeypatch, tmp_path, gui_model_file
):
    window, session, model = explored
    moved = tmp_path / "elsewhere" / "wide.h5"
    moved.parent.mkdir()
    os.rename(model, moved)
    other = new_window()
    asked = answer_dialogs(monkeypatch, open_=str(moved))
    with qtbot.waitSignal(other.sessions.applied, timeout=60_000):
        other.sessions.open_session(str(session))
    assert asked == ["Where is wide.h5 now?"] and other.session.path == str(moved)
    assert other.map.state.layout == "pca" and other.map.view_state.color_by == "kl"
    shutil.copy(gui_model_file[0], moved)  # another model (latent 2) where the session's was
    with qtbot.waitSignal(other.sessions.applied, timeout=60_000):
        other.sessions.open_session(str(session))
    status = other.statusBar().currentMessage()
    assert "changed since the session was saved" in status and "map.current" in status and "map.ends" in status
    assert other.session.latent_dim == 2 and other.map.state.ends == {}  # the old endpoints do not fit
    assert other.map.view_state.hidden == window.map.view_state.hidden  # what still applies


def test_the_last_session_is_offered_on_the_next_start_and_reopens(explored, new_window, qtbot, tmp_path):
    window, session, _ = explored
    assert window.sessions.last() == str(session)
    other = new_window("settings.ini", small=False)  # the same settings: the next start of the app
    assert f"Last session: {session}" in other.statusBar().currentMessage()
    assert other.actions["reopen_session"].isEnabled()
    with qtbot.waitSignal(other.sessions.applied, timeout=60_000):
        other.actions["reopen_session"].trigger()
    assert other.map.state.layout == "pca" and set(other.map.state.ends) == {"A", "B"}


def test_vae_explorer_session_json_opens_the_session(explored, new_window, qtbot):
    from vae_explorer.explorer.app import open_arguments, parse_args

    window, session, model = explored
    other = new_window()
    with qtbot.waitSignal(other.sessions.applied, timeout=60_000):
        open_arguments(other, parse_args([str(session)]))
    assert other.session.path == str(model) and other.map.state.layout == "pca"


def test_the_runs_overlaid_are_selected_again(window, new_window, qtbot, monkeypatch, tmp_path):
    record = {
        "format": "vae-explorer-run",
        "format_version": 1,
        "started": "2026-01-01T00:00:00+00:00",
        "status": "finished",
        "model_path": "/m.h5",
        "config": {"preset": "dense"},
        "dataset": {"name": "d"},
        "history": [{"epoch": 1, "loss": 2.0}],
        "final": {"val_neg_elbo": 1.0},
        "wall_time": 3.0,
    }
    os.makedirs(tmp_path / "runs", exist_ok=True)
    (tmp_path / "runs" / "r.run.json").write_text(json.dumps(record))
    window.runs.reload()
    path = window.runs.state.records[0].path
    window.runs.panel.select_records({path})  # as a click on its row does
    assert window.runs.state.selected == (path,)
    session = tmp_path / "runs.json"
    answer_dialogs(monkeypatch, save=str(session))
    window.actions["save_session"].trigger()
    assert json.loads(session.read_text())["model"] is None
    other = new_window(runs="runs")
    opened_in(other, qtbot, monkeypatch, session)
    assert other.runs.state.selected == (path,) and list(other.runs.overlay.items) == [path]
