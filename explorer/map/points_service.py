"""Which images the map shows (``MapState.which``) turned into ``MapState.points``.

The held-out codes come with the model (and with each epoch of a training); the training images
are encoded here, off the GUI thread, whenever the codes change and the map shows them: 60,000
images take about a second. When the user asks for them the encoding says what it is doing and
can be cancelled; during a training it runs quietly after each epoch, and a newer epoch's codes
replace a request still waiting. Without the model's training images (another dataset is
loaded, or none) the map says so and shows the held-out images.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject

from vae_explorer.explorer.context import AppContext
from vae_explorer.explorer.core.progress import check
from vae_explorer.explorer.map.state import MapState
from vae_explorer.trainer.maps.points import MapPoints, choose_points

ENCODE_CHUNK = 5000


class PointsService(QObject):
    def __init__(self, app: AppContext, state: MapState, training: Any = lambda: False) -> None:
        """``training()`` says whether a training runs (its epochs re-encode without a dialog)."""
        super().__init__(app.window)
        self.app, self.session, self.state, self.training = app, app.session, state, training
        self._busy_for: object = None  # the codes whose training images are being encoded
        self._waiting = False  # newer codes arrived meanwhile
        self.state.changed.connect(lambda names: self.update() if "which" in names else None)
        # the session's changes reach ``update`` through the map part, after it has reset itself

    def update(self) -> None:
        s, which = self.session, self.state.which
        codes = s.codes
        if codes is None or s.model is None:
            self.state.points = None
            return
        held_out = (codes.means, codes.log_vars, codes.labels)
        if which == "held-out":
            self.state.points = choose_points("held-out", held_out)
            return
        if self._training_images() is None:
            self.app.status("The map shows the held-out images: the model's training images are not loaded", 10000)
            self.state.points = choose_points("held-out", held_out)
            return
        self._encode(codes, which)

    def _training_images(self) -> np.ndarray | None:
        s = self.session
        x_train = getattr(s.dataset, "x_train", None)
        if x_train is None or s.held_out_images() is None:  # not the model's dataset
            return None
        return x_train

    def _encode(self, codes: Any, which: str) -> None:
        if self._busy_for is not None:
            self._waiting = True  # the newest codes are encoded when this one ends
            return
        self._busy_for, space, x_train = codes, self.session.space, self._training_images()
        assert x_train is not None  # checked by ``update``
        held, y_train = (codes.means, codes.log_vars, codes.labels), self.session.dataset.y_train

        def work(progress: Any, should_stop: Any) -> MapPoints:
            """Encoded and joined into the map's points off the GUI thread."""
            return choose_points(which, held, (*encoded(space, x_train, progress, should_stop), y_train))

        def done(points: MapPoints) -> None:
            self._finished()
            if codes is self.session.codes and which == self.state.which:
                self.state.points = points
                self._say_sample(points)

        if self.training():
            self.app.jobs.run(lambda: work(lambda *a: None, lambda: False), done, self._failed)
        else:
            self.app.jobs.run_with_progress("Encoding the training images", work, done, self._failed, self._finished)

    def _finished(self) -> None:
        self._busy_for = None
        if self._waiting:
            self._waiting = False
            self.update()

    def _failed(self, error: BaseException) -> None:
        self._finished()
        self.app.errors.report("Cannot encode the training images", error)

    def _say_sample(self, points: MapPoints) -> None:
        if points.sample is not None:
            self.app.status(f"The map shows {points.describe()}", 15000)


def encoded(space: Any, x: np.ndarray, progress: Any, should_stop: Any) -> tuple[np.ndarray, np.ndarray]:
    """(means, log-variances) of ``x`` in chunks, saying how far it got; Cancel stops between chunks."""
    means, log_vars = [], []
    for start in range(0, len(x), ENCODE_CHUNK):
        check(should_stop)
        progress(start, len(x), "images")
        m, v = space.encode(x[start : start + ENCODE_CHUNK])
        means.append(m)
        log_vars.append(v)
    progress(len(x), len(x), "images")
    return np.concatenate(means), np.concatenate(log_vars)
