"""The real ``vae-explorer`` process: closed while training, it is gone within 2 s, keeping its settings.

The in-process tests cannot see this: after the window closes the process still has to end, and
tearing down an interpreter holding Qt and TensorFlow took 1.2-1.4 s on its own, so the app
skips it (``explorer/app.py``). This test runs the app as a user does, starts a real training,
closes the window after a few batches and times the exit from outside.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

DRIVER = textwrap.dedent('''
    """Open the app as `vae-explorer` does, train, close the window mid-training."""
    import sys
    import time

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication(sys.argv[:1])
    batches = []

    def window():
        return next((w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow"), None)

    def start():
        w = window()
        if w is None or not (w.session.tf_ready and w.session.dataset is not None and not w.busy()):
            QTimer.singleShot(50, start)
            return
        w.training.panel.set_preset("tutorial")
        w.training.panel.epochs.setValue(1000)
        w.training.runner.batches_done.connect(batches.extend)
        w.training.panel.start.click()
        close_after_batches()

    def close_after_batches():
        w = window()
        if len(batches) < 5:
            QTimer.singleShot(20, close_after_batches)
            return
        w.recents.add(sys.argv[1])  # must reach the settings file although the process ends fast
        QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard)  # "save?": no
        print(f"training {w.training.runner.running} closing {time.time():.6f}", flush=True)
        w.close()

    QTimer.singleShot(0, start)
    from vae_explorer.explorer.launcher import main

    main([])
''')


def test_closing_the_app_while_training_ends_the_process_within_2s(tmp_path):
    (tmp_path / "driver.py").write_text(DRIVER)
    remembered = tmp_path / "remembered.h5"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),  # its run records
        "PYTHONUNBUFFERED": "1",
    }
    errors = open(tmp_path / "stderr.txt", "w")  # noqa: SIM115 (closed below; a file, not a pipe: a full pipe would block the app)
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "driver.py"), str(remembered)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    watchdog = threading.Timer(120, proc.kill)  # a driver that never gets to close must not hang the suite
    watchdog.start()
    try:
        line = proc.stdout.readline()
        closing = time.time()
        code = proc.wait(timeout=60)
        ended = time.time()
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    proc.stdout.close()
    errors.close()
    err = (tmp_path / "stderr.txt").read_text()
    assert line.startswith("training True closing "), f"{line!r}\n{err}"
    closing = min(closing, float(line.split()[-1]))
    print(f"\n[app process] exit {code} {ended - closing:.2f} s after the window was closed mid-training")
    assert code == 0, err
    assert "Traceback" not in err
    assert ended - closing < 2.0
    settings = (tmp_path / "config" / "vae-explorer" / "vae-explorer.conf").read_text()
    assert str(remembered) in settings


POOL_DRIVER = textwrap.dedent("""
    import os
    from PySide6.QtGui import QColor, QImage, QPainter
    from vae_explorer.explorer.app import _application

    app = _application()
    canvas = QImage(1000, 1000, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(canvas)
    painter.fillRect(0, 0, 1000, 1000, QColor(0, 0, 0, 100))  # a fill Qt would split across its threads
    painter.end()
    def name(task):
        try:
            return open(f"/proc/self/task/{task}/comm").read()
        except OSError:  # a thread that ended after the listing
            return ""

    print(sum(name(task).startswith("Thread (pooled)") for task in os.listdir("/proc/self/task")))
""")


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads through Linux's /proc")
def test_the_app_paints_on_the_gui_thread_alone_without_qt_s_thread_pool():
    """Beside a training on two cores, a paint that waits for Qt's pool threads waits for
    TensorFlow's (explorer.app.PAINT_ENVIRONMENT)."""
    env = {k: v for k, v in os.environ.items() if k != "QT_NO_GUI_THREADPOOL"} | {"QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", POOL_DRIVER], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0"]
