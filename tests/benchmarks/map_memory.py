"""What showing every image on the map costs in memory: the window on a 100,000-image set, its map
first on the held-out images (what the map showed before the whole dataset could be on it), then
on all of them, each with its t-SNE layout, the colouring by reconstruction error and 5 s of
panning with thumbnails. Prints one JSON line per stage and a table: the resident memory of the
window's process and of its t-SNE child (``VmRSS``), their peaks (``VmHWM``), and the growth
from the held-out map to the whole one against the issue's 500 MB.

    python tests/benchmarks/map_memory.py --model m.h5            # makes 90,000 + 10,000 images
    python tests/benchmarks/map_memory.py --data big.npz --model m.h5

``--model``: any model of 28×28×1 images (``vae-explorer train --data … --preset default``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    args = parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    data = args.data or make_data()
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    window = open_window(data, args.model)
    dataset = window.session.dataset
    print(f"dataset: {len(dataset.x_train):,} training + {len(dataset.x_test):,} held-out images")
    stages = [measure(window, "held-out"), measure(window, "all")]
    for stage in stages:
        print(json.dumps(stage), flush=True)
    print_table(stages)
    window.session.dirty = False
    window.close()
    app.processEvents()
    os._exit(0)  # as explorer/app.py does: skip the Qt+TF interpreter teardown


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="an .npz dataset (default: 90,000 + 10,000 generated images)")
    ap.add_argument("--model", required=True, help="a model of 28×28×1 images")
    return ap.parse_args()


def make_data() -> str:
    sys.path.insert(0, HERE)
    from make_big_mnist import make

    return make(os.path.join(tempfile.mkdtemp(prefix="map-memory-"), "big100k.npz"), 90_000, 10_000)


def open_window(data: str, model: str):
    """The window with ``data`` loaded as the chooser loads it and ``model`` opened."""
    from PySide6.QtCore import QSettings

    from vae_explorer.explorer.data.chooser import with_checksum
    from vae_explorer.explorer.main_window import MainWindow
    from vae_explorer.trainer.data import load_dataset

    window = MainWindow(settings=QSettings(os.devnull, QSettings.Format.IniFormat), runs_dir=tempfile.mkdtemp())
    window.resize(1400, 900)
    window.show()
    wait_until(lambda: window.session.tf_ready and not window.busy(), 120)
    window.files.open_model(model)  # first: opening a model may bring the dataset it was trained on
    wait_until(lambda: not window.files.opening and window.session.model is not None, 120)
    wait_until(lambda: not window.busy(), 120)  # and its dataset loaded, if it found it
    window.datasets.show(with_checksum(load_dataset(data)))
    return window


def measure(window, which: str) -> dict:
    """The map on ``which`` points, laid out, coloured by reconstruction error, panned: memory."""
    started = time.perf_counter()
    window.map.state.update(which=which)
    wait_until(lambda: laid_out(window, which), 600)
    window.map_data.state.update(color_by="reconstruction")
    wait_until(lambda: window.map_data.state.metrics_for(window.map_data.points()) is not None, 600)
    pan(window, 5.0)
    child = window.map.layouts.child_pid
    return {
        "points": which,
        "n": int(len(window.map.map.plane)),
        "seconds": round(time.perf_counter() - started, 1),
        "app_rss_mb": memory_mb("self", "VmRSS"),
        "app_peak_mb": memory_mb("self", "VmHWM"),
        "child_rss_mb": memory_mb(child, "VmRSS") if child else 0.0,
        "child_peak_mb": memory_mb(child, "VmHWM") if child else 0.0,
    }


def laid_out(window, which: str) -> bool:
    state = window.map.state
    shown = state.points is not None and state.points.which == which
    return shown and not window.map.layouts.computing and state.tsne_points is state.points


def pan(window, seconds: float) -> None:
    """``gui_probe``'s pan: thumbnails on, the view zoomed between the whole map and a sixth of it."""
    sys.path.insert(0, HERE)
    from gui_probe import PanPhase

    result: dict = {}
    PanPhase(window, seconds, result, then=lambda: None).start()
    wait_until(lambda: "pan_heartbeat_ms" in result, seconds + 60)


def wait_until(condition, seconds: float) -> None:
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.005)


def memory_mb(pid, field: str) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def print_table(stages: list[dict]) -> None:
    print(f"\n{'points':<9} {'n':>7} {'s':>6} {'app MB':>8} {'peak':>7} {'child MB':>9} {'peak':>7}")
    for s in stages:
        print(f"{s['points']:<9} {s['n']:>7} {s['seconds']:>6} {s['app_rss_mb']:>8} {s['app_peak_mb']:>7} "
              f"{s['child_rss_mb']:>9} {s['child_peak_mb']:>7}")  # fmt: skip
    before, after = stages
    grown = after["app_rss_mb"] + after["child_rss_mb"] - before["app_rss_mb"] - before["child_rss_mb"]
    peaks = after["app_peak_mb"] + after["child_peak_mb"] - before["app_peak_mb"] - before["child_peak_mb"]
    print(f"the whole map costs {grown:.0f} MB more than the held-out one (app + t-SNE child; target ≤ 500 MB); "
          f"their peaks {peaks:.0f} MB more")  # fmt: skip


if __name__ == "__main__":
    main()
