"""What every part of the window is given, in one object instead of six positional arguments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow

from vae_explorer.explorer.core.errors import ErrorSink
from vae_explorer.explorer.core.jobs import BackgroundJobs
from vae_explorer.explorer.core.session import Session


@dataclass
class AppContext:
    """The window, the session every part works on, and the window's services.

    ``status(text, msecs=0)`` shows a line in the status bar (0: until the next one); ``jobs``
    runs a function off the GUI thread; ``errors`` turns a failure into one clear line.
    """

    window: QMainWindow
    session: Session
    settings: QSettings
    jobs: BackgroundJobs
    errors: ErrorSink
    status: Callable[..., None]

    def parented(self) -> Any:
        """The QObject that parts hang their Qt children on (the window)."""
        return self.window
