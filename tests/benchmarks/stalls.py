"""The longest freeze of the window on each user path, driven through real clicks and keys.

    python tests/benchmarks/stalls.py --runs 3 [--json out.json] [--where]

Each run is a fresh process with the real main window (offscreen, 1400×900) and a 10 ms QTimer
heartbeat on the GUI thread. Each path is driven as a user drives it (a click on Start, a choice in
a combo box, a menu action whose file dialog answers with a prepared file) and measured from just
before the event until what it started has finished (the first batch, the map redrawn, the model
shown, the file written); the figures are the longest gap between two heartbeats beyond their
10 ms period, and the p99 gap. Target: every path's longest stall ≤ 100 ms. Paths:

``start`` (the first Start: building and tracing), ``colour_by_loss`` (the first colour by
reconstruction loss), ``switch_layout`` (t-SNE → PCA → t-SNE), ``open_model``, ``open_dataset``
(a 60,000-image .npz it writes), ``save`` (Ctrl+S), and ``session`` (save and reopen a session)
when the app has sessions.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))  # the repository: tests.gui.helpers
TARGET_MS = 100.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", default=None)
    ap.add_argument("--paths", default=None, help="a comma-separated subset of the paths (default: all)")
    ap.add_argument("--where", action="store_true", help="print the GUI thread's sampled stack in each longest stall")
    ap.add_argument("--one", action="store_true", help="(internal) one run in this process, one JSON line")
    args = ap.parse_args()
    if args.one:
        Heartbeat.where = args.where
        return one_run(args.paths.split(",") if args.paths else list(PATHS))
    runs = []
    for i in range(args.runs):
        command = [sys.executable, __file__, "--one", *(["--where"] if args.where else [])]
        command += ["--paths", args.paths] if args.paths else []
        err = None if args.where else subprocess.PIPE
        out = subprocess.run(command, stdout=subprocess.PIPE, stderr=err, text=True, check=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
        print(f"run {i + 1}: " + ", ".join(f"{k} {v['max']:.0f} ms" for k, v in runs[-1].items()), flush=True)
    summary = summarise(runs)
    print(f"\n{'path':<16} {'longest stall ms (median, min–max)':>36} {'p99 ms':>8}  target ≤ {TARGET_MS:.0f} ms")
    for path, s in summary.items():
        print(f"{path:<16} {s['max']:>14.0f} ({s['max_range'][0]:.0f}–{s['max_range'][1]:.0f}) {s['p99']:>22.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": runs, "summary": summary}, f, indent=1)


def summarise(runs: list[dict]) -> dict:
    out = {}
    for path in runs[0]:
        worst = [r[path]["max"] for r in runs if path in r]
        out[path] = {
            "max": float(np.median(worst)),
            "max_range": [float(min(worst)), float(max(worst))],
            "p99": float(np.median([r[path]["p99"] for r in runs if path in r])),
        }
    return out


class StackSampler:
    """Where the GUI thread is, every 5 ms, from a thread of its own (``--where``): the frames
    sampled inside the longest gap say what froze the window; few samples in a long gap mean
    another thread held the GIL (a C call that does not release it)."""

    def __init__(self):
        import threading

        self.samples: list[tuple[float, list[str]]] = []
        self._main, self._stop = threading.main_thread().ident, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.wait(0.005):
            frame, stack = sys._current_frames().get(self._main), []
            while frame is not None and len(stack) < 8:  # innermost first
                stack.append(f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno} {frame.f_code.co_name}")
                frame = frame.f_back
            self.samples.append((time.perf_counter() * 1e3, stack))

    def report(self, start: float, end: float) -> str:
        """The sampled stacks between ``start`` and ``end`` (ms), most frequent first."""
        from collections import Counter

        inside = Counter(" < ".join(s) for t, s in self.samples if start <= t <= end)
        lines = [f"  {n:>3}× {stack}" for stack, n in inside.most_common(6)]
        return f"{sum(inside.values())} samples in {end - start:.0f} ms:\n" + "\n".join(lines)


class Heartbeat:
    """A 10 ms timer on the GUI thread; ``gaps()`` are the intervals between its beats."""

    where = False  # --where: sample the GUI thread's stack and print it for the longest gap

    def __init__(self):
        from PySide6.QtCore import QTimer

        self.beats: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(lambda: self.beats.append(time.perf_counter() * 1e3))

    def measure(self, drive, done, timeout_s: float = 300.0) -> dict:
        """Beat while ``drive()`` runs and until ``done()``; the longest and p99 gap in ms."""
        from PySide6.QtWidgets import QApplication

        self.beats = [time.perf_counter() * 1e3]
        self.timer.start()
        with contextlib.ExitStack() as stack:
            sampler = stack.enter_context(StackSampler()) if self.where else None
            drive()
            deadline = time.monotonic() + timeout_s
            while not done() and time.monotonic() < deadline:
                QApplication.processEvents()
                time.sleep(0.002)
            for _ in range(3):  # what finishing caused (a redraw) counts too
                QApplication.processEvents()
                time.sleep(0.01)
        self.beats.append(time.perf_counter() * 1e3)
        self.timer.stop()
        gaps = np.diff(self.beats)
        if sampler is not None:
            i = int(np.argmax(gaps))
            print(sampler.report(self.beats[i], self.beats[i + 1]), file=sys.stderr, flush=True)
        return {"max": float(gaps.max()), "p99": float(np.percentile(gaps, 99)), "n": len(gaps)}


def one_run(paths: list[str]) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])  # noqa: F841 (kept alive)
    from vae_explorer.explorer.main_window import MainWindow

    folder = tempfile.mkdtemp(prefix="stalls-")
    settings = QSettings(os.path.join(folder, "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, runs_dir=os.path.join(folder, "runs"))
    w.resize(1400, 900)
    w.show()
    wait(lambda: w.session.tf_ready and w.session.dataset is not None and not w.busy())
    beat, result = Heartbeat(), {}
    for name in paths:
        figures = PATHS[name](w, beat, folder)
        if figures is not None:
            result[name] = figures
            print(name, json.dumps(figures), file=sys.stderr, flush=True)
    w.session.dirty = False
    print(json.dumps(result), flush=True)
    os._exit(0)


def wait(condition, timeout_s: float = 300.0) -> None:
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there")
        QApplication.processEvents()
        time.sleep(0.005)


def click(widget) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def choose(combo, data) -> None:
    """Pick the item whose data is ``data`` with the keyboard, as a user does with the arrow keys."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    combo.setFocus()
    target = combo.findData(data)
    if target < 0:
        raise ValueError(f"no item {data!r} in {combo.objectName() or combo}")
    while combo.currentIndex() != target:
        QTest.keyClick(combo, Qt.Key.Key_Down if target > combo.currentIndex() else Qt.Key.Key_Up)


