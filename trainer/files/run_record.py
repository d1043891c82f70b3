"""A run record, one plain JSON file per training run, read without trusting it.

What a record holds: the config, the dataset, the per-epoch history, the final held-out figures,
the wall time, the package versions, when it started and how it ended, any likelihood figures
``eval --iw`` computed afterwards, and the record of the run it continued (``parent``). Every
field is checked for the type its readers rely on when a record is read: a damaged record (a
field of another type, a wall time of ``Infinity``, JSON nested a thousand deep, a huge file) is
one ``UserError`` naming the file, and listing skips it with a warning, never fatally.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.files.atomic import atomic_path

RECORD_SUFFIX = ".run.json"
FORMAT_NAME = "vae-explorer-run"
FORMAT_VERSION = 1
MAX_RECORD_BYTES = 64 << 20  # a 10,000-epoch history is a few MB; more is not a record of ours
REQUIRED = ("started", "status", "model_path", "config", "dataset")
TEXT = ("started", "status", "model_path", "message")
MAPPINGS = ("config", "dataset", "final", "versions")
OPTIONAL_TEXT = ("tensorboard", "resumed_from", "parent")
LISTS_OF_MAPPINGS = ("history", "likelihood")


@dataclass
class RunRecord:
    """One training run. ``path`` is where the record lives (not stored in the file)."""

    started: str
    status: str
    model_path: str
    config: dict
    dataset: dict
    history: list = field(default_factory=list)
    final: dict = field(default_factory=dict)
    wall_time: float | None = None
    message: str = ""
    versions: dict = field(default_factory=dict)
    likelihood: list = field(default_factory=list)
    tensorboard: str | None = None
    resumed_from: str | None = None
    parent: str | None = None  # the record of the run this one continued, kept under another name
    path: str = field(default="", compare=False)
    clock: float = field(default=0.0, compare=False, repr=False)  # monotonic start, this process only

    def to_dict(self) -> dict:
        d = asdict(self)
        del d["path"], d["clock"]
        return {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **d}

    def latest_likelihood(self) -> dict | None:
        """The most recent ``eval --iw`` figures, or None."""
        return self.likelihood[-1] if self.likelihood else None

    def add_likelihood(self, figures: dict) -> None:
        """Keep ``figures``; an earlier entry for the same K, data and likelihood is replaced."""
        key = ("iw_k", "likelihood", "data", "n", "seed")
        self.likelihood = [f for f in self.likelihood if [f.get(k) for k in key] != [figures.get(k) for k in key]]
        self.likelihood.append(dict(figures))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def field_problem(values: dict) -> str | None:
    """The first field of a record whose value is not of the type its readers rely on."""
    kinds: list[tuple[tuple[str, ...], Any]] = [
        (TEXT, lambda v: isinstance(v, str)),
        (MAPPINGS, lambda v: isinstance(v, dict)),
        (OPTIONAL_TEXT, lambda v: v is None or isinstance(v, str)),
        (LISTS_OF_MAPPINGS, lambda v: isinstance(v, list) and all(isinstance(item, dict) for item in v)),
        (("wall_time",), lambda v: v is None or (_is_number(v) and math.isfinite(v) and v >= 0)),
    ]
    for names, ok in kinds:
        for name in names:
            if name in values and not ok(values[name]):
                return f"a malformed '{name}'"
    if not all(_is_number(v) for v in values.get("final", {}).values()):
        return "a malformed 'final' (a figure that is not a number)"
    return None


def record_from_dict(data: Any, path: str) -> RunRecord:
    """A RunRecord from parsed JSON, or a UserError naming ``path`` and what is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise UserError("is not a vae-explorer run record", path)
    version = data.get("format_version")
    if not _is_number(version) or not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise UserError(f"is a run record of an unknown format version ({version!r:.20})", path)
    known = {f.name for f in fields(RunRecord)} - {"path", "clock"}
    values = {k: v for k, v in data.items() if k in known}
    problem = field_problem(values)
    if problem:
        raise UserError(f"has {problem} in its run record", path)
    missing = [name for name in REQUIRED if name not in values]
    if missing:
        raise UserError(f"lacks the run record field(s) {', '.join(missing)}", path)
    return RunRecord(**values, path=path)


def now_utc() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def record_path(model_path: str, runs_dir: str | None = None, started: str | None = None) -> str:
    """``MODEL.h5.run.json`` beside the model, or ``DIR/MODEL-<start time>.run.json``."""
    if runs_dir is None:
        return os.fspath(model_path) + RECORD_SUFFIX
    stamp = (started or now_utc())[:19].replace(":", "").replace("-", "")
    base = os.path.join(runs_dir, f"{os.path.basename(model_path)}-{stamp}")
    candidate, n = base + RECORD_SUFFIX, 1
    while os.path.exists(candidate):
        n += 1
        candidate = f"{base}-{n}{RECORD_SUFFIX}"
    return candidate


def write_record(record: RunRecord, path: str | None = None) -> str:
    """Write ``record`` atomically to ``path`` (default: its own ``path``); return the path."""
    path = os.fspath(path or record.path)
    text = json.dumps(record.to_dict(), indent=1)
    with atomic_path(path, ".json") as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    record.path = path
    return path


def read_record(path: str | os.PathLike) -> RunRecord:
    """Read one record; a missing, unreadable, oversized or malformed file is a one-line UserError."""
    path = os.fspath(path)
    try:
        if os.path.getsize(path) > MAX_RECORD_BYTES:
            raise UserError(f"is {os.path.getsize(path) >> 20} MB: too large for a run record", path)
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise UserError("no such file", path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot be read ({getattr(exc, 'strerror', None) or exc})", path) from None
    except json.JSONDecodeError as exc:
        raise UserError(f"is not valid JSON (line {exc.lineno}: {exc.msg})", path) from None
    except RecursionError:
        raise UserError("is not a run record (JSON nested too deeply)", path) from None
    return record_from_dict(data, path)
