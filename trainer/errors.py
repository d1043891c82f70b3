"""Errors a user can cause, each rendered as one line that names the file and the problem.

The command line prints ``str(error)`` and exits 2; the app shows it in a dialog. Anything
that is *not* a ``UserError`` is a bug in vae-explorer and may carry a traceback.
"""

from __future__ import annotations

import os


class UserError(Exception):
    """A problem with the user's input: a file, a dataset, an option."""

    def __init__(self, problem: str, path: str | os.PathLike | None = None):
        self.path = None if path is None else os.fspath(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


class DatasetError(UserError):
    """A dataset cannot be read or is not usable for training."""


class ModelFileError(UserError):
    """A model file cannot be read, is not ours, or does not match its own config."""


class ImageFileError(UserError):
    """An image the user brought to encode (a dropped or opened PNG/JPEG) cannot be read."""
