"""File ▸ Export report…: the model shown, as one self-contained HTML file to share.

The report is the one ``vae-explorer report`` writes (``trainer.report``), built from the
session: the model, its history and data, and the map as the window shows it (its layout and
plane), so the picture in the report is the picture on screen. It is built in the background
with a progress count and Cancel (``core.progress``); the file is written only at the end, and
atomically, so a cancelled or failed build leaves nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtWidgets import QFileDialog

from vae_explorer.explorer.context import AppContext
from vae_explorer.explorer.core.progress import Progress, ProgressJob, check

# () -> (plane, layout name) of the live map, or None
MapPicture = Callable[[], tuple[np.ndarray, str] | None]


class ReportExporter:
    def __init__(self, app: AppContext, last_folder: Callable[[str], str], map_picture: MapPicture) -> None:
        self.app, self.session = app, app.session
        self.last_folder, self.map_picture = last_folder, map_picture
        self.job: ProgressJob | None = None  # the last build started

    def inputs(self):
        """What the report is made of, from the session; None (said) when there is nothing to report."""
        from vae_explorer.trainer.data.dataset import held_out_status
        from vae_explorer.trainer.files.modelfile import ModelFile
        from vae_explorer.trainer.report.sections import ReportInputs

        s = self.session
        if s.model is None or s.space is None or s.config is None:
            self.app.errors.report("Nothing to report", "Open or train a model first.")
            return None
        if s.held_out_images() is None:
            name = (s.dataset_info or {}).get("name", "its dataset")
            self.app.errors.report(
                "Nothing to report", f"The report shows the model's held-out images: open {name} first."
            )
            return None
        description = s.dataset_info or s.dataset.describe()
        loaded = ModelFile(model=s.model, config=s.config, history=list(s.history), dataset=description)
        picture = self.map_picture()
        plane, layout = picture if picture is not None else (None, None)
        return ReportInputs(
            s.path or "unsaved model", loaded, s.dataset, held_out_status(s.dataset, description), s.space,
            plane=plane, layout_name=layout,
        )  # fmt: skip

    def export(self, path: str | None = None) -> bool:
        """Ask where (unless ``path``), then build and write in the background; False if not started."""
        inputs = self.inputs()
        if inputs is None:
            return False
        path = (
            path
            or QFileDialog.getSaveFileName(
                self.app.window, "Export report", self.last_folder("report.html"), "HTML (*.html)"
            )[0]
        )
        if not path:
            return False
        path = path if path.lower().endswith((".html", ".htm")) else path + ".html"
        self.job = self.app.jobs.run_with_progress(
            "Building the report",
            lambda progress, should_stop: _write(path, inputs, progress, should_stop),
            lambda size: self.app.status(f"Wrote {path} ({size / 1e6:.2f} MB)", 8000),
            self.app.errors.reporter("Cannot export the report"),
        )
        return True


def _write(path: str, inputs, progress: Progress, should_stop: Callable[[], bool]) -> int:
    from vae_explorer.trainer.report.build import write_report

    def said(done: int, total: int, what: str) -> None:
        check(should_stop)  # Cancel: stop between two sections; nothing is written
        progress(done, total, what)

    return write_report(path, inputs, said)
