"""Follow a model file that a training elsewhere keeps replacing (``train --save-every N``).

*File ▸ Follow model file…* and ``vae-explorer --follow MODEL.h5``. The file may not exist
yet: the follower waits for it. Each new version is loaded and shown without a question or
a dialog, and without resetting what the user looks at: when the architecture is the same
the new weights are copied into the model already shown (so the map keeps its view, the
clicked point and A/B stay, and every decode follows the new weights, as during a training
in the app); a file whose config differs in anything (another loss, another β, another
architecture) opens as a new model. A version that cannot be read (a copy still in progress) is
said in the status bar and the last good one stays. The folder is also looked at once a second:
a file in a folder that does not exist yet is picked up when it appears, and a version that
landed while the shown model was in use (an evaluation running) is read once it is free. Each
version is read (and, when it opens as a new model, traced) on a background job: half a second
that would freeze the window at every epoch of the training followed.

``train`` writes through ``os.replace``: the watched path then names a new inode, which
``QFileSystemWatcher`` stops watching. The folder is watched as well and the file re-added
after each change; a short quiet period lets the rename settle before the file is read.
"""

from __future__ import annotations

import os
import time
from typing import cast

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from vae_explorer.explorer.files.controller import MODEL_FILTER, read_model
from vae_explorer.trainer.errors import UserError

SETTLE_MS = 150  # quiet time after a change before reading the file
POLL_MS = 1000  # ... and a look once a second, whatever the watcher says


