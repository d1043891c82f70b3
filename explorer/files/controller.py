"""Model files: open, save, save as, open a dropped or recent path, and "save first?".

Every file the user names goes through the core (``trainer.files.modelfile``); a ``UserError``
becomes one dialog that names the file and the problem, and the session stays as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from vae_explorer.explorer.context import AppContext
from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.tf_runtime import tracing

MODEL_FILTER = "vae-explorer models (*.h5);;All files (*)"
Answer = QMessageBox.StandardButton


class ModelFiles(QObject):
    """The files part. ``training`` is the training part's ``TrainingState``; ``datasets`` the
    dataset part (``load(spec)``, ``load_for_model(info)``)."""

    def __init__(self, app: AppContext, training, recents, datasets):
        super().__init__(app.window)
        self.window, self.session, self.training, self.recents = app.window, app.session, training, recents
        self.errors, self.status, self.jobs = app.errors, app.status, app.jobs
        self.opening: str | None = None  # the model file being read off the GUI thread
        self._load_dataset, self._load_model_dataset = datasets.load, datasets.load_for_model
        self._pending: str | None = None  # a model asked for before TensorFlow was ready
        self.session.changed.connect(self._session_changed)

    # -- asking ---------------------------------------------------------------------------
    def ask_save(self, what: str) -> Answer:
        """Save, Discard or Cancel: the question asked before unsaved training is lost."""
        return QMessageBox.question(
            self.window,
            what,
            "The current model has unsaved training. Save it first?",
            Answer.Save | Answer.Discard | Answer.Cancel,
        )

    def confirm_discard(self, what: str) -> bool:
        """True when the current model may go: it was saved now, or the user let it go."""
        answer = self.ask_save(what)
        if answer == Answer.Save:
            return self.save()
        return answer == Answer.Discard

    # -- opening --------------------------------------------------------------------------
    def open_path(self, path: str) -> None:
        """A model (.h5) opens as a model; anything else is tried as a dataset."""
        if path.lower().endswith(".h5"):
            self.open_model(path)
        else:
            self._load_dataset(path)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open model", self.recents.last_folder(), MODEL_FILTER)
        if path:
            self.open_model(path)

    def open_model(self, path: str, then: Callable[[], None] | None = None) -> bool:
        """Start opening a model file: it is read, built and traced off the GUI thread (half a
        second that would freeze the window), then becomes the session's model and ``then()``
        runs. False when it cannot start; a bad file gives a dialog and changes nothing."""
        if not self.session.tf_ready:
            self._pending = path
            self.status(f"{path} opens when TensorFlow is ready…")
            return False
        if self.training.busy or self.opening:
            self.errors.report(
                "Cannot open a model",
                "Stop the training first." if self.opening is None else f"{self.opening} is still opening.",
            )
            return False
        if self.session.dirty and not self.confirm_discard("Open another model"):
            return False
        self.opening = path
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        self.status(f"Opening {path}…")
        self.jobs.run(lambda: read_model(path), lambda read: self._opened(path, read, then), self._failed)
        return True

    def _opened(self, path: str, read: tuple[Any, Any], then: Callable[[], None] | None) -> None:
        self._end_opening()
        if self.training.busy:  # started while the file was read: the running model stays
            self.errors.report("Cannot open model", f"{path}: a training started while it was opening.")
            return
        self.show_loaded(path, *read)
        if then is not None:
            then()

    def _failed(self, exc: BaseException) -> None:
        self._end_opening()
        self.errors.report("Cannot open model", exc)

    def _end_opening(self) -> None:
        self.opening = None
        QApplication.restoreOverrideCursor()

    def show_loaded(self, path: str, loaded, space=None) -> None:
        """Make a loaded model file the session's model (also for the follow part's versions);
        ``space``: its ``LatentSpace`` if already built."""
        from vae_explorer.trainer.model.space import LatentSpace

        s = self.session
        s.replace_model(
            model=loaded.model,
            config=loaded.config,
            history=list(loaded.history),
            dataset_info=loaded.dataset,
            codes=loaded.latent,
            path=os.path.abspath(path),
            dirty=False,
            space=space or LatentSpace(loaded.model),
            compiled=None,
            epoch_codes=loaded.epoch_codes,
        )
        if s.codes is None:
            s.encode_held_out()
        self._load_model_dataset(loaded.dataset)
        self.recents.add(path)
        self.status(f"Opened {path}", 5000)

    def _session_changed(self, names) -> None:
        if "tf_ready" in names and self.session.tf_ready and self._pending:
            path, self._pending = self._pending, None
            self.open_model(path)

    # -- saving ---------------------------------------------------------------------------
    def save(self) -> bool:
        if not self.session.path:
            return self.save_as()
        return self.save_to(self.session.path)

    def save_as(self) -> bool:
        if not self.session.has_model:
            return False
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Save model as", self.recents.last_folder("model.h5"), MODEL_FILTER
        )
        if not path:
            return False
        return self.save_to(path if path.lower().endswith(".h5") else path + ".h5")

    def save_to(self, path: str) -> bool:
        from vae_explorer.trainer.files.modelfile import save_model

        s = self.session
        codes, images = s.codes, s.held_out_images()
        if s.codes_behind and images is not None and s.space is not None:
            codes = s.space.codes(images, s.dataset.y_test)  # what the weights trained since make of them
        try:
            save_model(path, s.model, s.config, s.history, s.dataset_info, codes, s.epoch_codes)
        except UserError as exc:
            self.errors.report("Cannot save model", exc)
            return False
        s.update(path=os.path.abspath(path), dirty=False)
        self.recents.add(path)
        self.status(f"Saved {path}", 5000)
        return True


def read_model(path: str, new_space: Callable[[Any], bool] = lambda loaded: True) -> tuple[Any, Any]:
    """A model file loaded and, if ``new_space(loaded)``, its ``LatentSpace`` traced (else None);
    on a worker thread (``tracing()``)."""
    from vae_explorer.trainer.files.modelfile import load_model
    from vae_explorer.trainer.model.space import LatentSpace

    with tracing():
        loaded = load_model(path)
        return loaded, LatentSpace(loaded.model) if new_space(loaded) else None
