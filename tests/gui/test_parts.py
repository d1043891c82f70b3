"""Each part's state driven without a window: Session, TrainingState and its clock, the action
rules, recent files, drops, map layouts, the error sink and the workers' errors."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QSettings, QUrl

from vae_explorer.explorer.core.actions import ACTIONS, Facts
from vae_explorer.explorer.core.errors import error_text
from vae_explorer.explorer.core.session import Session
from vae_explorer.explorer.files.drops import first_local_path
from vae_explorer.explorer.files.recents import MAX_RECENT, RecentFiles, RecentMenu
from vae_explorer.explorer.map.state import MapState
from vae_explorer.explorer.training.state import ActiveClock, TrainingState
from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.maps.layouts import LAYOUTS, make_layout


def recorded(model) -> list:
    seen: list = []
    model.changed.connect(seen.append)
    return seen


def test_session_says_once_what_changed(qapp):
    s = Session()
    seen = recorded(s)
    s.update(path="/m.h5", dirty=True)
    s.dirty = True  # unchanged: nothing said
    s.history = s.history + [{"epoch": 1}]
    assert seen == [frozenset({"path", "dirty"}), frozenset({"history"})]
    assert s.history == [{"epoch": 1}] and s.path == "/m.h5"


def test_replacing_the_model_with_the_same_object_still_says_model(qapp):
    s, model = Session(), object()
    s.model = model
    seen = recorded(s)
    s.replace_model(model=model, codes=None)
    assert seen == [frozenset({"model"})]
    with pytest.raises(AttributeError):
        s.update(no_such_field=1)


def test_training_state_busy_while_preparing_or_running(qapp):
    state = TrainingState()
    seen = []
    state.changed.connect(lambda *_: seen.append((state.preparing, state.running, state.paused)))
    assert not state.busy
    state.set(preparing=True)
    assert state.busy
    state.set(preparing=False, running=True, paused=True)
    assert state.busy and seen == [(True, False, False), (False, True, True)]


def test_the_clock_leaves_paused_time_out_of_the_eta():
    now = [0.0]
    clock = ActiveClock(now=lambda: now[0])
    clock.start()
    now[0] = 10.0
    clock.pause()
    now[0] = 1000.0  # paused for 990 s
    clock.resume()
    now[0] = 20.0 + 990.0
    assert clock.active_seconds == pytest.approx(20.0)
    assert clock.eta(0.5) == pytest.approx(20.0)  # half done in 20 s of running: 20 s left


def test_action_rules():
    def enabled(facts):
        return {name for name, spec in ACTIONS.items() if spec.enabled(facts)}

    idle = Facts(tf_ready=True, has_dataset=True, has_model=True, training=False)
    training = Facts(tf_ready=True, has_dataset=True, has_model=True, training=True, running=True)
    preparing = Facts(tf_ready=True, has_dataset=True, has_model=True, training=True)
    loading = Facts()
    assert {"start", "continue", "save", "open", "export_grid"} <= enabled(idle)
    assert not {"pause", "stop"} & enabled(idle)
    assert {"pause", "stop", "log", "quit"} <= enabled(training)
    assert not {"start", "continue", "save", "save_as", "open", "open_data", "export_csv"} & enabled(training)
    assert not {"start", "open", "save"} & enabled(loading)
    assert not {"start", "pause", "stop", "save"} & enabled(preparing)


def test_recent_files_newest_first_and_bounded(qapp, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    recents = RecentFiles(settings)
    menu = RecentMenu(recents)
    assert not menu.isEnabled()
    for i in range(MAX_RECENT + 2):
        (tmp_path / f"m{i}.h5").write_bytes(b"")  # recent files are offered while they exist
        recents.add(str(tmp_path / f"m{i}.h5"))
    recents.add(str(tmp_path / "m3.h5"))
    paths = recents.paths()
    assert len(paths) == MAX_RECENT and paths[0] == str(tmp_path / "m3.h5")
    assert recents.last_folder("x.png") == str(tmp_path / "x.png")
    chosen = []
    menu.chosen.connect(chosen.append)
    assert menu.isEnabled() and [a.text() for a in menu.actions()] == paths
    menu.actions()[1].trigger()
    assert chosen == [paths[1]]


def test_a_drop_names_its_first_local_file(qapp, tmp_path):
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.org/x.h5"), QUrl.fromLocalFile(str(tmp_path / "m.h5"))])
    assert first_local_path(mime) == str(tmp_path / "m.h5")
    assert first_local_path(QMimeData()) is None


def test_chosen_dimensions_show_z_d_itself_and_hold_the_others_at_the_mean():
    rng = np.random.default_rng(0)
    means = rng.normal(3.0, 1.0, (50, 5)).astype(np.float32)
    projection = make_layout("dims", means, dims=(3, 1))
    assert LAYOUTS["dims"].axis_names((3, 1)) == ("z[3]", "z[1]")
    np.testing.assert_allclose(projection.to_plane(means), means[:, [3, 1]], atol=1e-5)
    z = projection.from_plane([[0.5, -2.0]])[0]
    assert z[3] == pytest.approx(0.5) and z[1] == pytest.approx(-2.0)
    np.testing.assert_allclose(z[[0, 2, 4]], means.mean(axis=0)[[0, 2, 4]], atol=1e-5)
    projection = make_layout("pca", means)
    assert LAYOUTS["pca"].axis_names((0, 1)) == ("PCA 1", "PCA 2") and projection.kind == "pca"


def test_map_state_forgets_points_of_another_model(qapp):
    state = MapState()
    state.update(current=np.zeros(2, np.float32), current_index=3, ends={"A": np.zeros(2)})
    seen = recorded(state)
    state.forget_points()
    assert state.current is None and state.ends == {} and "current" in seen[0]


def test_errors_read_as_one_line():
    assert error_text(UserError("m.h5: not a model")) == "m.h5: not a model"
    assert error_text(KeyError("x")) == "unexpected error: KeyError: 'x'"


def test_a_failing_job_hands_over_the_exception_itself(qtbot):
    from PySide6.QtCore import QObject

    from vae_explorer.explorer.core.workers import Job

    def fail():
        raise ValueError("boom")

    errors, owner = [], QObject()
    job = Job(fail, lambda _: None, errors.append, owner)
    with qtbot.waitSignal(job.done, timeout=5_000):
        pass
    assert isinstance(errors[0], ValueError) and errors[0].__traceback__ is not None


def test_while_the_window_is_open_only_its_gui_thread_collects_and_after_it_closed_anyone_may(window, qtbot):
    """A collection on a worker thread deadlocked with the GUI thread over a closed window's Qt
    objects, twice in CI (``trainer.collector``): a job's garbage is collected here, by the
    window's timer, and never on the job's thread, before or after the job's pause ends."""
    import gc
    import threading

    collecting: list[str] = []

    def seen(phase, info):
        if phase == "start":
            collecting.append(threading.current_thread().name)

    def garbage() -> bool:
        for _ in range(5 * gc.get_threshold()[0]):
            cycle: list = []
            cycle.append(cycle)
        return gc.isenabled()

    qtbot.waitUntil(lambda: not window.busy(), timeout=30_000)
    results: list[bool] = []
    gc.callbacks.append(seen)
    try:
        for _ in range(3):
            window.jobs.run(garbage, results.append)
            qtbot.waitUntil(lambda: not window.busy(), timeout=10_000)
        qtbot.waitUntil(lambda: bool(collecting), timeout=5_000)
    finally:
        gc.callbacks.remove(seen)
    assert results == [False] * 3 and not gc.isenabled()
    assert set(collecting) == {threading.main_thread().name}
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert gc.isenabled()
