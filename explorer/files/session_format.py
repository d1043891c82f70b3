"""Session files: what the window showed, to be opened again exactly (File ▸ Save session…).

A session is a small JSON file that refers to the model file instead of copying it::

    {
      "format": "vae-explorer-session",
      "version": 1,
      "model": {"path": "models/m.h5", "sha256": "…"} or null,
      "dataset": "embedded" or "data/small.npz" or null,
      "states": {"map": {"layout": "pca", "ends": {"A": {"ndarray": …}}, …}, "view": {…}, …},
      "tab": "Interpolate" or null,
      "runs": ["/…/runs/m.h5.run.json", …]
    }

Paths are relative to the session file when they can be (a folder of a session and its model
moves as one), absolute otherwise. ``sha256`` is the model file's checksum when the session was
saved: a model rewritten since is said, and what still applies is opened. ``states`` holds, per
state object, the values of its ``SAVED`` fields (``session_values`` says how arrays, tuples and
sets are written and what each field may hold). Reading is strict and complete before anything
is used: a file that is not a session, of a newer version, or with any value of the wrong type
gives one ``SessionFileError`` line naming the file and the problem. No Qt here.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

from vae_explorer.explorer.files.session_values import SCHEMA, decode, encode
from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.files.atomic import atomic_path

FORMAT, VERSION = "vae-explorer-session", 1
EMBEDDED = "embedded"
MAX_BYTES = 64 * 2**20  # a session of 100,000 selected images is about 1 MB
REQUIRED = ("format", "version", "model", "states")
OPTIONAL = ("dataset", "tab", "runs")


class SessionFileError(UserError):
    """A session file that cannot be read, is not a session, or holds a value it may not."""


@dataclass
class SessionFile:
    """A session as read: paths made absolute, values decoded and checked."""

    model_path: str | None = None  # the model file (absolute), or None: no model was shown
    model_sha256: str = ""
    dataset: str | None = None  # EMBEDDED, an absolute path, or None
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    tab: str | None = None
    runs: tuple[str, ...] = ()


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _relative(path: str, folder: str) -> str:
    """``path`` relative to ``folder`` when it can be (on Windows not across drives)."""
    try:
        return os.path.relpath(path, folder)
    except ValueError:
        return os.path.abspath(path)


def write_session(path: str, session: SessionFile) -> None:
    """Write ``session`` to ``path`` atomically; a value that cannot be kept is a SessionFileError."""
    folder = os.path.dirname(os.path.abspath(path))
    model = None
    if session.model_path:
        model = {"path": _relative(session.model_path, folder), "sha256": session.model_sha256}
    dataset = session.dataset
    if dataset not in (None, EMBEDDED):
        dataset = _relative(dataset, folder)
    try:
        states = {name: {k: encode(v) for k, v in values.items()} for name, values in session.states.items()}
    except ValueError as exc:
        raise SessionFileError(f"cannot be written: {exc}", path) from None
    data = {"format": FORMAT, "version": VERSION, "model": model, "dataset": dataset, "states": states}
    data.update(tab=session.tab, runs=list(session.runs))
    try:
        with atomic_path(path, ".json") as tmp, open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, allow_nan=False)
    except OSError as exc:
        raise SessionFileError(f"cannot be written: {exc.strerror or exc}", path) from None


def read_session(path: str) -> SessionFile:
    """The session in ``path``, checked through; else one SessionFileError line."""
    data = _load_json(path)
    try:
        return _parse(data, os.path.dirname(os.path.abspath(path)))
    except (ValueError, TypeError) as exc:
        raise SessionFileError(str(exc), path) from None


def _load_json(path: str) -> dict:
    try:
        if os.path.getsize(path) > MAX_BYTES:
            raise SessionFileError(f"is larger than {MAX_BYTES // 2**20} MB: not a session file", path)
        with open(path, "rb") as f:
            data = json.loads(f.read().decode("utf-8"), parse_constant=_no_constant)
    except OSError as exc:
        raise SessionFileError(f"cannot be read: {exc.strerror or exc}", path) from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise SessionFileError("is not a session file (not JSON text)", path) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionFileError(f'is not a session file (no "format": "{FORMAT}")', path)
    return data


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _parse(data: dict, folder: str) -> SessionFile:
    version = data.get("version")
    if type(version) is not int or version < 1:
        raise ValueError(f"has no valid format version ({version!r})")
    if version > VERSION:
        raise ValueError(f"was written by a newer vae-explorer (session version {version}; this one reads {VERSION})")
    missing = [k for k in REQUIRED if k not in data]
    unknown = [k for k in data if k not in REQUIRED + OPTIONAL]
    if missing or unknown:
        raise ValueError(f"has {'no ' + repr(missing[0]) if missing else 'an unknown entry ' + repr(unknown[0])}")
    model_path, sha = _model(data["model"], folder)
    dataset, states = _dataset(data.get("dataset"), folder), _states(data["states"])
    return SessionFile(model_path, sha, dataset, states, _tab(data.get("tab")), _runs(data.get("runs", [])))


def _model(model: Any, folder: str) -> tuple[str | None, str]:
    if model is None:
        return None, ""
    if not isinstance(model, dict) or set(model) != {"path", "sha256"}:
        raise ValueError('"model" is not {"path": …, "sha256": …}')
    path, sha = model["path"], model["sha256"]
    if not isinstance(path, str) or not path or "\0" in path:
        raise ValueError('"model" has no valid path')
    if not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise ValueError('"model" has no valid sha256')
    return os.path.normpath(os.path.join(folder, path)), sha


def _dataset(dataset: Any, folder: str) -> str | None:
    if dataset is None or dataset == EMBEDDED:
        return dataset
    if not isinstance(dataset, str) or not dataset or "\0" in dataset:
        raise ValueError('"dataset" is neither "embedded" nor a path')
    return os.path.normpath(os.path.join(folder, dataset))


def _states(states: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(states, dict):
        raise ValueError('"states" is not an object')
    out: dict[str, dict[str, Any]] = {}
    for name, values in states.items():
        schema = SCHEMA.get(name)
        if schema is None:
            raise ValueError(f'"states" has an unknown part {name!r}')
        if not isinstance(values, dict):
            raise ValueError(f"the {name} state is not an object")
        out[name] = {key: _value(name, schema, key, raw) for key, raw in values.items()}
    return out


def _value(part: str, schema: dict, key: str, raw: Any) -> Any:
    check = schema.get(key)
    if check is None:
        raise ValueError(f"the {part} state has an unknown field {key!r}")
    try:
        value = decode(raw)
    except ValueError as exc:
        raise ValueError(f"{part}.{key}: {exc}") from None
    problem = check(value)
    if problem is not None:
        raise ValueError(f"{part}.{key} is not {problem}")
    return value


def _tab(tab: Any) -> str | None:
    if tab is not None and not (isinstance(tab, str) and len(tab) <= 100):
        raise ValueError('"tab" is not a tool name')
    return tab


def _runs(runs: Any) -> tuple[str, ...]:
    if not isinstance(runs, list) or not all(isinstance(r, str) and r and "\0" not in r for r in runs):
        raise ValueError('"runs" is not a list of run record paths')
    return tuple(runs)


def what_applies(states: dict, latent_dim: int, n_points: int, n_epochs: int) -> tuple[dict, list[str]]:
    """The saved values that fit the model now open, and the names of those left out (a model
    rewritten since the session was saved may have another latent size or other images)."""
    fits = {
        "current": lambda v: v is None or len(v) == latent_dim,
        "ends": lambda v: all(len(z) == latent_dim for z in v.values()),
        "dims": lambda v: max(v) < latent_dim,
        "current_index": lambda v: v is None or v < n_points,
        "selection": lambda v: not len(v) or int(v.max()) < n_points,
        "shown_epoch": lambda v: v is None or v < n_epochs,
    }
    kept: dict[str, dict] = {}
    left_out: list[str] = []
    for part, values in states.items():
        kept[part] = {k: v for k, v in values.items() if k not in fits or fits[k](v)}
        left_out += [f"{part}.{k}" for k in values if k not in kept[part]]
    return kept, left_out
