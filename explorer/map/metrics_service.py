"""Per-image reconstruction loss and KL of the held-out images, computed in the background.

Scoring 2,000 images is one encode and one decode of all of them (tens of milliseconds to a
few tenths of a second on a CPU, more for big images), too long for the GUI thread; so is
tracing the graph that does it (0.2-0.3 s the first time per model). Both run on the window's
background jobs. Figures that arrive for codes that are no longer the session's (an epoch ended
meanwhile) are dropped and asked for again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from vae_explorer.trainer.latent.per_image import PerImageLosses


class MetricsService(QObject):
    """``ready(codes, PerImageMetrics)`` on the GUI thread; ``failed(text)``; ``busy(on)``."""

    ready = Signal(object, object)
    failed = Signal(str)
    busy = Signal(bool)

    def __init__(self, session, jobs, parent: QObject):
        super().__init__(parent)
        self.session, self.jobs = session, jobs
        self._scorer: tuple[Any, PerImageLosses] | None = None  # (model, its scorer), built on a job's thread
        self._pending = None  # the codes being scored
        self._wanted = None  # codes asked for while another job ran

    @property
    def computing(self) -> bool:
        return self._pending is not None

    def request(self) -> None:
        """Score the session's held-out images for its current codes (once; later asks wait)."""
        codes, images, model = self.session.codes, self.session.held_out_images(), self.session.model
        if codes is None or images is None or model is None or codes is self._pending:
            return
        if self._pending is not None:
            self._wanted = codes
            return
        self._pending = codes
        self.busy.emit(True)
        self.jobs.run(lambda: self._scorer_for(model)(images), lambda metrics: self._done(codes, metrics), self._failed)

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
        if metrics is not None and codes is self.session.codes:
            self.ready.emit(codes, metrics)
        elif self._wanted is None:
            self._wanted = self.session.codes
        self._again()

    def _failed(self, error) -> None:
        self._pending = None
        self.busy.emit(False)
        self.failed.emit(f"per-image losses could not be computed: {error}")
        self._again()

    def _again(self) -> None:
        wanted, self._wanted = self._wanted, None
        if wanted is not None and wanted is self.session.codes:
            self.request()
