"""Run records on their own: round trips, replacing figures, and listing folders with bad files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.files.runs import (
    RunRecord,
    add_likelihood,
    list_records,
    read_record,
    record_for_model,
    record_path,
    write_record,
)
from vae_explorer.trainer.files.runs_table import duration, table

HISTORY = [{"epoch": 1, "val_neg_elbo": 180.5}]


def record(folder, name="m.h5", started="2026-01-02T03:04:05+00:00", **extra) -> RunRecord:
    r = RunRecord(
        started=started,
        status="finished",
        model_path=str(folder / name),
        config={"preset": "dense"},
        dataset={"name": "small"},
        history=list(HISTORY),
        final={"val_neg_elbo": 180.5},
        **extra,
    )
    write_record(r, str(folder / name) + ".run.json")
    return r


def test_round_trip_and_atomic_write(tmp_path):
    r = record(tmp_path, wall_time=12.5, versions={"python": "3.11"})
    assert read_record(r.path) == r
    assert json.loads(Path(r.path).read_text())["format"] == "vae-explorer-run"
    assert sorted(os.listdir(tmp_path)) == ["m.h5.run.json"]  # no temporary file left behind


def test_likelihood_figures_are_replaced_per_k_and_kind(tmp_path):
    r = record(tmp_path)
    model = str(tmp_path / "m.h5")
    figures = {"iw_k": 10, "likelihood": "bernoulli-on-grey", "data": "small", "n": 64, "seed": 0, "iw_nll": 90.0}
    for changes in ({}, {"iw_nll": 89.0}, {"iw_k": 100, "iw_nll": 88.0}):
        found, warning = record_for_model(model, HISTORY)
        assert warning is None and found.path == r.path
        add_likelihood(found, {**figures, **changes})
    kept = read_record(r.path).likelihood
    assert [(f["iw_k"], f["iw_nll"]) for f in kept] == [(10, 89.0), (100, 88.0)]
    assert all("computed" in f for f in kept)


def test_which_record_eval_adds_to(tmp_path):
    r = record(tmp_path)
    model, other_run = str(tmp_path / "m.h5"), [{"epoch": 1, "val_neg_elbo": 1.0}]
    assert record_for_model(str(tmp_path / "other.h5"), HISTORY) == (None, None)  # no record beside it
    found, warning = record_for_model(model, other_run)  # beside it, but of another run: skipped
    assert found is None and warning == (
        f"{r.path}: describes another training run than {model} (the histories differ); the figures are not added to it"
    )
    with pytest.raises(UserError, match="describes another training run"):  # named by the user: an error
        record_for_model(model, other_run, r.path)
    (tmp_path / "m.h5.run.json").write_text("{")
    assert record_for_model(model, HISTORY)[1].endswith(
        "is not valid JSON (line 1: Expecting property name enclosed in double quotes); the figures are not added to it"
    )


def test_listing_skips_what_is_not_a_record(tmp_path):
    record(tmp_path, "b.h5", started="2026-01-02T00:00:00+00:00")
    record(tmp_path, "a.h5", started="2026-01-03T00:00:00+00:00")
    bad = {
        "x.run.json": "[1, 2",
        "y.run.json": '{"format": "other"}',
        "z.run.json": '{"format": "vae-explorer-run", "format_version": 9}',
        "w.run.json": '{"format": "vae-explorer-run", "format_version": 1, "history": 3}',
        "v.run.json": '{"format": "vae-explorer-run", "format_version": 1}',
    }
    for name, text in bad.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "notes.json").write_text("not a record and not listed")
    (tmp_path / "u.run.json").write_bytes(b"\xff\xfe")
    records, warnings = list_records([tmp_path])
    assert [os.path.basename(r.model_path) for r in records] == ["b.h5", "a.h5"]  # oldest first
    assert sorted(w.split(": ", 1)[1] for w in warnings) == sorted(
        [
            "is not valid JSON (line 1: Expecting ',' delimiter) (skipped)",
            "is not a vae-explorer run record (skipped)",
            "is a run record of an unknown format version (9) (skipped)",
            "has a malformed 'history' in its run record (skipped)",
            "lacks the run record field(s) started, status, model_path, config, dataset (skipped)",
            "cannot be read ('utf-8' codec can't decode byte 0xff in position 0: invalid start byte) (skipped)",
        ]
    )
    with pytest.raises(UserError, match="no such folder or record file"):
        list_records([tmp_path / "missing"])


def test_record_names_in_a_runs_folder_never_collide(tmp_path):
    started = "2026-01-02T03:04:05+00:00"
    first = record_path("out/m.h5", str(tmp_path), started)
    assert first == str(tmp_path / "m.h5-20260102T030405.run.json")
    open(first, "w").close()
    assert record_path("out/m.h5", str(tmp_path), started) == str(tmp_path / "m.h5-20260102T030405-2.run.json")
    assert record_path("out/m.h5") == "out/m.h5.run.json"


def test_table_and_durations(tmp_path):
    r = record(
        tmp_path, wall_time=75.0, likelihood=[{"iw_nll": 86.7612, "iw_k": 1000, "likelihood": "bernoulli-binarized"}]
    )
    header, line = table([r]).splitlines()
    assert line.split() == [
        "2026-01-02",
        "03:04",
        "m.h5",
        "finished",
        "small",
        "dense",
        "?",
        "-",
        "1",
        "-",
        "180.50",
        "86.76",
        "(K=1000b)",
        "1:15",
    ]
    assert len(header) == len(line)
    assert (duration(3.21), duration(3725), duration(None)) == ("3.2 s", "1:02:05", "-")


def test_records_need_neither_qt_nor_tensorflow():
    """The app will call these from its GUI thread; `vae-explorer runs` starts in a fraction of a second."""
    import subprocess
    import sys

    code = (
        "import sys, vae_explorer.trainer.files.runs, vae_explorer.trainer.files.runs_table; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'PySide6', 'pyqtgraph') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_model_path_delete_and_the_record_of_a_history(tmp_path):
    from vae_explorer.trainer.files.runs import delete_record, newest_with_history, set_model_path

    history = [{"epoch": 1, "loss": 3.0}]
    older = RunRecord(
        started="2026-01-01T00:00:00+00:00",
        status="finished",
        model_path="",
        config={},
        dataset={},
        history=history,
        path=str(tmp_path / "a.run.json"),
    )
    newer = RunRecord(
        started="2026-01-02T00:00:00+00:00",
        status="finished",
        model_path="",
        config={},
        dataset={},
        history=history,
        path=str(tmp_path / "b.run.json"),
    )
    other = RunRecord(
        started="2026-01-03T00:00:00+00:00",
        status="finished",
        model_path="",
        config={},
        dataset={},
        history=[{"epoch": 1, "loss": 2.0}],
        path=str(tmp_path / "c.run.json"),
    )
    assert newest_with_history([older, newer, other], history) is newer
    assert newest_with_history([other], history) is None
    model = tmp_path / "m.h5"
    model.write_bytes(b"model")
    set_model_path(newer, str(model))
    assert read_record(newer.path).model_path == str(model)
    delete_record(newer.path)
    delete_record(newer.path)  # already gone: no error
    assert not os.path.exists(newer.path) and model.read_bytes() == b"model"
