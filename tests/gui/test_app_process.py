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
