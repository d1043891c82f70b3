"""How long a stroke event takes to show: mouse event on the Draw canvas → the drawing encoded,
its marker moved on the map, its reconstruction decoded, and the window repainted.

Real mouse events (QTest press / move / release on the canvas widget) in the real main window,
offscreen, on a model it trains first (or ``--model FILE``); with latent dim > 2 the map is the
t-SNE layout (the script waits for it), the slowest placement. Each event is timed from before
it is sent until ``processEvents()`` has run the repaint it caused. Prints one JSON line:
median, p99 and max in ms over all events, and the target (30 ms).

    python tests/benchmarks/draw_latency.py --strokes 100             # trains `default` for 2 epochs
    python tests/benchmarks/draw_latency.py --model m.h5 --strokes 100
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

TARGET_MS = 30.0


def trained_model(folder: str, epochs: int, preset: str, train_images: int) -> str:
    from vae_explorer.trainer.data import load_dataset
    from vae_explorer.trainer.files.modelfile import save_model
    from vae_explorer.trainer.model.config import TrainConfig
    from vae_explorer.trainer.training.loop import Trainer

    data = load_dataset()
    if train_images:
        data = data.subset(train_images, min(len(data.x_test), max(64, train_images // 4)))
    config = TrainConfig(preset=preset, epochs=epochs)
    trainer = Trainer(config, data)
    result = trainer.run()
    path = os.path.join(folder, "draw-bench.h5")
    save_model(
        path, trainer.model, config, result.history, data.describe(), trainer.latent.codes(data.x_test, data.y_test)
    )
    return path


def wait_for_map(app, window, timeout: float = 120.0) -> str:
    """Process events until the map shows its final layout (t-SNE above two latent dimensions)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        projection = window.map.state.projection
        if projection is not None and (window.session.latent_dim <= 2 or projection.kind == "tsne"):
            return projection.kind
        time.sleep(0.02)
    raise SystemExit("the map's layout did not arrive in time")


def stroke_points(rng, side: int, moves: int) -> list:
    """A random smooth stroke across the canvas, in image coordinates."""
    start, end = rng.uniform(3, side - 3, 2), rng.uniform(3, side - 3, 2)
    bend = rng.uniform(3, side - 3, 2)
    t = np.linspace(0, 1, moves + 2)[:, None]
    return list((1 - t) ** 2 * start + 2 * (1 - t) * t * bend + t**2 * end)


def timed_stroke(app, window, points) -> list[float]:
    """Send press, moves and release as real mouse events; ms from send to repainted, each."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    canvas, left, none = window.draw.panel.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    at = [canvas.to_widget(float(x), float(y)).toPoint() for x, y in points]
    sends = [lambda p=at[0]: QTest.mousePress(canvas, left, none, p)]
    sends += [lambda p=p: QTest.mouseMove(canvas, p) for p in at[1:-1]]
    sends += [lambda p=at[-1]: QTest.mouseRelease(canvas, left, none, p)]
    times = []
    for send in sends:
        start = time.perf_counter()
        send()
        app.processEvents()
        times.append((time.perf_counter() - start) * 1000)
        check_marker(window)
    return times


def check_marker(window) -> None:
    """The marker is where the drawing's code lands: the event really was handled."""
    drawing, markers = window.draw.state.drawing, window.draw.markers
    expected = window.map.state.projection.to_plane(drawing.encoded.mean)[0]
    shown = np.array([markers.drawing.data["x"][0], markers.drawing.data["y"][0]])
    assert np.allclose(shown, expected[:2], atol=1e-4), "the marker did not follow the drawing"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="a saved model (default: train one)")
    ap.add_argument("--preset", default="default")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--train-images", type=int, default=0, help="0: all 8,000")
    ap.add_argument("--strokes", type=int, default=100)
    ap.add_argument("--moves", type=int, default=12, help="mouse moves per stroke")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from vae_explorer.explorer.main_window import MainWindow

    with tempfile.TemporaryDirectory() as folder:
        path = args.model or trained_model(folder, args.epochs, args.preset, args.train_images)
        window = MainWindow(settings=QSettings(os.devnull, QSettings.Format.IniFormat))
        layout = open_in_window(app, window, path)
        rng = np.random.default_rng(args.seed)
        times = []
        for i in range(args.strokes):
            if i % 4 == 0:
                window.draw.panel.canvas.clear()
            times += timed_stroke(
                app, window, stroke_points(rng, window.draw.panel.canvas.image_shape()[0], args.moves)
            )
        window.session.dirty = False
        window.close()
    ms = np.asarray(times)
    print(
        json.dumps(
            {
                "events": len(ms),
                "strokes": args.strokes,
                "layout": layout,
                "latent_dim": window.session.latent_dim,
                "median_ms": round(float(np.median(ms)), 2),
                "p99_ms": round(float(np.percentile(ms, 99)), 2),
                "max_ms": round(float(ms.max()), 2),
                "target_ms": TARGET_MS,
            }
        )
    )


def open_in_window(app, window, path: str) -> str:
    """Show the window, open the model once TensorFlow is loaded, wait for its map, show the Draw tab."""
    window.resize(1400, 900)
    window.show()
    while not (window.session.tf_ready and not window.busy()):
        app.processEvents()
        time.sleep(0.02)
    if not window.files.open_model(path):
        raise SystemExit(f"cannot open {path}")
    layout = wait_for_map(app, window)
    window.map.panel.setCurrentWidget(window.draw.panel)
    return layout


if __name__ == "__main__":
    main()
