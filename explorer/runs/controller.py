"""The runs part: the app's run records, the Runs panel, overlays, compare and Evaluate, wired.

It owns ``RunsState`` and its widgets (the Runs panel, the TensorBoard option of the training
panel), the recorder that writes a record for every training, and the curves of selected
runs drawn over the loss plot. Opening a run's model goes through the files part, so the
"save first?" question is asked as for any other open.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from vae_explorer.explorer.runs.overlay import RunOverlay
from vae_explorer.explorer.runs.recorder import RunRecorder
from vae_explorer.explorer.runs.state import RunsState
from vae_explorer.explorer.runs.table import RunsPanel
from vae_explorer.explorer.runs.tensorboard_box import TensorBoardBox
from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.files.runs import (
    add_likelihood,
    delete_record,
    list_records,
    newest_with_history,
    same_history,
)

if TYPE_CHECKING:
    from vae_explorer.explorer.runs.compare import CompareWindow
    from vae_explorer.explorer.runs.evaluate import EvaluateDialog

Answer = QMessageBox.StandardButton


def default_runs_folder() -> str:
    """``<the platform's user data folder>/runs`` (Qt's AppDataLocation; on Linux
    ``~/.local/share/vae-explorer/vae-explorer/runs``). Tests pass their own folder instead."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return os.path.join(base, "runs")


