"""Take the README's screenshots from the real app in a real window (run under Xvfb).

    xvfb-run -s "-screen 0 1400x900x24" python tests/tools/screenshots.py assets/

It trains the default preset as the app does (15 epochs) on the embedded MNIST, grabs the
screen with ImageMagick's ``import -window root`` while training, waits for the t-SNE map of
the trained model, clicks it, sets an interpolation between a 0 and a 7 and grabs again; then
switches the same model's map to PCA and grabs a third time (the README shows both); then
back to t-SNE, zoomed in where the 4s meet the 9s with the thumbnails on (Ctrl+T), a fourth;
then, zoomed out again, draws a 7 on the Draw tab's canvas with real mouse events and grabs the
drawing placed on the map beside its reconstruction.

    xvfb-run -s "-screen 0 1400x900x24" python tests/tools/screenshots.py assets/ --runs

takes only the Runs panel's screenshot instead (``runs_panel``): two short runs of the default
preset (3 epochs each, β 1 and 4, recorded in a temporary runs folder), both rows selected so
that their curves are overlaid on the loss plot.

    QT_SCALE_FACTOR=2 xvfb-run -s "-screen 0 2560x1600x24" python tests/tools/screenshots.py assets/ --scaled MODEL.h5

takes ``screenshot-200.png`` instead (``scaled_window``): the window at 200 % (1280×800 logical
pixels, a laptop's 2560×1600 screen) with MODEL.h5 open and its map laid out, to look for clipped
labels and overlapping controls; past 400 KB the PNG is reduced to 256 colours.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication


def grab(path: str) -> None:
    subprocess.run(["import", "-window", "root", path], check=True)
    print("wrote", path)


MAX_PNG_BYTES = 400_000
SEVEN = ((7, 6), (13, 6), (21, 6), (18, 12), (15, 18), (13, 24))  # image coordinates on a 28×28 canvas


def draw_digit(canvas, points=SEVEN) -> None:
    """Draw one stroke through ``points`` as a hand would: press, moves, release on the canvas."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    side = canvas.image_shape()[0] / 28  # the stroke scales with the canvas
    at = [canvas.to_widget(x * side, y * side).toPoint() for x, y in points]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at[0])
    for pos in at[1:]:
        QTest.mouseMove(canvas, pos)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at[-1])


def runs_panel(app, out: str, epochs: int = 3, betas=(1.0, 4.0)) -> None:
    """``screenshot-runs.png``: the Runs panel with two short runs selected, their curves overlaid."""
    from vae_explorer.explorer.main_window import MainWindow

    w = MainWindow(runs_dir=tempfile.mkdtemp(prefix="vae-explorer-screenshot-runs-"))
    w.setGeometry(0, 0, 1400, 900)
    w.show()
    w.runs_dock.show()
    todo = list(betas)

    def next_run():
        if not (w.session.tf_ready and w.session.dataset is not None and not w.busy()):
            QTimer.singleShot(200, next_run)
            return
        if not todo:
            QTimer.singleShot(300, select_both)
            return
        w.session.dirty = False  # the last run's model is not asked about: only its record matters
        w.training.panel.epochs.setValue(epochs)
        w.training.panel.beta.setValue(todo.pop(0))
        w.training.start()
        QTimer.singleShot(500, next_run)

    def select_both():
        w.runs.panel.table.selectAll()
        w.training.loss_plot.fit()
        QTimer.singleShot(800, finish)

    def finish():
        grab(os.path.join(out, "screenshot-runs.png"))
        w.session.dirty = False
        w.close()
        QTimer.singleShot(500, app.quit)

    QTimer.singleShot(500, next_run)
    app.exec()


def scaled_window(app, out: str, model: str) -> None:
    """``screenshot-200.png``: the whole window at the scale factor the environment sets (run with
    ``QT_SCALE_FACTOR=2``), grabbed in device pixels, ``model`` open and its t-SNE map shown."""
    from vae_explorer.explorer.main_window import MainWindow

    w = MainWindow(runs_dir=tempfile.mkdtemp(prefix="vae-explorer-screenshot-200-"))
    w.setGeometry(0, 0, 1280, 800)
    w.show()
    path = os.path.join(out, "screenshot-200.png")

    def opened():
        if not (w.session.tf_ready and w.session.dataset is not None and not w.busy()):
            QTimer.singleShot(200, opened)
            return
        if w.session.path is None:
            w.files.open_path(model)
            QTimer.singleShot(200, opened)
            return
        if w.map.layouts.computing or w.map.state.tsne_points is None:
            QTimer.singleShot(200, opened)
            return
        QTimer.singleShot(800, finish)

    def finish():
        image = w.grab().toImage()
        image.save(path, "PNG", 0)
        if os.path.getsize(path) > MAX_PNG_BYTES:  # a 256-colour palette: the README's pictures stay light
            image.convertToFormat(QImage.Format.Format_Indexed8).save(path, "PNG", 0)
        print("wrote", path, f"({image.width()}×{image.height()}, {os.path.getsize(path) // 1024} KB)")
        w.session.dirty = False
        w.close()
        QTimer.singleShot(500, app.quit)

    QTimer.singleShot(500, opened)
    app.exec()