def path_start(w, beat, folder):
    p = w.training.panel
    p.set_preset("default")
    p.epochs.setValue(2)
    batches: list = []
    w.training.runner.batches_done.connect(batches.append)
    figures = beat.measure(lambda: click(p.start), lambda: bool(batches))
    wait(lambda: not w.training.runner.running and not w.busy() and not w.map.layouts.computing)
    return figures


def path_colour_by_loss(w, beat, folder):
    combo = w.map_data.toolbar.color_by if hasattr(w.map_data, "toolbar") else None
    if combo is None:
        return None
    return beat.measure(
        lambda: choose(combo, "reconstruction"), lambda: not w.busy() and w.map_data.state.color_by == "reconstruction"
    )


def path_switch_layout(w, beat, folder):
    box = w.map.axes.layout_box
    runs = []
    for name in ("pca", "tsne"):
        runs.append(beat.measure(lambda n=name: choose(box, n), lambda: not w.busy() and not w.map.layouts.computing))
    return max(runs, key=lambda r: r["max"])


def path_save(w, beat, folder):
    from PySide6.QtWidgets import QFileDialog

    target = os.path.join(folder, "saved.h5")
    QFileDialog.getSaveFileName = staticmethod(lambda *a, **k: (target, ""))
    return beat.measure(lambda: w.actions["save"].trigger(), lambda: w.session.path == target and not w.busy())


def path_open_model(w, beat, folder):
    from PySide6.QtWidgets import QFileDialog

    target = os.path.join(folder, "saved.h5")
    w.session.dirty = False
    QFileDialog.getOpenFileName = staticmethod(lambda *a, **k: (target, ""))
    w.session.update(path=None)
    return beat.measure(lambda: w.actions["open"].trigger(), lambda: w.session.path == target and not w.busy())


def path_open_dataset(w, beat, folder):
    """A 60,000-image .npz dropped on the window (File ▸ Open dataset first asks which kind)."""
    sys.path.insert(0, HERE)
    from make_big_mnist import make

    data = make(os.path.join(folder, "big.npz"), 60_000, 10_000)
    loaded = lambda: getattr(w.session.dataset, "source", "") == os.path.abspath(data)  # noqa: E731
    from tests.gui.helpers import drop

    return beat.measure(lambda: drop(w, data), lambda: loaded() and not w.busy())


def path_session(w, beat, folder):
    if not {"save_session", "open_session"} <= set(w.actions.actions):
        return None
    from PySide6.QtWidgets import QFileDialog

    target = os.path.join(folder, "s.vaesession.json")
    QFileDialog.getSaveFileName = staticmethod(lambda *a, **k: (target, ""))
    QFileDialog.getOpenFileName = staticmethod(lambda *a, **k: (target, ""))
    w.actions["save_session"].trigger()
    wait(lambda: os.path.exists(target) and not w.busy())
    return beat.measure(lambda: w.actions["open_session"].trigger(), lambda: not w.busy())


PATHS = {
    "start": path_start,
    "colour_by_loss": path_colour_by_loss,
    "switch_layout": path_switch_layout,
    "save": path_save,
    "open_model": path_open_model,
    "session": path_session,
    "open_dataset": path_open_dataset,
}


if __name__ == "__main__":
    main()