class ModelFollower(QObject):
    """The follow part. From the files part: ``show_loaded(path, loaded)`` opens a version as a new
    model, ``confirm_discard(what)`` asks before unsaved training goes; from the training part:
    ``show_history(rows)`` redraws the loss curves."""

    following = Signal(bool)
    version_loaded = Signal(int)  # epochs in the version just shown

    def __init__(self, app, training_state, files, show_history, in_use=lambda: False):
        """``in_use()``: True while something computes with the shown model (an evaluation): a new
        version waits until it is done, so that no figure mixes two versions."""
        super().__init__(app.window)
        self._in_use = in_use
        self.session, self.training_state = app.session, training_state
        self._show_loaded, self._confirm_discard = files.show_loaded, files.confirm_discard
        self._show_history, self.status, self.jobs = show_history, app.status, app.jobs
        self.path: str | None = None
        self.versions = 0
        self._seen = None  # (inode, size, mtime) of the version shown
        self._unreadable = None  # ... of the last version that could not be read (not read again)
        self._reading = None  # ... of the version a job reads now
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._changed)
        self._watcher.directoryChanged.connect(self._changed)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self.check)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.check)
        self.session.changed.connect(self._session_changed)
        training_state.changed.connect(self._training_changed)

    # -- starting and stopping ------------------------------------------------------------
    def toggle(self, checked: bool) -> None:
        """The checkable action: ask for a model file and follow it; unchecked, stop."""
        if not checked:
            self.stop("as asked")
            return
        path, _ = QFileDialog.getOpenFileName(cast(QWidget, self.parent()), "Follow model file", "", MODEL_FILTER)
        if path and (not self.session.dirty or self._confirm_discard("Follow a model file")):
            self.follow(path)
        else:
            self.following.emit(False)  # the action unchecks itself

    def follow(self, path: str) -> None:
        self.stop()
        self.path, self.versions, self._seen, self._unreadable = os.path.abspath(path), 0, None, None
        if os.path.isdir(os.path.dirname(self.path)):
            self._watcher.addPath(os.path.dirname(self.path))
        self._poll.start()
        self.following.emit(True)
        self.status(f"Following {self.path}: waiting for a version…")
        self.check()

    def stop(self, why: str = "") -> None:
        if self.path is None:
            return
        paths = self._watcher.files() + self._watcher.directories()
        if paths:
            self._watcher.removePaths(paths)
        self._poll.stop()
        self.path = None
        self.following.emit(False)
        if why:
            self.status(f"Stopped following: {why}", 8000)

    def _training_changed(self, *_) -> None:
        if self.training_state.busy:
            self.stop("a training started")

    def _session_changed(self, names) -> None:
        if self.path is None:
            return
        if "tf_ready" in names:
            self.check()
        elif "path" in names and self.session.path not in (None, self.path):
            self.stop("the model shown is now another file")

    # -- versions -------------------------------------------------------------------------
    def _changed(self, _path: str) -> None:
        self._settle.start()

    def check(self) -> None:
        """Start reading the file if a version not yet shown (nor found unreadable) is there."""
        if self.path is None or not self._free():
            return
        folder = os.path.dirname(self.path)
        if os.path.isdir(folder) and folder not in self._watcher.directories():
            self._watcher.addPath(folder)  # a folder that did not exist when following began
        if os.path.exists(self.path) and self.path not in self._watcher.files():
            self._watcher.addPath(self.path)  # again, after os.replace
        signature = _signature(self.path)
        if signature is None or signature in (self._seen, self._unreadable):
            return
        self._reading, path, shown = signature, self.path, (self.session.model, self.session.config)
        self.jobs.run(
            lambda: read_version(path, *shown),
            lambda read: self._read(path, signature, read),
            lambda exc: self._unreadable_version(path, signature, exc),
        )

    def _free(self) -> bool:
        """Whether a version may be read now: no read running, nothing computing with the model."""
        return self._reading is None and self.session.tf_ready and not self.training_state.busy and not self._in_use()

    def _read(self, path: str, signature, read) -> None:
        self._reading = None
        if path != self.path or not self._free():  # stopped, or busy meanwhile: the poll reads it again
            return
        self._seen = signature
        self._show(path, *read)

    def _unreadable_version(self, path: str, signature, exc: BaseException) -> None:
        """A copy in progress, not a model: say so, keep the version shown."""
        self._reading = None
        if path != self.path:
            return
        self._unreadable = signature
        problem = exc.problem if isinstance(exc, UserError) else str(exc) or type(exc).__name__
        kept = "the last good version stays" if self.versions else "waiting for a readable one"
        self.status(f"Following {os.path.basename(path)}: this version cannot be read ({problem}); {kept}", 15000)

    def _show(self, path: str, loaded, space) -> None:
        s = self.session
        if s.path == path and _same_model(s.model, s.config, loaded):
            _copy_weights(loaded.model, s.model)
            changes = dict(config=loaded.config, history=list(loaded.history), dirty=False)
            s.update(**changes, **({"codes": loaded.latent} if loaded.latent is not None else {}))
            if loaded.latent is None:
                s.encode_held_out()
            self._show_history(s.history)
        else:
            self._show_loaded(path, loaded, space)
        self.versions += 1
        epochs = len(loaded.history)
        self.status(
            f"Following {os.path.basename(path)}: version {self.versions}, "
            f"{epochs} epoch{'s' if epochs != 1 else ''}, loaded {time.strftime('%H:%M:%S')}"
        )
        self.version_loaded.emit(epochs)


def read_version(path: str, shown_model, shown_config):
    """A version of the followed file, and its ``LatentSpace`` traced when it opens as a new
    model (None when its weights go into the model shown); on a worker thread."""
    return read_model(path, new_space=lambda loaded: not _same_model(shown_model, shown_config, loaded))


def _signature(path: str):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _same_model(shown, config, loaded) -> bool:
    """The new version is the shown model with new weights: the same config in every setting
    (loss, β, architecture, optimiser settings; the number of epochs planned aside, which a
    resumed run changes), not only the same variable shapes."""
    planned = {**config.to_dict(), "epochs": 0} if config is not None else None
    if shown is None or planned != {**loaded.config.to_dict(), "epochs": 0}:
        return False
    return [tuple(v.shape) for v in shown.variables] == [tuple(v.shape) for v in loaded.model.variables]


def _copy_weights(source, target) -> None:
    """Every variable, including BatchNorm statistics and the sampler's seed state."""
    for mine, theirs in zip(target.variables, source.variables, strict=True):
        mine.assign(theirs)
