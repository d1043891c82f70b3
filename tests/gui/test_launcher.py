"""``vae-explorer MODEL.h5``, ``--data PATH`` and ``--follow MODEL.h5``: the real app process,
started as a user starts it, with nothing but its command line.

Each process runs offscreen with a home folder of its own (its settings and its runs folder land
there, as they would in a user's home) and a small driver that waits until the window has done
what the command line asked, prints what the window shows as one JSON line, and closes it. The
three processes start together (each imports TensorFlow) and are read by the tests below.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

DRIVER = textwrap.dedent('''
    """Start the app with the given command line; report what the window shows once it is ready."""
    import json
    import os
    import shutil
    import sys
    import time

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    scenario, argv = sys.argv[1], sys.argv[2:]
    app = QApplication(sys.argv[:1])
    started = time.monotonic()
    phase = {"copied": False}

    def window():
        return next((w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow"), None)

    def settled(w):
        return w.session.tf_ready and w.session.dataset is not None and not w.busy()

    def ready(w):
        if scenario == "model":
            return settled(w) and w.session.path == os.path.abspath(argv[0])
        if scenario == "data":
            return settled(w) and w.session.dataset.source == os.path.abspath(argv[1])
        # follow: the file does not exist yet; once the window waits for it, a version lands
        if not settled(w) or w.follower.path is None:
            return False
        if not phase["copied"]:
            phase["before"] = {"exists": os.path.exists(argv[1]), "path": w.session.path}
            shutil.copyfile(os.environ["FOLLOW_SOURCE"], argv[1] + ".part")
            os.replace(argv[1] + ".part", argv[1])  # as train --save-every writes it
            phase["copied"] = True
            return False
        return w.session.path == os.path.abspath(argv[1]) and w.session.codes is not None

    def report(w):
        s = w.session
        return {
            "path": s.path,
            "dirty": s.dirty,
            "history": len(s.history),
            "points": len(w.map.map.dots.shown),
            "first_code": None if s.codes is None else [float(v) for v in s.codes.means[0]],
            "dataset_source": s.dataset.source,
            "dataset_shown": w.datasets.box.dataset.currentText(),
            "n_train": int(len(s.dataset.x_train)),
            "following": w.follower.path,
            "follow_checked": w.actions["follow"].isChecked(),
            "before_it_landed": phase.get("before"),
            "runs_folder": w.runs.state.folder,
            "timed_out": time.monotonic() - started > 150,
        }

    def check():
        try:
            look()
        except Exception:  # a broken check must end the process, not leave it waiting
            import traceback

            traceback.print_exc()
            os._exit(3)

    def look():
        w = window()
        if w is None or not (ready(w) or time.monotonic() - started > 150):
            QTimer.singleShot(50, check)
            return None
        print(json.dumps(report(w)), flush=True)
        w.session.dirty = False
        w.close()

    QTimer.singleShot(0, check)
    from vae_explorer.explorer.launcher import main

    main(argv)
''')


def _environment(home) -> dict:
    """Offscreen, and a home of its own: its settings and the runs folder go under ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_") or k == "XDG_RUNTIME_DIR"}
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen", PYTHONUNBUFFERED="1", TF_CPP_MIN_LOG_LEVEL="2")
    return env


