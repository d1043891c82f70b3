"""Train in the real main window (offscreen) and measure what a user feels.

Prints one JSON line: training images/s per epoch inside the app, and the GUI event loop's
heartbeat (a 10 ms QTimer) while training: p50, p99 and the longest stall, in milliseconds.
Run by ``tests/benchmarks/run.py``; alone: ``python tests/benchmarks/gui_probe.py --epochs 3``.

``--data FILE.npz`` trains on that dataset instead of the embedded MNIST, and ``--points all``
(or ``train``) makes the map show those images while it trains, as the Points box does.
``--pointer N`` adds, after the panning, N hovers and N clicks on dots through the viewport and
a lasso (``--lasso-std`` standard deviations wide: 1.7 takes about 50,000 of 70,000 points),
each timed until the repaint it caused has run. ``--layout pca`` trains with the map on PCA (no
t-SNE child) and ``--child-nice N`` runs the t-SNE child at that nice: what the layout costs the
training.

``GUI_PROBE_GAPS=1`` also prints the largest gaps, and when each epoch and layout arrived (with
the layout's legibility and, for one started from a sample, the sample's size);
``GUI_PROBE_WHERE=1`` prints the window thread's sampled stacks inside each gap over 90 ms
(``stalls.StackSampler``): what froze it.

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
import time

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
    ap.add_argument("--data", default=None, help="an .npz dataset (default: the embedded MNIST)")
    ap.add_argument("--points", choices=("held-out", "train", "all"), default="held-out")
    ap.add_argument("--child-nice", type=int, default=None, help="the t-SNE child's nice (default: the app's)")
    ap.add_argument("--qt-pool", action="store_true", help="let Qt paint with its thread pool (the app does not)")
    ap.add_argument("--layout", default="tsne", help="the map's layout while training (pca: no t-SNE child)")
    ap.add_argument("--pointer", type=int, default=0, help="hovers and clicks timed after the panning")
    ap.add_argument(
        "--lasso-std",
        type=float,
        default=1.0,
        help="the lasso's radius in standard deviations (1.6: about 50,000 of 70,000)",
    )
    args = ap.parse_args()
    if not args.qt_pool:
        from vae_explorer.explorer.app import PAINT_ENVIRONMENT

        os.environ.update(PAINT_ENVIRONMENT)

    from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    if args.child_nice is not None:
        from vae_explorer.trainer.maps.layout_process import LayoutProcess

        LayoutProcess.child_nice = args.child_nice
    from vae_explorer.explorer.main_window import MainWindow
    from vae_explorer.trainer.data import load_dataset

    settings = QSettings(os.devnull, QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, runs_dir=tempfile.mkdtemp(prefix="gui-probe-runs-"))
    w.resize(1400, 900)
    w.show()
    from vae_explorer.explorer.data.chooser import with_checksum

    data = with_checksum(load_dataset(args.data) if args.data else load_dataset())  # as the chooser loads
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

    sampler = where_sampler()

    def start():
        if not (w.session.tf_ready and not w.busy()):
            QTimer.singleShot(100, start)
            return
        w.datasets.show(data)
        w.map.state.update(which=args.points, layout=args.layout)
        p = w.training.panel
        p.set_preset(args.preset)
        p.epochs.setValue(args.epochs)
        p.batch_size.setValue(args.batch_size)
        w.training.start()
        clock.start()
        sampler.origin = time.perf_counter() * 1e3  # the beats' clock starts now
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
        if w.busy() or not len(w.map.map.plane):  # the map's points of a large dataset still encoding
            QTimer.singleShot(200, done)
            return
        heartbeat.stop()
        then = (
            (lambda: PointerPhase(w, args.pointer, pan_result, args.lasso_std).run() or close())
            if args.pointer
            else close
        )
        if args.pan > 0:
            PanPhase(w, args.pan, pan_result, then, thumbnails=args.pan_thumbnails == "on").start()
        elif args.pointer:
            PanPhase(w, 0.0, pan_result, then, thumbnails=False).start()
        else:
            close()

    layout_times: list[tuple] = []  # when each t-SNE layout arrived (ms after Start), its legibility, its sample

    def layout_arrived(points, layout) -> None:
        legible = (getattr(layout, "figures", None) or {}).get("legibility")
        sampled = getattr(layout, "sampled", 0)
        layout_times.append((round(clock.nsecsElapsed() / 1e6), legible and round(legible, 3), sampled))

    w.map.layouts.ready.connect(layout_arrived)
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
            "layouts at:",
            layout_times,
            file=sys.stderr,
        )
    sampler.print_gaps(beats, gaps)
    print(
        json.dumps({"app_images_per_second": rates, "heartbeat_ms": heartbeat_stats(beats), **pan_result}), flush=True
    )
    sys.stdout.flush()
    os._exit(0)  # as explorer/app.py does: skip the Qt+TF interpreter teardown


class NoSampler:
    origin = 0.0

    def print_gaps(self, beats, gaps) -> None:
        pass


def where_sampler():
    """``GUI_PROBE_WHERE=1``: a ``stalls.StackSampler`` that prints, for each heartbeat gap over
    90 ms, the window thread's stacks sampled inside it (few samples: another thread held the GIL)."""
    if not os.environ.get("GUI_PROBE_WHERE"):
        return NoSampler()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from stalls import StackSampler

    class GapSampler(StackSampler):
        origin = 0.0

        def print_gaps(self, beats, gaps) -> None:
            for i in np.nonzero(gaps > 90)[0]:
                start, end = self.origin + beats[i], self.origin + beats[i + 1]
                print(f"gap at {beats[i]:.0f} ms:", self.report(start, end), file=sys.stderr)

    return GapSampler().__enter__()


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

        state = self.w.map.state
        tsne_wanted = state.layout == "tsne" and self.w.session.latent_dim > 2
        if self.w.map.layouts.computing or (tsne_wanted and state.tsne_points is not state.points):
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


