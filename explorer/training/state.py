"""What the training part is doing, as one observable object, and a clock that skips pauses.

``TrainingState`` is what the actions, the panel and the close path read: idle, preparing
(building and compiling on the GUI thread), running or paused, and whether a Stop was asked.
``ActiveClock`` is Qt-free: it measures only the time the training was not paused, so the
ETA shown does not grow while the user has paused.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal


class TrainingState(QObject):
    """``changed`` after every change; the fields are read-only outside the training part."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.preparing = False  # a Trainer is being built: no second Start may begin
        self.running = False  # a training thread exists (also while paused or stopping)
        self.paused = False
        self.stopping = False

    @property
    def busy(self) -> bool:
        """Preparing or running: nothing that changes the model may start."""
        return self.preparing or self.running

    def set(self, **fields) -> None:
        for name, value in fields.items():
            if not hasattr(self, name) or name in ("changed", "busy"):
                raise AttributeError(name)
            setattr(self, name, value)
        self.changed.emit()


class ActiveClock:
    """Seconds spent running, pauses left out; and the ETA that follows from a progress."""

    def __init__(self, now=time.monotonic):
        self._now = now
        self._active = 0.0
        self._since: float | None = None

    def start(self) -> None:
        self._active, self._since = 0.0, self._now()

    def pause(self) -> None:
        if self._since is not None:
            self._active += self._now() - self._since
            self._since = None

    def resume(self) -> None:
        if self._since is None:
            self._since = self._now()

    @property
    def active_seconds(self) -> float:
        return self._active + (self._now() - self._since if self._since is not None else 0.0)

    def eta(self, progress: float) -> float:
        """Seconds left at ``progress`` (0..1), at the pace of the time spent running."""
        if progress <= 0:
            return 0.0
        return self.active_seconds / progress * (1.0 - progress)