@pytest.fixture(scope="module")
def launched(tmp_path_factory, gui_model_file, small_npz):
    """The three command lines run at once: {scenario: (report, stderr, home, argv)}."""
    folder = tmp_path_factory.mktemp("launcher")
    driver = folder / "driver.py"
    driver.write_text(DRIVER)
    model = folder / "opened.h5"
    shutil.copyfile(gui_model_file[0], model)
    followed = folder / "later" / "followed.h5"
    followed.parent.mkdir()
    scenarios = {"model": [str(model)], "data": ["--data", str(small_npz)], "follow": ["--follow", str(followed)]}
    procs = {}
    for name, argv in scenarios.items():
        home = folder / f"home-{name}"
        home.mkdir()
        env = {**_environment(home), "FOLLOW_SOURCE": str(gui_model_file[0])}
        err = open(folder / f"{name}.err", "w")  # noqa: SIM115 (closed below; a file: a full pipe would block the app)
        proc = subprocess.Popen(
            [sys.executable, str(driver), name, *argv],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        procs[name] = proc, err, home, argv
    watchdogs = [threading.Timer(240, proc.kill) for proc, *_ in procs.values()]
    for watchdog in watchdogs:
        watchdog.start()
    results = {}
    try:
        for name, (proc, err, home, argv) in procs.items():
            line = proc.stdout.readline()
            code = proc.wait(timeout=240)
            err.close()
            stderr = (folder / f"{name}.err").read_text()
            assert code == 0 and line, f"{name}: exit {code}\n{stderr[-3000:]}"
            results[name] = json.loads(line), stderr, home, argv
    finally:
        for watchdog in watchdogs:
            watchdog.cancel()
        for proc, err, *_ in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            err.close()
    return results


def test_the_command_line_s_arguments_are_a_model_a_dataset_and_a_file_to_follow():
    """What the launcher hands the window: a model path, ``--data`` and ``--follow``."""
    from vae_explorer.explorer.app import parse_args

    args = parse_args(["m.h5", "--data", "d.npz", "--follow", "f.h5"])
    assert (args.model, args.data, args.follow) == ("m.h5", "d.npz", "f.h5")
    assert (parse_args([]).model, parse_args([]).data, parse_args([]).follow) == (None, None, None)


def test_vae_explorer_model_h5_opens_the_saved_model_straight_into_exploring(launched):
    from vae_explorer.trainer.files.modelfile import load_model

    report, stderr, _, argv = launched["model"]
    assert not report["timed_out"], report
    loaded = load_model(argv[0])
    assert report["path"] == os.path.abspath(argv[0]) and not report["dirty"]
    assert report["history"] == len(loaded.history) == 2  # the file's training, nothing trained anew
    assert report["points"] == len(loaded.latent.means) == 64  # its held-out codes on the map
    np.testing.assert_allclose(report["first_code"], loaded.latent.means[0], atol=1e-6)
    assert "Traceback" not in stderr


def test_vae_explorer_data_preselects_that_dataset(launched, small_npz):
    report, stderr, _, _ = launched["data"]
    assert not report["timed_out"], report
    assert report["dataset_source"] == os.path.abspath(small_npz)  # not the embedded MNIST the window starts with
    assert report["dataset_shown"] == "small.npz" and report["n_train"] == 256
    assert report["path"] is None and "Traceback" not in stderr


def test_vae_explorer_follow_waits_for_the_file_and_shows_it_when_it_lands(launched):
    report, stderr, _, argv = launched["follow"]
    assert not report["timed_out"], report
    followed = os.path.abspath(argv[1])
    assert report["following"] == followed and report["follow_checked"]
    # the window followed a file that did not exist yet, and showed nothing of it meanwhile
    assert report["before_it_landed"] == {"exists": False, "path": None}
    assert report["path"] == followed and report["history"] == 2 and report["points"] == 64
    assert "Traceback" not in stderr


def test_the_app_keeps_its_run_records_in_the_user_data_folder(launched):
    """README: Qt's AppDataLocation + ``/runs``, ``~/.local/share/vae-explorer/vae-explorer/runs`` on Linux."""
    report, _, home, _ = launched["data"]
    assert report["runs_folder"] == str(home / ".local" / "share" / "vae-explorer" / "vae-explorer" / "runs")


def test_the_default_runs_folder_is_qt_s_app_data_location_runs(qapp):
    from PySide6.QtCore import QStandardPaths

    from vae_explorer.explorer.runs.controller import default_runs_folder

    QStandardPaths.setTestModeEnabled(True)  # another base folder: the function follows Qt's answer
    try:
        base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        assert base and default_runs_folder() == os.path.join(base, "runs")
    finally:
        QStandardPaths.setTestModeEnabled(False)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    assert default_runs_folder() == os.path.join(base, "runs")
