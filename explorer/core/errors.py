"""One place where every failure the user should hear about ends: a dialog with one clear line.

Workers emit the exception object itself (its type and traceback intact); ``ErrorSink``
decides how it reads. A ``UserError`` is the user's input (a bad file, a wrong setting): its
message already names the file and the problem. Anything else is a bug: its traceback goes
to stderr for the report, and the dialog says what happened in one line, never a traceback.
"""

from __future__ import annotations

import sys
import traceback

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from vae_explorer.trainer.errors import UserError


def error_text(error: BaseException | str) -> str:
    """The line the user reads for ``error``."""
    if isinstance(error, str):
        return error
    if isinstance(error, UserError):
        return str(error)
    return f"unexpected error: {type(error).__name__}: {error}"


class ErrorSink(QObject):
    """Shows errors as warning dialogs; ``reported(title, text)`` lets the status bar follow."""

    reported = Signal(str, str)

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self._parent = parent

    def report(self, title: str, error: BaseException | str) -> None:
        if isinstance(error, BaseException) and not isinstance(error, UserError):
            traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
        text = error_text(error)
        self.reported.emit(title, text)
        QMessageBox.warning(self._parent, title, text)

    def reporter(self, title: str):
        """``report`` with the title filled in: a ready ``on_error`` callback."""
        return lambda error: self.report(title, error)
