"""Writing a file so that a crash or kill at any moment leaves either the old file or the new one.

Every file vae-explorer writes (models, PNGs, CSVs, ``.keras`` exports, run records) goes through
``atomic_path``: the data lands in a hidden temporary file beside the target, is fsynced, and
is moved over the target with ``os.replace``. The file gets the mode a plain ``open`` would have
given it (the user's umask), or keeps the mode of the file it replaces: ``mkstemp`` alone makes
every file 0600. A process killed mid-write leaves only that
temporary file behind; it is named after the writing process (``.tmp-<pid>-…``) so that a later
save into the same folder can recognise it as abandoned and remove it.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from vae_explorer.trainer.errors import UserError

# A temporary file this old whose writer is gone is abandoned. The age guard protects a save in
# progress by another machine writing to a shared folder, whose pid means nothing here.
STALE_AFTER_SECONDS = 600
_UMASK_LOCK = threading.Lock()
_TEMP_NAME = re.compile(r"^\.tmp-(\d+)-[^/]*\.(h5|keras|png|csv|json|tsv|pbtxt)$")


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # exists but is not ours, or not a pid we can ask about: leave it
    return True


def sweep_abandoned_temps(folder: str, now: float | None = None) -> list[str]:
    """Delete the temporary files that killed writers left in ``folder``; return their names.

    Only files named like ours, written by a process that no longer runs, and untouched for
    ``STALE_AFTER_SECONDS`` are removed; any error just leaves a file where it is.
    """
    now = time.time() if now is None else now
    removed: list[str] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        match = _TEMP_NAME.match(name)
        if not match or int(match.group(1)) == os.getpid() or _process_alive(int(match.group(1))):
            continue
        path = os.path.join(folder, name)
        try:
            if now - os.lstat(path).st_mtime < STALE_AFTER_SECONDS:
                continue
            os.unlink(path)
        except OSError:
            continue
        removed.append(name)
    return removed


def current_umask() -> int:
    """The process's umask: from /proc where there is one, else by setting it back at once."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def final_mode(path: str) -> int:
    """The mode the written file should have: the replaced file's, else 0666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~current_umask()


@contextmanager
def atomic_path(path: str, suffix: str) -> Iterator[str]:
    """Yield a temporary path beside ``path``; on success fsync it and move it into place."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".tmp-{os.getpid()}-", suffix=suffix, dir=folder)
    except OSError as exc:
        raise UserError(f"cannot write here ({exc.strerror or exc})", path) from None
    os.close(fd)
    sweep_abandoned_temps(folder)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, final_mode(path))
        os.replace(tmp, path)
        _fsync_dir(folder)
    except OSError as exc:
        raise UserError(f"cannot be written ({exc.strerror or exc}); the previous file is intact", path) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
