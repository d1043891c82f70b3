"""Run records of training runs: started, finished, listed, matched with their model, kept.

A model file says what a model is; a run record (``files.run_record``) says how it came about and
how it scored. The command line keeps each record beside its model (``m.h5.run.json``) or in a
``--runs-dir``; the app keeps its own in its data folder with the same functions. Nothing here
imports Qt or TensorFlow; records are written atomically, an earlier record is never overwritten,
and a damaged record is skipped with a warning when listing, never fatal.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Iterable
from typing import Any

from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.files.run_record import (
    RECORD_SUFFIX,
    RunRecord,
    now_utc,
    read_record,
    record_from_dict,
    record_path,
    write_record,
)

__all__ = [
    "RECORD_SUFFIX",
    "RunRecord",
    "add_likelihood",
    "delete_record",
    "finish_run",
    "list_records",
    "newest_with_history",
    "now_utc",
    "read_record",
    "record_for_model",
    "record_from_dict",
    "record_path",
    "same_history",
    "set_model_path",
    "start_run",
    "write_record",
]

UNSAVED_NAME = "run"  # names the record of a run whose model has no file yet
FINAL_KEYS = ("val_neg_elbo", "val_loss", "val_reconstruction_loss", "val_kl_loss", "active_units")


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


def start_run(model_path: str, config: dict, dataset: dict, runs_dir: str | None = None, **extra: Any) -> RunRecord:
    """A ``running`` record for a run about to start, written at once (a crash leaves it so).
    ``model_path`` "" is a model not saved yet (the app's runs, in ``runs_dir``, named ``run-…``).
    A record already at the new record's place (``m.h5.run.json`` of an earlier run of ``--out
    m.h5``) is kept under its own start time; when this run continues that model (``--resume``),
    the new record names it as its ``parent``: nothing recorded is lost."""
    started = now_utc()
    if runs_dir is not None:
        _make_folder(runs_dir)
    path = record_path(model_path or UNSAVED_NAME, runs_dir, started)
    kept = _keep_earlier(path, model_path)
    resumed = extra.get("resumed_from")
    parent = kept if kept and resumed and os.path.abspath(resumed) == os.path.abspath(model_path) else None
    record = RunRecord(
        started=started,
        status="running",
        model_path=os.path.abspath(model_path) if model_path else "",
        config=dict(config),
        dataset=dict(dataset),
        versions=package_versions(),
        path=path,
        clock=time.monotonic(),
        parent=parent,
        **extra,
    )
    write_record(record)
    return record


def _keep_earlier(path: str, model_path: str) -> str | None:
    """Move a record that is in the way to ``MODEL-<its start time>.run.json`` beside it; its new path."""
    if not os.path.isfile(path):
        return None
    try:
        started = read_record(path).started
    except UserError:
        started = now_utc()
    kept = record_path(model_path, os.path.dirname(os.path.abspath(path)), started)
    try:
        os.replace(path, kept)
    except OSError as exc:
        raise UserError(f"cannot keep the earlier run record ({exc.strerror or exc})", path) from None
    return kept


def _make_folder(folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot be created ({exc.strerror or exc})", folder) from None


def list_records(places: Iterable[str | os.PathLike[str]]) -> tuple[list[RunRecord], list[str]]:
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
