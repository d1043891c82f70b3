"""Train in the real main window (offscreen) and measure what a user feels.

Prints one JSON line: training images/s per epoch inside the app, and the GUI event loop's
heartbeat (a 10 ms QTimer) while training: p50, p99 and the longest stall, in milliseconds.
Run by ``tests/benchmarks/run.py``; alone: ``python tests/benchmarks/gui_probe.py --epochs 3``.

``--pan SECONDS`` adds a second phase after training (and after the map's t-SNE layout has
arrived): thumbnails on, the map panned and zoomed programmatically every 16 ms for that long
(a zoom between the whole map and a sixth of it, the centre circling), and the heartbeat
measured again: ``pan_heartbeat_ms`` with the mean number of thumbnails drawn per paint.
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
    ap.add_argument(
        "--pan", type=float, default=0.0, help="seconds of panning/zooming with thumbnails on after training"
    )
    ap.add_argument(
        "--pan-thumbnails",
        choices=("on", "off"),
        default="on",
        help="off: the same panning without thumbnails (the baseline the thumbnails add to)",
    )
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

    pan_result: dict = {}

    def close():
        w.session.dirty = False
        w.close()

    def done():
        heartbeat.stop()
        if args.pan > 0:
            PanPhase(w, args.pan, pan_result, close, thumbnails=args.pan_thumbnails == "on").start()
        else:
            close()

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
        print(
            "largest gaps (ms at t):",
            [(round(float(gaps[i])), round(beats[i])) for i in sorted(big)],
            "epochs at:",
            epoch_times,
            file=sys.stderr,
        )
    print(
        json.dumps({"app_images_per_second": rates, "heartbeat_ms": heartbeat_stats(beats), **pan_result}), flush=True
    )
    sys.stdout.flush()
    os._exit(0)  # as explorer/app.py does: skip the Qt+TF interpreter teardown


def heartbeat_stats(beats: list[float]) -> dict:
    """p50, p99 and the longest gap between heartbeats, in ms, and how many gaps."""
    gaps = np.diff(np.asarray(beats)) if len(beats) > 1 else np.zeros(1)
    return {
        "p50": float(np.percentile(gaps, 50)),
        "p99": float(np.percentile(gaps, 99)),
        "max": float(gaps.max()),
        "n": int(len(gaps)),
    }


class PanPhase:
    """Thumbnails on, then pan and zoom the map every 16 ms for ``seconds`` while a 10 ms
    heartbeat measures the event loop; the figures land in ``result``, then ``then()`` runs."""

    STEP_MS = 16

    def __init__(self, window, seconds: float, result: dict, then, thumbnails: bool = True):
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.w, self.seconds, self.result, self.then = window, seconds, result, then
        self.thumbnails = thumbnails
        self.clock = QElapsedTimer()
        self.beats: list[float] = []
        self.drawn: list[int] = []
        self.heartbeat, self.stepper = QTimer(), QTimer()
        self.heartbeat.setInterval(10)
        self.stepper.setInterval(self.STEP_MS)
        self.heartbeat.timeout.connect(lambda: self.beats.append(self.clock.nsecsElapsed() / 1e6))
        self.stepper.timeout.connect(self.step)

    def start(self) -> None:
        from PySide6.QtCore import QTimer

        tsne = self.w.map.tsne
        tsne_wanted = self.w.map.state.layout == "tsne" and self.w.session.latent_dim > 2
        if tsne.computing or (tsne_wanted and self.w.map.state.tsne_codes is not self.w.session.codes):
            QTimer.singleShot(100, self.start)  # the layout the user would pan: wait for it
            return
        self.w.map_data.state.update(thumbnails=self.thumbnails, thumbnails_auto=self.thumbnails)
        plane = self.w.map.map.plane
        self.centre, self.span = plane.mean(axis=0), plane.max(axis=0) - plane.min(axis=0)
        self.clock.start()
        self.heartbeat.start()
        self.stepper.start()

    def step(self) -> None:
        t = self.clock.nsecsElapsed() / 1e9
        if t >= self.seconds:
            return self.finish()
        zoom = 1 / 6 + (1 - 1 / 6) * (0.5 + 0.5 * np.cos(2 * np.pi * t / 4))  # whole map ↔ a sixth, every 4 s
        centre = self.centre + 0.25 * self.span * np.array([np.cos(t), np.sin(t)])
        half = zoom * self.span / 2
        self.w.map.map.getViewBox().setRange(
            xRange=(centre[0] - half[0], centre[0] + half[0]),
            yRange=(centre[1] - half[1], centre[1] + half[1]),
            padding=0,
        )
        self.drawn.append(len(self.w.map_data.thumbnails.drawn))

    def finish(self) -> None:
        self.stepper.stop()
        self.heartbeat.stop()
        self.result["pan_heartbeat_ms"] = heartbeat_stats(self.beats)
        self.result["pan_thumbnails_drawn_mean"] = float(np.mean(self.drawn)) if self.drawn else 0.0
        self.result["pan_points"] = int(len(self.w.map.map.plane))
        self.then()


if __name__ == "__main__":
    main()
