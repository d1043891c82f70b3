"""Start the desktop app: the window first, TensorFlow in the background.

``vae-explorer`` opens the window on the embedded MNIST; ``vae-explorer MODEL.h5`` opens a
saved model into exploring; ``vae-explorer SESSION.json`` opens a saved session (File ▸ Save
session…) as it was; ``vae-explorer --data PATH`` preselects a dataset;
``vae-explorer --follow MODEL.h5`` shows each version a training elsewhere saves.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import NoReturn

_START = time.perf_counter()
# Qt hands fills and image conversions of more than about 100 rows to a pool of threads and the
# GUI thread waits for them. On two cores beside a training those threads queue behind
# TensorFlow's. With both cores busy, a full-view translucent fill took 0.28-0.31 ms on the GUI
# thread alone against 0.65-0.66 with the pool, a 100x100 one 0.01 against 0.04-0.05.
PAINT_ENVIRONMENT = {"QT_NO_GUI_THREADPOOL": "1"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="vae-explorer",
        description=("Open the vae-explorer app. Headless commands: vae-explorer train|export|eval|info --help"),
    )
    parser.add_argument("model", nargs="?", help="a model file (.h5) or a session file (.json) to open")
    parser.add_argument("--data", help="a dataset to preselect: an .npz file, an IDX or image folder")
    parser.add_argument(
        "--follow",
        metavar="MODEL.h5",
        help="show each new version of a model file that a "
        "training elsewhere saves (train --save-every N); it may not exist yet",
    )
    return parser.parse_args(argv)


def _application():
    """The QApplication, pyqtgraph configured, with the app's name and icon."""
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    for name, value in PAINT_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    from importlib import resources

    import pyqtgraph as pg
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    pg.setConfigOptions(antialias=False, imageAxisOrder="row-major")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("vae-explorer")
    app.setOrganizationName("vae-explorer")
    icon = resources.files("vae_explorer").joinpath("icon.svg")
    if icon.is_file():
        QApplication.setWindowIcon(QIcon(str(icon)))  # static: the icon of every window
    return app


def _startup_probe(window) -> None:
    """For benchmarks/: say when the window is on screen, then close."""
    from PySide6.QtCore import QTimer

    def shown():
        print(f"window shown {time.perf_counter() - _START:.3f}", flush=True)
        window.session.dirty = False
        window.close()  # finishes once the TensorFlow import has ended: no thread is cut off

    QTimer.singleShot(0, shown)


def open_arguments(window, args: argparse.Namespace) -> None:
    """What the command line named: a dataset, a model or a session, a model file to follow."""
    if args.data:
        window.datasets.load(args.data)
    if args.model and args.model.lower().endswith(".json"):
        window.sessions.open_session(args.model)
    elif args.model:
        window.files.open_model(args.model)
    if args.follow:
        window.follower.follow(args.follow)


def main(argv: list[str] | None = None) -> NoReturn:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = _application()
    from vae_explorer.explorer.main_window import MainWindow

    window = MainWindow()
    app.setQuitOnLastWindowClosed(False)
    window.closed.connect(app.quit)  # also when closing waited, hidden, for a background job
    window.show()
    if os.environ.get("VAE_EXPLORER_STARTUP_PROBE"):
        _startup_probe(window)
    open_arguments(window, args)
    code = app.exec()
    # The window closes only when nothing is left in flight: training stopped, saves (synchronous,
    # atomic, fsynced) done, background jobs ended, settings synced. What remains is tearing down
    # an interpreter that holds both Qt and TensorFlow, measured at 1.2-1.4 s and nothing of
    # the user's; skipping it keeps "close while training" to exit well under 2 s.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