class PointerPhase:
    """Hovers, clicks and a lasso through the map's viewport, each timed from before the event is
    sent until ``processEvents()`` has run what it caused (the hover card, the decode, the gallery)."""

    def __init__(self, window, n: int, result: dict, lasso_std: float = 1.0):
        self.w, self.n, self.result, self.lasso_std = window, n, result, lasso_std
        self.plot = window.map.map
        self.vp = self.plot.viewport()

    def run(self) -> None:
        self.plot.getViewBox().autoRange()
        self._settle()
        rng = np.random.default_rng(0)
        dots = rng.choice(len(self.plot.plane), size=self.n, replace=len(self.plot.plane) < self.n)
        self.result["hover_ms"] = latency_stats([self._timed(self._hover, i) for i in dots])
        self.result["click_ms"] = latency_stats([self._timed(self._click, i) for i in dots[: max(1, self.n // 4)]])
        lasso = []
        for _ in range(3):  # the release is what selects: timed from it
            self._lasso_drawn()
            lasso.append(self._timed(self._release, None))
        self.result["lasso_ms"] = latency_stats(lasso)
        self.result["lasso_selected"] = int(len(self.w.map.view_state.selection))
        self.result["pointer_points"] = int(len(self.plot.plane))

    def _settle(self) -> None:
        from PySide6.QtWidgets import QApplication

        for _ in range(5):
            QApplication.processEvents()

    def _timed(self, act, i) -> float:
        import time

        t0 = time.perf_counter()
        act(i)
        self._settle()
        return (time.perf_counter() - t0) * 1e3

    def _pixel(self, xy):
        from PySide6.QtCore import QPointF

        return self.plot.mapFromScene(self.plot.getViewBox().mapViewToScene(QPointF(float(xy[0]), float(xy[1]))))

    def _hover(self, i) -> None:
        from PySide6.QtTest import QTest

        QTest.mouseMove(self.vp, self._pixel(self.plot.plane[i]))

    def _click(self, i) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        QTest.mouseClick(
            self.vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, self._pixel(self.plot.plane[i])
        )

    def _lasso_drawn(self) -> None:
        """A Ctrl-drag around the middle of the map, up to the release: an ellipse of 40 vertices,
        ``lasso_std`` standard deviations wide."""
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        plane, ctrl = self.plot.plane, Qt.KeyboardModifier.ControlModifier
        angles = np.linspace(0, 2 * np.pi, 41)
        outline = plane.mean(axis=0) + self.lasso_std * plane.std(axis=0) * np.c_[np.cos(angles), np.sin(angles)]
        self.pixels = [self._pixel(p) for p in outline]
        QTest.mousePress(self.vp, Qt.MouseButton.LeftButton, ctrl, self.pixels[0])
        for p in self.pixels[1:]:
            QTest.mouseMove(self.vp, p)
        self._settle()

    def _release(self, _) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        ctrl = Qt.KeyboardModifier.ControlModifier
        QTest.mouseRelease(self.vp, Qt.MouseButton.LeftButton, ctrl, self.pixels[-1])


def latency_stats(ms: list[float]) -> dict:
    v = np.asarray(ms, float)
    return {"median": float(np.median(v)), "p99": float(np.percentile(v, 99)), "max": float(v.max()), "n": len(v)}


if __name__ == "__main__":
    main()
