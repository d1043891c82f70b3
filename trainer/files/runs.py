"""Run records: one plain JSON file per training run, so runs can be listed and compared later.

A model file says what a model is; a run record says how it came about and how it scored:
the config, the dataset, the per-epoch history, the final held-out figures, the wall time, the
package versions, when it started and how it ended, and any likelihood figures ``eval --iw``
computed afterwards. The command line keeps each record beside its model (``m.h5.run.json``)
or in a ``--runs-dir``; the app keeps its own in its data folder (``explorer.runs``) with the same
functions. Nothing here imports Qt or TensorFlow; records are written atomically and a
damaged record is skipped with a warning when listing, never fatal.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import time
from dataclasses import asdict, dataclass, field, fields

from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.files.atomic import atomic_path

RECORD_SUFFIX = ".run.json"
FORMAT_NAME = "vae-explorer-run"
FORMAT_VERSION = 1
UNSAVED_NAME = "run"  # names the record of a run whose model has no file yet


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


def record_from_dict(data, path: str) -> RunRecord:
    """A RunRecord from parsed JSON, or a UserError naming ``path`` and what is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise UserError("is not a vae-explorer run record", path)
    if not isinstance(data.get("format_version"), int) or data["format_version"] > FORMAT_VERSION:
        raise UserError(f"is a run record of an unknown format version ({data.get('format_version')!r:.20})", path)
    known = {f.name for f in fields(RunRecord)} - {"path", "clock"}
    values = {k: v for k, v in data.items() if k in known}
    kinds = {
        "started": str,
        "status": str,
        "model_path": str,
        "config": dict,
        "dataset": dict,
        "history": list,
        "final": dict,
        "likelihood": list,
    }
    for name, kind in kinds.items():
        if name in values and not isinstance(values[name], kind):
            raise UserError(f"has a malformed '{name}' in its run record", path)
    try:
        return RunRecord(**values, path=path)
    except TypeError:
        raise UserError("lacks a required field of a run record", path) from None


def now_utc() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def package_versions() -> dict:
    """The versions that decide what a run computes (TensorFlow is imported if not yet)."""
    import keras
    import numpy

    from vae_explorer.trainer import __version__
    from vae_explorer.trainer.tf_runtime import import_tensorflow

    return {
        "python": platform.python_version(),
        "tensorflow": import_tensorflow().__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
        "vae-explorer": __version__,
    }


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
    """Read one record; a missing, unreadable or malformed file is a one-line UserError."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise UserError("no such file", path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot be read ({getattr(exc, 'strerror', None) or exc})", path) from None
    except json.JSONDecodeError as exc:
        raise UserError(f"is not valid JSON (line {exc.lineno}: {exc.msg})", path) from None
    return record_from_dict(data, path)


def list_records(places) -> tuple[list[RunRecord], list[str]]:
    """Records in the given folders (``*.run.json``, not recursive) or record files, oldest
    first, and one warning per file that could not be read (those are skipped)."""
    records, warnings = [], []
    for place in places:
        for path in _record_files(os.fspath(place)):
            try:
                records.append(read_record(path))
            except UserError as exc:
                warnings.append(f"{exc} (skipped)")
    records.sort(key=lambda r: (r.started, r.path))
    return records, warnings


def _record_files(place: str) -> list[str]:
    if os.path.isfile(place):
        return [place]
    if not os.path.isdir(place):
        raise UserError("no such folder or record file", place)
    try:
        names = sorted(os.listdir(place))
    except OSError as exc:
        raise UserError(f"cannot be listed ({exc.strerror or exc})", place) from None
    return [os.path.join(place, n) for n in names if n.endswith(RECORD_SUFFIX) and not n.startswith(".")]


def start_run(model_path: str, config: dict, dataset: dict, runs_dir: str | None = None, **extra) -> RunRecord:
    """A ``running`` record for a run about to start, written at once (a crash leaves it so).
    ``model_path`` "" is a model not saved yet (the app's runs, in ``runs_dir``, named ``run-…``)."""
    started = now_utc()
    if runs_dir is not None:
        _make_folder(runs_dir)
    record = RunRecord(
        started=started,
        status="running",
        model_path=os.path.abspath(model_path) if model_path else "",
        config=dict(config),
        dataset=dict(dataset),
        versions=package_versions(),
        path=record_path(model_path or UNSAVED_NAME, runs_dir, started),
        clock=time.monotonic(),
        **extra,
    )
    write_record(record)
    return record


def _make_folder(folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot be created ({exc.strerror or exc})", folder) from None


FINAL_KEYS = ("val_neg_elbo", "val_loss", "val_reconstruction_loss", "val_kl_loss")


def finish_run(record: RunRecord, status: str, message: str, history: list) -> RunRecord:
    """Record how the run ended, its history and last held-out figures, and write it."""
    record.status, record.message = status, message
    record.history = json.loads(json.dumps(list(history)))
    record.final = {k: history[-1][k] for k in FINAL_KEYS if history and k in history[-1]}
    record.wall_time = round(time.monotonic() - record.clock, 3)
    write_record(record)
    return record


def same_history(a: list, b: list) -> bool:
    """Whether two histories are the same run's (compared as JSON text: NaN equals NaN)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def record_for_model(model_path: str, history: list, record: str | None = None) -> tuple[RunRecord | None, str | None]:
    """The run record ``eval`` should add figures to, and a warning: ``record`` if given (an
    unusable one is an error), else ``MODEL.run.json`` if it exists (an unusable one is skipped
    with the warning). A record of another run (its history differs from the model's) is unusable."""
    path = record or os.fspath(model_path) + RECORD_SUFFIX
    if record is None and not os.path.isfile(path):
        return None, None
    try:
        found = read_record(path)
        if not same_history(found.history, history):
            raise UserError(f"describes another training run than {model_path} (the histories differ)", path)
    except UserError as exc:
        if record is not None:
            raise
        return None, f"{exc}; the figures are not added to it"
    return found, None


def add_likelihood(record: RunRecord, figures: dict) -> str:
    """Keep ``eval --iw`` figures in ``record`` (stamped with the time) and rewrite it."""
    record.add_likelihood({**figures, "computed": now_utc()})
    return write_record(record)


def set_model_path(record: RunRecord, model_path: str) -> str:
    """The run's model was saved (again) to ``model_path``: say so in its record and rewrite it."""
    record.model_path = os.path.abspath(model_path)
    return write_record(record)


def delete_record(path: str) -> None:
    """Remove one run record (never the model file it names); a failure is a one-line UserError."""
    try:
        os.remove(path)
    except FileNotFoundError:
        return  # already gone: what the user asked for
    except OSError as exc:
        raise UserError(f"cannot be deleted ({exc.strerror or exc})", path) from None


def newest_with_history(records: list[RunRecord], history: list) -> RunRecord | None:
    """The newest of ``records`` whose history is ``history``: the run that made a model."""
    matches = [r for r in records if r.history and same_history(r.history, history)]
    return max(matches, key=lambda r: (r.started, r.path)) if matches else None
