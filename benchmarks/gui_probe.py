"""Train in the real main window (offscreen) and measure what a user feels.

Prints one JSON line: training images/s per epoch inside the app, and the GUI event loop's
heartbeat (a 10 ms QTimer) while training: p50, p99 and the longest stall, in milliseconds.
Run by ``benchmarks/run.py``; alone: ``python benchmarks/gui_probe.py --epochs 3``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--preset", default="tutorial")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--train-images", type=int, default=0, help="0: all 8,000")
    args = ap.parse_args()

    from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from vae_explorer.explorer.main_window import MainWindow
    from vae_explorer.trainer.data import load_dataset

    settings = QSettings(os.devnull, QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, runs_dir=tempfile.mkdtemp(prefix="gui-probe-runs-"))
    w.resize(1400, 900)
    w.show()
    data = load_dataset()
    if args.train_images:
        data = data.subset(args.train_images, min(len(data.x_test), max(64, args.train_images // 4)))
    beats: list[float] = []
    rates: list[float] = []
    clock = QElapsedTimer()
    heartbeat = QTimer()
    heartbeat.setInterval(10)

    def beat():
        beats.append(clock.nsecsElapsed() / 1e6)

    heartbeat.timeout.connect(beat)

    def start():
        if not (w.session.tf_ready and not w.busy()):
            QTimer.singleShot(100, start)
            return
        w.datasets.show(data)
        p = w.training.panel
        p.set_preset(args.preset)
        p.epochs.setValue(args.epochs)
        p.batch_size.setValue(args.batch_size)
        w.training.start()
        clock.start()
        heartbeat.start()
        # Move the mouse over the map and hover-decode while training, as a user would.
        w.map.map.hovered.emit(0.0, 0.0)

    epoch_times: list[float] = []

    def on_epoch(report):
        rates.append(report.images_per_second)
        epoch_times.append(round(clock.nsecsElapsed() / 1e6))

    def done():
        heartbeat.stop()
        w.session.dirty = False
        w.close()

    w.training.runner.epoch_done.connect(on_epoch)
    w.training.runner.finished.connect(done)
    w.closed.connect(app.quit)
    QTimer.singleShot(0, start)
    profile_to = os.environ.get("GUI_PROBE_PROFILE")  # a path: cProfile the GUI thread
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        profiler.runcall(app.exec)
        profiler.dump_stats(profile_to)
    else:
        app.exec()
    gaps = np.diff(np.asarray(beats)) if len(beats) > 1 else np.zeros(1)
    if os.environ.get("GUI_PROBE_GAPS"):
        big = np.argsort(gaps)[-12:]
        print("largest gaps (ms at t):", [(round(float(gaps[i])), round(beats[i])) for i in sorted(big)],
              "epochs at:", epoch_times, file=sys.stderr)
    print(json.dumps({
        "app_images_per_second": rates,
        "heartbeat_ms": {"p50": float(np.percentile(gaps, 50)), "p99": float(np.percentile(gaps, 99)),
                         "max": float(gaps.max()), "n": int(len(gaps))},
    }), flush=True)
    sys.stdout.flush()
    os._exit(0)  # as explorer/app.py does: skip the Qt+TF interpreter teardown


if __name__ == "__main__":
    main()
