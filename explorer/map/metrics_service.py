"""Per-image reconstruction loss and KL of the map's images, computed in the background.

Scoring 2,000 images is one encode and one decode of all of them (tens of milliseconds to a
few tenths of a second on a CPU, more for big images), too long for the GUI thread; so is
tracing the graph that does it (0.2-0.3 s the first time per model). Both run on the window's
background jobs. Figures that arrive for codes that are no longer the session's (an epoch ended
meanwhile) are dropped and asked for again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from vae_explorer.trainer.latent.per_image import PerImageLosses


class MetricsService(QObject):
    """``ready(codes, PerImageMetrics)`` on the GUI thread; ``failed(text)``; ``busy(on)``."""

    ready = Signal(object, object)
    failed = Signal(str)
    busy = Signal(bool)

    def __init__(self, session, jobs, points, parent: QObject):
        """``points()`` → the map's MapPoints, whose images are scored."""
        super().__init__(parent)
        self.session, self.jobs, self.points = session, jobs, points
        self._scorer: tuple[Any, PerImageLosses] | None = None  # (model, its scorer), built on a job's thread
        self._pending = None  # the codes being scored
        self._wanted = None  # codes asked for while another job ran

    @property
    def computing(self) -> bool:
        return self._pending is not None

    def request(self) -> None:
        """Score the images of the map's current points (once; later asks wait)."""
        points, model, session = self.points(), self.session.model, self.session
        if points is None or model is None or points is self._pending or session.point_images(points, [0]) is None:
            return
        if self._pending is not None:
            self._wanted = points
            return
        self._pending = points
        self.busy.emit(True)
        score = lambda: scored(self._scorer_for(model), lambda rows: session.point_images(points, rows), len(points))  # noqa: E731
        self.jobs.run(score, lambda metrics: self._done(points, metrics), self._failed)

    def _scorer_for(self, model):
        """The model's scoring graph, traced on the job's thread the first time (not the GUI's)."""
        from vae_explorer.trainer.latent.per_image import PerImageLosses

        scorer = self._scorer
        if scorer is None or scorer[0] is not model:
            scorer = self._scorer = (model, PerImageLosses(model))
        return scorer[1]

    def _done(self, codes, metrics) -> None:
        self._pending = None
        self.busy.emit(False)
        if metrics is not None and codes is self.points():
            self.ready.emit(codes, metrics)
        elif self._wanted is None:
            self._wanted = self.points()
        self._again()

    def _failed(self, error) -> None:
        self._pending = None
        self.busy.emit(False)
        self.failed.emit(f"per-image losses could not be computed: {error}")
        self._again()

    def _again(self) -> None:
        wanted, self._wanted = self._wanted, None
        if wanted is not None and wanted is self.points():
            self.request()


def scored(scorer, images_of, n: int, chunk: int = 5000):
    """Per-image figures of ``n`` points, their images fetched ``chunk`` at a time (70,000
    images are never copied at once)."""
    from vae_explorer.trainer.latent.per_image import PerImageMetrics

    parts = [scorer(images_of(np.arange(start, min(start + chunk, n)))) for start in range(0, n, chunk)]
    return PerImageMetrics(np.concatenate([p.reconstruction for p in parts]), np.concatenate([p.kl for p in parts]))