def zoom_to_thumbnails(w, classes=(4, 9), points: int = 120) -> None:
    """Centre the map between two classes' centroids, zoomed so that about ``points`` points are
    in view, and turn the thumbnails on as Ctrl+T does."""
    import numpy as np

    plane, labels = w.map.map.plane, w.session.codes.labels
    centre = np.mean([plane[labels == c].mean(axis=0) for c in classes], axis=0)
    spread = plane.std(axis=0)
    distance = np.abs((plane - centre) / spread).max(axis=1)  # the square around the centre, in spreads
    half = np.sort(distance)[min(points, len(distance) - 1)] * spread
    w.map.map.getViewBox().setRange(
        xRange=(centre[0] - half[0], centre[0] + half[0]), yRange=(centre[1] - half[1], centre[1] + half[1]), padding=0
    )
    w.map_data.toolbar.thumbnails.setChecked(True)


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "assets"
    epochs = int(os.environ.get("SCREENSHOT_EPOCHS", "15"))
    app = QApplication(sys.argv[:1])
    if "--scaled" in sys.argv[2:]:
        scaled_window(app, out, sys.argv[sys.argv.index("--scaled") + 1])
        return
    if "--runs" in sys.argv[2:]:
        runs_panel(app, out, int(os.environ.get("SCREENSHOT_EPOCHS", "3")))
        return
    from vae_explorer.explorer.main_window import MainWindow

    w = MainWindow()
    w.setGeometry(0, 0, 1400, 900)
    w.show()
    state = {"epochs": 0}

    def start():
        if not (w.session.tf_ready and w.session.dataset is not None and not w.busy()):
            QTimer.singleShot(200, start)
            return
        w.training.panel.epochs.setValue(epochs)
        w.training.start()
        w.training.runner.epoch_done.connect(on_epoch)
        w.training.runner.finished.connect(lambda: QTimer.singleShot(500, wait_for_tsne))

    def on_epoch(report):
        state["epochs"] += 1
        if state["epochs"] == epochs - 1:
            QTimer.singleShot(300, lambda: grab(os.path.join(out, "screenshot-training.png")))

    def wait_for_tsne():
        if w.map.tsne.computing or w.map.state.tsne_points is not w.session.codes:
            QTimer.singleShot(200, wait_for_tsne)
            return
        explore()

    def explore():
        ex = w.map
        codes = w.session.codes
        plane = ex.state.projection.to_plane(codes.means)
        labels = codes.labels
        a = plane[list(labels).index(0)]
        b = plane[list(labels).index(7)]
        w.map.panel.steps.setValue(10)
        ex.click_position(float(a[0]), float(a[1]))
        ex.set_endpoint("A")
        ex.click_position(float(b[0]), float(b[1]))
        ex.set_endpoint("B")
        w.map.panel.setCurrentIndex(1)
        w.map.panel.slider.setValue(5)
        QTimer.singleShot(800, finish)

    def finish():
        grab(os.path.join(out, "screenshot-explore.png"))
        w.map.axes.choose("pca")
        QTimer.singleShot(800, lambda: (grab(os.path.join(out, "screenshot-pca.png")), thumbnails()))

    def thumbnails():
        w.map.axes.choose("tsne")
        zoom_to_thumbnails(w)
        QTimer.singleShot(800, lambda: (grab(os.path.join(out, "screenshot-thumbnails.png")), drawn()))

    def drawn():
        w.map_data.toolbar.thumbnails.setChecked(False)
        w.map.fit_view()
        w.map.panel.setCurrentWidget(w.draw.panel)
        w.draw.panel.brush.setValue(2.5)
        draw_digit(w.draw.panel.canvas)
        QTimer.singleShot(800, lambda: (grab(os.path.join(out, "screenshot-draw.png")), close()))

    def close():
        w.session.dirty = False
        w.close()
        QTimer.singleShot(500, app.quit)

    QTimer.singleShot(500, start)
    app.exec()


if __name__ == "__main__":
    main()
