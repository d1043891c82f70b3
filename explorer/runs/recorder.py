"""A run record for every training the app runs, and its TensorBoard logs when asked for.

The same records as ``vae-explorer train`` writes (``trainer.files.runs``), kept in the app's runs
folder: written ``running`` when the run starts, rewritten when it ends (finished, stopped,
diverged, or failed), and again with the model file's path when the user saves that model.
Writing a record never stops a training: a failure is reported and the run goes on.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from vae_explorer.explorer.core.errors import error_text
from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.files.runs import (
    RECORD_SUFFIX,
    finish_run,
    same_history,
    set_model_path,
    start_run,
    write_record,
)

if TYPE_CHECKING:
    from vae_explorer.trainer.files.run_record import RunRecord
    from vae_explorer.trainer.training.tensorboard_log import TensorBoardLog


class RunRecorder(QObject):
    """Follows ``training`` (a TrainingController) and the session; ``folder()`` is the runs folder."""

    recorded = Signal(str)  # the path of a record just written

    def __init__(self, session, training, folder, tensorboard_box, errors, parent: QObject):
        super().__init__(parent)
        self.session, self.folder, self.tensorboard_box, self.errors = session, folder, tensorboard_box, errors
        # the record of the run in progress, then of the session's model's newest run
        self.record: RunRecord | None = None
        self._running = False
        self._board: TensorBoardLog | None = None  # the TensorBoardLog of the run in progress
        training.starting.connect(self._started)
        training.runner.returned.connect(self._returned)
        training.runner.errored.connect(self._errored)
        session.changed.connect(self._session_changed)

    # -- a run starts -----------------------------------------------------------------------
    def _started(self, trainer) -> None:
        self.record, self._running, self._board = None, True, None
        try:
            self.record = record = start_run(
                "", trainer.config.to_dict(), trainer.dataset.describe(), self.folder(), resumed_from=self.session.path
            )
        except UserError as exc:
            self.errors.report("The run is not recorded", exc)
            return
        self.recorded.emit(record.path)
        self._attach_board(trainer, record)

    def _attach_board(self, trainer, record: RunRecord) -> None:
        """Put a TensorBoardLog in front of the trainer's listener (the worker calls it first)."""
        from vae_explorer.trainer.training.tensorboard_log import attach

        name = os.path.basename(record.path)[: -len(RECORD_SUFFIX)]
        logdir = self.tensorboard_box.logdir_for(name)
        if logdir is None:
            return
        try:
            self._board = attach(trainer, trainer.dataset, logdir)
        except UserError as exc:
            self.errors.report("TensorBoard logs are not written", exc)
            return
        record.tensorboard = os.path.abspath(logdir)
        self._write(record)

    # -- it ends --------------------------------------------------------------------------
    def _returned(self, result) -> None:
        self._end(result.status, result.message, result.history)

    def _errored(self, error) -> None:
        self._end("failed", error_text(error), self.session.history)

    def _end(self, status: str, message: str, history: list) -> None:
        self._running = False
        if self._board is not None:
            board, self._board = self._board, None
            board.close(self.session.codes)  # the projector files of the held-out codes
        if self.record is None:
            return
        try:
            finish_run(self.record, status, message, history)
        except UserError as exc:
            self.errors.report("The run is not recorded", exc)
            return
        self.recorded.emit(self.record.path)

    # -- the user saves its model -----------------------------------------------------------
    def _session_changed(self, names) -> None:
        s = self.session
        if "model" in names and not self._running:
            self.record = None  # another model: the last record is not of it
        if not (names & {"path", "dirty"}) or self._running or self.record is None:
            return
        if s.dirty or not s.path or not same_history(self.record.history, s.history):
            return
        if self.record.model_path != os.path.abspath(s.path):
            try:
                set_model_path(self.record, s.path)
            except UserError as exc:
                self.errors.report("The run record does not name the saved model", exc)
                return
            self.recorded.emit(self.record.path)

    def _write(self, record: RunRecord) -> None:
        try:
            write_record(record)
        except UserError as exc:
            self.errors.report("The run is not recorded", exc)
