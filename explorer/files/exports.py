"""File ▸ Export: the manifold grid, random samples, the interpolation strip, the traversal
(PNG), the latent codes (CSV) and the whole VAE (.keras).

The grid, the strip and the traversal are the images the map part already decoded (it decodes
only what it has not yet); only the random samples are decoded here. Writing goes through the
core (``trainer.files.exports``, ``trainer.files.imagegrid``), which writes atomically.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QInputDialog

from vae_explorer.trainer.errors import UserError

SAMPLE_COUNT = 64
DEFAULT_SCALE = 4
TOOL_OF = {"grid": "grid", "interpolation": "interpolate", "traversal": "traverse", "class_samples": "class_samples"}
NOTHING_TO_EXPORT = {
    "interpolation": "Set two endpoints (A and B) in the Interpolate tab first.",
    "traversal": "Click a point on the map first: the traversal is around it.",
    "class_samples": "Samples of a class need a held-out set with labels.",
}


class Exporter(QObject):
    """``tools`` maps a tool's name to the tool (its ``export_image()``); ``settings`` is the
    training part's ``TrainSettings``, whose seed random samples are drawn with."""

    def __init__(self, app, tools: dict, recents, settings):
        super().__init__(app.window)
        self.window, self.session, self.tools, self.recents = app.window, app.session, tools, recents
        self.errors, self.status, self.settings = app.errors, app.status, settings

    def image(self, what: str):
        """The image to export (H×W×C in [0, 1]), or None when there is nothing yet."""
        from vae_explorer.trainer.files import exports

        if what == "samples":
            return exports.samples(self.session.space, SAMPLE_COUNT, seed=self.settings.seed)
        return self.tools[TOOL_OF[what]].export_image()

    def export_png(self, what: str, path: str | None = None, scale: int | None = None) -> bool:
        """Write the manifold grid, samples, interpolation strip or traversal as a PNG."""
        from vae_explorer.trainer.files.imagegrid import upscale, write_png

        if self.session.space is None:
            return False
        image = self.image(what)
        if image is None:
            self.errors.report("Nothing to export", NOTHING_TO_EXPORT.get(what, "Open or train a model first."))
            return False
        scale = scale or self._ask_scale(image)
        if not scale:  # cancelled: no second dialog
            return False
        path = path or self._ask_path("Export PNG", f"{what}.png", "PNG (*.png)")
        if not path:
            return False
        return self._write(write_png, _with_suffix(path, ".png"), upscale(image, scale))

    def export_csv(self, path: str | None = None) -> bool:
        from vae_explorer.trainer.files.exports import write_latent_csv

        s = self.session
        if s.codes is None:
            return False
        path = path or self._ask_path("Export latent codes", "latent.csv", "CSV (*.csv)")
        return bool(path) and self._write(write_latent_csv, path, s.codes, s.label_names())

    def export_keras(self, path: str | None = None) -> bool:
        from vae_explorer.trainer.model.keras_export import export_keras

        path = path or self._ask_path("Export Keras model", "vae.keras", "Keras (*.keras)")
        return bool(path) and self._write(export_keras, _with_suffix(path, ".keras"), self.session.model, "vae")

    def _write(self, write, path: str, *args) -> bool:
        try:
            write(path, *args)
        except UserError as exc:
            self.errors.report("Cannot export", exc)
            return False
        self.status(f"Wrote {path}", 5000)
        return True

    def _ask_scale(self, image) -> int | None:
        h, w = image.shape[:2]
        scale, ok = QInputDialog.getInt(
            self.window, "Export size", f"Enlarge each pixel by (1× is {w}×{h} px):", DEFAULT_SCALE, 1, 32
        )
        return scale if ok else None

    def _ask_path(self, title: str, name: str, filter_: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.window, title, self.recents.last_folder(name), filter_)
        return path


def _with_suffix(path: str, suffix: str) -> str:
    return path if path.lower().endswith(suffix) else path + suffix
