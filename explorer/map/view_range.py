"""The map's zoom and pan as state: ``ViewState.view_range`` follows the view box, and back.

pyqtgraph keeps the visible range inside its ``ViewBox``; a session file and undo need it in the
state object like every other setting. A drag or a run of wheel steps is one gesture: the range
is written once, when no manual change has come for ``GESTURE_END_MS`` and no mouse button is
held, so that undo takes back a whole zoom, not one wheel tick. A range set from elsewhere (a
session opened, an undo) is applied to the view; None is "fit the points", as after a new model.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication

from vae_explorer.explorer.map.state import ViewState

GESTURE_END_MS = 300
TOLERANCE = 1e-9  # of the range's width: what counts as the same range


class ViewRangeSync(QObject):
    """Keeps ``state.view_range`` and ``latent_map``'s view box equal; ``session`` resets it."""

    def __init__(self, latent_map, state: ViewState, session, parent: QObject):
        super().__init__(parent)
        self.vb, self.state = latent_map.getViewBox(), state
        self._applying = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(GESTURE_END_MS)
        self._timer.timeout.connect(self._gesture_ended)
        self.vb.sigRangeChangedManually.connect(lambda *_: self._timer.start())
        self.vb.sigRangeChanged.connect(self._fitted)
        state.changed.connect(lambda names: self.apply() if "view_range" in names else None)
        session.changed.connect(lambda names: self._new_model() if "model" in names else None)

    def current(self) -> tuple[tuple[float, float], tuple[float, float]]:
        (x0, x1), (y0, y1) = self.vb.viewRange()
        return (float(x0), float(x1)), (float(y0), float(y1))

    def _gesture_ended(self) -> None:
        """Write the range once the user has let go (a drag still held waits)."""
        if QApplication.mouseButtons() != Qt.MouseButton.NoButton:
            self._timer.start()
            return
        self.state.view_range = self.current()

    def _fitted(self, *_) -> None:
        """*Fit plots to data* (Ctrl+0) hands the range back to the points: the state says so."""
        if not self._applying and self.state.view_range is not None and all(self.vb.autoRangeEnabled()):
            self.state.view_range = None

    def _new_model(self) -> None:
        """A new model's map is fitted to its points: no range of the old one stays."""
        self._timer.stop()
        self.state.view_range = None

    def apply(self) -> None:
        """Show ``state.view_range`` (None: fit the points), unless the view already does."""
        wanted = self.state.view_range
        if wanted is None:
            self.vb.enableAutoRange()
            return
        if not self.same(wanted, self.current()):
            self._applying = True  # setRange passes through auto-range itself: that is not a fit
            try:
                self.vb.setRange(xRange=wanted[0], yRange=wanted[1], padding=0)
            finally:
                self._applying = False

    @staticmethod
    def same(a, b) -> bool:
        pairs = [(p, q, abs(r[1] - r[0])) for r, s in zip(a, b, strict=True) for p, q in zip(r, s, strict=True)]
        return all(abs(p - q) <= TOLERANCE * max(1.0, width) for p, q, width in pairs)
