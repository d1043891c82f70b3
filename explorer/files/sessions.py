"""File ▸ Save session…, Open session…, Reopen last session, and ``vae-explorer SESSION.json``.

A session (``files.session_format``) refers to the model file and keeps the ``SAVED`` fields of
every state object, the tool shown and the runs overlaid. Opening one reads and checks the whole
file first (a bad file is one line and changes nothing), asks once for a model file that moved,
loads the model and its dataset, waits until the background loads have landed (a dataset that
arrives later would clear the selection), then applies every state. The last session saved or
opened is remembered in QSettings and offered on the next start.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox

from vae_explorer.explorer.context import AppContext
from vae_explorer.explorer.files.session_format import (
    EMBEDDED,
    SessionFile,
    SessionFileError,
    read_session,
    sha256_of,
    what_applies,
    write_session,
)
from vae_explorer.trainer.data import DEFAULT_DATASET
from vae_explorer.trainer.errors import UserError

SESSION_FILTER = "vae-explorer sessions (*.json);;All files (*)"
LAST_KEY = "last_session"
POLL_MS, WAIT_MS = 50, 120_000  # how often, and how long at most, opening waits for background loads


class SessionFiles(QObject):
    """``states`` maps a name (``session_values.SCHEMA``'s) to the state object saved under it;
    ``applied(path)`` after a session was opened and applied."""

    applied = Signal(str)
    last_changed = Signal(str)

    def __init__(self, app: AppContext, files, datasets, states: dict, panel, runs):
        super().__init__(app.window)
        self.app, self.session, self.files, self.datasets = app, app.session, files, datasets
        self.states, self.panel, self.runs = states, panel, runs
        self._pending: str | None = None  # a session asked for before TensorFlow was ready
        self._waited = 0
        self._offered = False  # the last session was offered in the status bar (once, at start)
        self.session.changed.connect(self._session_changed)

    # -- the last session -----------------------------------------------------------------
    def last(self) -> str | None:
        value = self.app.settings.value(LAST_KEY, "")
        return value if isinstance(value, str) and value and os.path.exists(value) else None

    def _remember(self, path: str) -> None:
        self.app.settings.setValue(LAST_KEY, os.path.abspath(path))
        self.last_changed.emit(os.path.abspath(path))

    def reopen_last(self) -> bool:
        path = self.last()
        if path is None:
            self.app.status("No session has been saved or opened yet (File ▸ Save session…)", 8000)
            return False
        return self.open_session(path)

    def _session_changed(self, names) -> None:
        """Open a session asked for at start once TensorFlow is ready; else, once the window is
        ready (a dataset shown), offer the last one."""
        s = self.session
        if "tf_ready" in names and s.tf_ready and self._pending:
            path, self._pending, self._offered = self._pending, None, True
            self.open_session(path)
        elif not self._offered and s.tf_ready and s.dataset is not None:
            self._offered = True
            if self.last():
                self.app.status(f"Last session: {self.last()} (File ▸ Reopen last session)", 15000)

    # -- saving ---------------------------------------------------------------------------
    def save_dialog(self) -> bool:
        if not self._model_on_disk():
            return False
        start = os.path.join(os.path.dirname(self.last() or self.session.path or os.getcwd()), "session.json")
        path, _ = QFileDialog.getSaveFileName(self.app.window, "Save session", start, SESSION_FILTER)
        if not path:
            return False
        return self.save_to(path if path.lower().endswith(".json") else path + ".json")

    def _model_on_disk(self) -> bool:
        """A session refers to the model file: unsaved training is saved first (or nothing is)."""
        s = self.session
        if not s.has_model or (s.path and not s.dirty):
            return True
        answer = QMessageBox.question(
            self.app.window,
            "Save session",
            "A session refers to the model file, and the model has unsaved training. Save the model first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Save and self.files.save()

    def snapshot(self) -> SessionFile:
        """What the window shows now, as a session (a SessionFileError if its model file is gone)."""
        s = self.session
        model = s.path if s.has_model and s.path else None
        if model and not os.path.isfile(model):
            raise SessionFileError(f"cannot refer to the model file {model}: it no longer exists (save the model)")
        return SessionFile(
            model_path=model,
            model_sha256=sha256_of(model) if model else "",
            dataset=self._dataset_spec(),
            states={name: state.values() for name, state in self.states.items()},
            tab=self.panel.tool_name(self.panel.currentIndex()) if self.panel.count() else None,
            runs=tuple(self.runs.state.selected),
        )

    def _dataset_spec(self) -> str | None:
        data = self.session.dataset
        if data is None:
            return None
        if data.name == DEFAULT_DATASET:
            return EMBEDDED
        return os.path.abspath(data.source) if data.source and os.path.exists(data.source) else None

    def save_to(self, path: str) -> bool:
        try:
            write_session(path, self.snapshot())
        except UserError as exc:
            self.app.errors.report("Cannot save session", exc)
            return False
        self._remember(path)
        self.app.status(f"Saved session {path}", 5000)
        return True

    # -- opening --------------------------------------------------------------------------
    def open_dialog(self) -> bool:
        start = os.path.dirname(self.last() or self.session.path or os.path.join(os.getcwd(), "x"))
        path, _ = QFileDialog.getOpenFileName(self.app.window, "Open session", start, SESSION_FILTER)
        return self.open_session(path) if path else False

    def open_session(self, path: str) -> bool:
        """Read, check, load the model and data, then apply; a bad file changes nothing."""
        if not self.session.tf_ready:
            self._pending = path
            self.app.status(f"{path} opens when TensorFlow is ready…")
            return False
        try:
            read = read_session(path)
            model, notes = self._model_of(path, read)
        except UserError as exc:
            self.app.errors.report("Cannot open session", exc)
            return False
        if model is None:
            self._with_model(path, read, notes)
            return True
        return self.files.open_model(model, then=lambda: self._with_model(path, read, notes))

    def _with_model(self, path: str, read: SessionFile, notes: list[str]) -> None:
        """The session's model is open (read off the GUI thread): its data, then what was set."""
        self._load_dataset(read.dataset, notes)
        self._waited = 0
        self._when_loaded(lambda: self._apply_which(path, read, notes))

    def _model_of(self, path: str, read: SessionFile) -> tuple[str | None, list[str]]:
        """The model file to open (asked for once if it moved) and what to say about it."""
        model = read.model_path
        if model is None:
            return None, []
        if not os.path.isfile(model):
            model = self._ask_where(model)
        if model is None:
            raise SessionFileError(f"its model file {read.model_path} was not found", path)
        try:
            changed = sha256_of(model) != read.model_sha256
        except OSError as exc:
            raise SessionFileError(f"its model file {model} cannot be read: {exc.strerror or exc}", path) from None
        return model, ["the model file changed since the session was saved"] if changed else []

    def _ask_where(self, missing: str) -> str | None:
        name = os.path.basename(missing)
        self.app.status(f"The session's model file {missing} has moved: where is it now?")
        path, _ = QFileDialog.getOpenFileName(
            self.app.window, f"Where is {name} now?", os.path.dirname(missing), f"{name} (*.h5);;All files (*)"
        )
        return path or None

    def _load_dataset(self, spec: str | None, notes: list[str]) -> None:
        data = self.session.dataset
        if spec is None or (spec == EMBEDDED and data is not None and data.name == DEFAULT_DATASET):
            return
        if spec != EMBEDDED and data is not None and os.path.abspath(data.source or "") == spec:
            return
        if spec != EMBEDDED and not os.path.exists(spec):
            notes.append(f"its dataset {spec} was not found (the current one stays)")
            return
        self.datasets.load(DEFAULT_DATASET if spec == EMBEDDED else spec)

    def _when_loaded(self, then) -> None:
        """``then()`` once no background load is running (the dataset, the training images)."""
        if self.app.jobs.busy and self._waited < WAIT_MS:
            self._waited += POLL_MS
            QTimer.singleShot(POLL_MS, lambda: self._when_loaded(then))
            return
        then()

    def _apply_which(self, path: str, read: SessionFile, notes: list[str]) -> None:
        """Which images the map shows first: a selection indexes them."""
        which = read.states.get("map", {}).get("which")
        if which is not None and "map" in self.states:
            self.states["map"].update(which=which)
        self._when_loaded(lambda: self._apply(path, read, notes))

    def _apply(self, path: str, read: SessionFile, notes: list[str]) -> None:
        s = self.session
        points = self.states["map"].points if "map" in self.states else None
        n_epochs = max(len(s.epoch_codes) - 1, 0) if s.epoch_codes is not None else 0
        states, left_out = what_applies(read.states, s.latent_dim, len(points) if points else 0, n_epochs)
        for name, state in self.states.items():  # in the window's order: the map's layout before its view range
            state.update(**states.get(name, {}))
        if read.tab:
            self.panel.show_tool(read.tab)
        present = {r.path for r in self.runs.state.records}
        self.runs.panel.select_records({p for p in read.runs if p in present})
        self._remember(path)
        if left_out:
            notes.append("left out what no longer fits the model: " + ", ".join(left_out))
        self.app.status(f"Opened session {path}" + "".join(f" · {n}" for n in notes), 15000)
        self.applied.emit(path)