class RunsController(QObject):
    """``folder``: where the records go (default: the user data folder's ``runs``; tests give theirs)."""

    def __init__(self, app, training, files, folder: str | None = None):
        super().__init__(app.window)
        self.window, self.session, self.files, self.errors, self.status = (
            app.window,
            app.session,
            files,
            app.errors,
            app.status,
        )
        self.state = RunsState(folder=os.path.abspath(folder or default_runs_folder()))
        self.panel = RunsPanel(self.state)
        self.tensorboard_box = TensorBoardBox(app.settings, os.path.join(self.state.folder, "tensorboard"))
        self.overlay = RunOverlay(training.loss_plot)
        self.recorder = RunRecorder(
            self.session, training, lambda: self.state.folder, self.tensorboard_box, self.errors, self
        )
        self.compare_window: CompareWindow | None = None
        self.evaluate_dialog: EvaluateDialog | None = None
        self.recorder.recorded.connect(lambda _: self.reload())
        self.panel.selected.connect(lambda paths: self.state.update(selected=paths))
        self.panel.open_requested.connect(self.open_run)
        self.panel.compare_requested.connect(self.compare_selected)
        self.panel.delete_requested.connect(self.delete_selected)
        self.state.changed.connect(self._state_changed)
        self.reload()

    def _state_changed(self, names) -> None:
        if names & {"records", "selected"}:
            self.overlay.show(self.state.selected_records())

    def reload(self) -> None:
        """Read the runs folder again (a missing folder is no runs yet)."""
        folder = self.state.folder
        try:
            records, warnings = list_records([folder]) if os.path.isdir(folder) else ([], [])
        except UserError as exc:  # a folder that cannot be listed: no runs, and the reason
            records, warnings = [], [str(exc)]
        present = {r.path for r in records}
        self.state.update(
            records=records, warnings=warnings, selected=tuple(p for p in self.state.selected if p in present)
        )

    # -- open and delete ------------------------------------------------------------------
    def open_run(self, path: str) -> None:
        record = self.state.record(path)
        if record is None:
            return
        if not record.model_path:
            self.status("This run's model was never saved: there is no file to open", 8000)
            return
        self.files.open_model(record.model_path)

    def delete_selected(self) -> None:
        """Delete the selected records after asking; their model files stay where they are."""
        records = self.state.selected_records()
        if not records:
            return
        models = [r.model_path for r in records if r.model_path]
        text = f"Delete the record of {len(records)} run(s)? Only the record is deleted; " + (
            "the model file(s) are kept:\n" + "\n".join(models) if models else "no model file was saved."
        )
        if (
            QMessageBox.question(self.window, "Delete run record", text, Answer.Yes | Answer.No, Answer.No)
            != Answer.Yes
        ):
            return
        for record in records:
            try:
                delete_record(record.path)
            except UserError as exc:
                self.errors.report("Cannot delete the run record", exc)
            mine = self.recorder.record
            if mine is not None and mine.path == record.path:
                self.recorder.record = None  # not written again (a run in progress ends unrecorded)
        self.reload()
        self.status(f"Deleted {len(records)} run record(s)", 5000)

    # -- compare --------------------------------------------------------------------------
    def compare_selected(self) -> None:
        from vae_explorer.explorer.runs.compare import CompareWindow

        records = self.state.selected_records()
        if len(records) != 2:
            self.status("Select two runs (Ctrl-click) to compare their models", 8000)
            return
        sides = self._load_sides(records)
        if sides is None:
            return
        names = self.session.label_names() or sides[0].loaded.dataset.get("label_names")
        self.compare_window = CompareWindow(sides[0], sides[1], self._shared_images(sides), names, self.window)
        self.compare_window.show()

    def _load_sides(self, records):
        from vae_explorer.explorer.runs.compare import Side, plane_of
        from vae_explorer.trainer.files.modelfile import load_model
        from vae_explorer.trainer.model.space import LatentSpace

        sides = []
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            for record in records:
                loaded = load_model(record.model_path)
                if loaded.latent is None:
                    raise UserError(
                        "holds no encoded held-out images to draw (save it from the app again)", record.model_path
                    )
                codes = loaded.latent
                sides.append(Side(record, loaded, codes, LatentSpace(loaded.model), plane_of(codes.means)[0]))
        except UserError as exc:
            self.errors.report("Cannot compare", exc)
            return None
        finally:
            QApplication.restoreOverrideCursor()
        return sides

    def _shared_images(self, sides):
        """The held-out images both models held out, if the app's dataset is that one."""
        from vae_explorer.trainer.data.dataset import held_out_status

        dataset = self.session.dataset
        if dataset is None or any(held_out_status(dataset, s.loaded.dataset) != "verified" for s in sides):
            return None
        return dataset.x_test

    # -- evaluate -------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.evaluate_dialog is not None and self.evaluate_dialog.running

    def cancel(self) -> None:
        dialog = self.evaluate_dialog
        if dialog is not None and dialog.running:
            dialog.cancel()

    def evaluate(self) -> None:
        """The Evaluate dialog for the current model on the app's held-out images."""
        from vae_explorer.explorer.runs.evaluate import EvaluateDialog, Target
        from vae_explorer.trainer.data.dataset import held_out_status

        s = self.session
        if s.model is None or s.dataset is None or tuple(s.dataset.image_shape) != tuple(s.model.image_shape):
            self.errors.report("Cannot evaluate", "Open the model's dataset first: its images do not fit this model.")
            return
        target = Target(
            s.model, s.dataset.x_test, s.dataset.name, held_out_status(s.dataset, s.dataset_info or {}), s.path
        )
        self.evaluate_dialog = dialog = EvaluateDialog(target, self.window)
        dialog.evaluated.connect(self._evaluated)
        dialog.open()

    def _evaluated(self, figures: dict) -> None:
        """Keep the figure in the record of the run that made this model (if there is one)."""
        record = self._record_of_current_model()
        text = f"IW bound K={figures['iw_k']}: {figures['iw_nll']:.2f} nats per image ({figures['likelihood']})"
        if record is None:
            self.status(f"{text}; no run record of this model to add it to", 15000)
            return
        try:
            add_likelihood(record, figures)
        except UserError as exc:
            self.errors.report("The figure is not added to the run record", exc)
            return
        self.reload()
        self.status(f"{text}; added to the run record", 15000)

    def _record_of_current_model(self):
        history = self.session.history
        mine = self.recorder.record
        if mine is not None and same_history(mine.history, history):
            return mine
        return newest_with_history(self.state.records, history)
