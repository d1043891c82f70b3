"""Session files without Qt: what is written reads back the same (arrays, tuples, sets included),
paths are kept relative to the session, and any other file is refused in one line naming it
before anything is used; fuzzed with Hypothesis (the bounded "ci" profile of conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.test_fuzz_loaders import JSON_VALUES, loads_or_one_line
from vae_explorer.explorer.files.session_format import (
    FORMAT,
    VERSION,
    SessionFile,
    SessionFileError,
    read_session,
    sha256_of,
    what_applies,
    write_session,
)
from vae_explorer.explorer.files.session_values import SCHEMA

STATES = {
    "map": {
        "which": "held-out",
        "layout": "pca",
        "dims": (2, 5),
        "current": np.array([0.25, -1.5, 3.0], np.float32),
        "current_index": 7,
        "ends": {"A": np.array([1, 2, 3], np.float32), "B": np.array([-1, 0.5, 2], np.float32)},
        "shown_epoch": None,
    },
    "view": {
        "hidden": frozenset({3, 8}),
        "color_by": "kl",
        "selection": np.array([1, 4, 9], np.int64),
        "palette": "okabe-ito",
        "view_range": ((-1.25, 2.5), (0.1, 0.30000000000000004)),
    },
    "interpolate": {"steps": 7, "method": "spherical", "frame": 3},
    "train": {"preset": "dense", "beta": 4.0, "learning_rate": 0.002, "seed": 12},
}


def same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and bool((a == b).all())
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "models" / "m.h5"
    path.parent.mkdir()
    path.write_bytes(b"not really a model, only bytes to checksum")
    return str(path)


def test_every_value_reads_back_as_it_was_written(tmp_path, model):
    path = str(tmp_path / "s.json")
    written = SessionFile(model, sha256_of(model), "embedded", STATES, "Interpolate", ("/r/a.run.json",))
    write_session(path, written)
    read = read_session(path)
    assert read.model_path == model and read.model_sha256 == sha256_of(model)
    assert (read.dataset, read.tab, read.runs) == ("embedded", "Interpolate", ("/r/a.run.json",))
    for part, values in STATES.items():
        for key, value in values.items():
            assert same(value, read.states[part][key]), (part, key, read.states[part][key])


def test_the_model_and_dataset_are_kept_relative_so_a_folder_moves_as_one(tmp_path, model):
    data = tmp_path / "data.npz"
    data.write_bytes(b"x")
    path = tmp_path / "s.json"
    write_session(str(path), SessionFile(model, sha256_of(model), str(data), {}))
    raw = json.loads(path.read_text())
    assert raw["format"] == FORMAT and raw["version"] == VERSION
    assert raw["model"]["path"] == os.path.join("models", "m.h5") and raw["dataset"] == "data.npz"
    moved = tmp_path.parent / (tmp_path.name + "-moved")
    os.rename(tmp_path, moved)
    read = read_session(str(moved / "s.json"))
    assert read.model_path == str(moved / "models" / "m.h5") and read.dataset == str(moved / "data.npz")


def valid(model) -> dict:
    return {"format": FORMAT, "version": 1, "model": {"path": model, "sha256": "0" * 64}, "states": {}}


BAD = [
    ("b'\\x00\\x01'", "not a session file"),
    (json.dumps({"format": "something-else"}), "not a session file"),
    (json.dumps([1, 2]), "not a session file"),
    ("{" * 100_000, "not a session file"),
]


@pytest.mark.parametrize(("text", "says"), BAD)
def test_a_file_that_is_not_a_session_is_one_line(tmp_path, text, says):
    path = tmp_path / "s.json"
    path.write_text(text)
    with pytest.raises(SessionFileError) as error:
        read_session(str(path))
    assert str(path) in str(error.value) and says in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"version": 2}, "newer vae-explorer"),
        ({"version": "1"}, "format version"),
        ({"model": "m.h5"}, '"model"'),
        ({"states": {"view": {"hidden": [3]}}}, "view.hidden"),
        ({"states": {"view": {"hidden": {"frozenset": ["3"]}}}}, "view.hidden is not a set of class labels"),
        ({"states": {"map": {"current": "0.5"}}}, "map.current"),
        ({"states": {"map": {"dims": {"tuple": [0, 1.5]}}}}, "map.dims"),
        ({"states": {"map": {"bogus": 1}}}, "unknown field 'bogus'"),
        ({"states": {"plugin": {}}}, "unknown part 'plugin'"),
        ({"states": {"interpolate": {"steps": True}}}, "interpolate.steps"),
        ({"tab": 3}, '"tab"'),
        ({"extra": 1}, "unknown entry 'extra'"),
    ],
)
def test_a_wrong_version_or_value_is_one_line_naming_the_file_and_the_field(tmp_path, change, says):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({**valid("m.h5"), **change}))
    with pytest.raises(SessionFileError) as error:
        read_session(str(path))
    assert str(path) in str(error.value) and says in str(error.value) and "\n" not in str(error.value)


def test_a_session_without_a_model_entry_is_refused(tmp_path):
    path = tmp_path / "s.json"
    data = valid("m.h5")
    del data["model"]
    path.write_text(json.dumps(data))
    with pytest.raises(SessionFileError, match="has no 'model'"):
        read_session(str(path))


def test_a_value_json_cannot_hold_is_refused_when_writing(tmp_path):
    with pytest.raises(SessionFileError, match="cannot be written"):
        write_session(str(tmp_path / "s.json"), SessionFile(states={"grid": {"n": float("nan")}}))
    assert not (tmp_path / "s.json").exists()


def test_the_schema_names_exactly_the_saved_fields_of_each_state_object():
    from vae_explorer.explorer.map.state import MapState, ViewState
    from vae_explorer.explorer.tools.class_pages import ClassSampleSettings, DirectionSettings
    from vae_explorer.explorer.tools.grid import GridSettings
    from vae_explorer.explorer.tools.interpolate import InterpolateSettings
    from vae_explorer.explorer.tools.prior_holes import HolesSettings
    from vae_explorer.explorer.tools.traverse import TraverseSettings
    from vae_explorer.explorer.training.state import TrainSettings

    classes = {
        "map": MapState,
        "view": ViewState,
        "train": TrainSettings,
        "interpolate": InterpolateSettings,
        "traverse": TraverseSettings,
        "grid": GridSettings,
        "direction": DirectionSettings,
        "class_samples": ClassSampleSettings,
        "prior_holes": HolesSettings,
    }
    assert set(SCHEMA) == set(classes)
    for name, cls in classes.items():
        assert set(SCHEMA[name]) == set(cls.SAVED), name
        defaults = cls().values()  # the defaults pass their own checks (None where a model is needed)
        assert all(SCHEMA[name][k](v) is None for k, v in defaults.items()), name


def test_what_no_longer_fits_a_rewritten_model_is_left_out_and_named():
    kept, left_out = what_applies(STATES, latent_dim=3, n_points=5, n_epochs=0)
    assert sorted(left_out) == ["map.current_index", "map.dims", "view.selection"]
    assert "current" in kept["map"] and "ends" in kept["map"] and kept["view"]["hidden"] == frozenset({3, 8})


def test_the_session_format_imports_no_qt():
    code = (
        "import sys; import vae_explorer.explorer.files.session_format, vae_explorer.explorer.core.undo_names; "
        "print([m for m in ('PySide6', 'pyqtgraph', 'tensorflow') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr


# -- fuzzed ------------------------------------------------------------------------------------
TAGGED = st.recursive(
    JSON_VALUES,
    lambda inner: st.one_of(
        st.builds(lambda v: {"tuple": v}, st.lists(inner, max_size=3)),
        st.builds(lambda v: {"frozenset": v}, st.lists(inner, max_size=3)),
        st.builds(
            lambda d, s, v: {"ndarray": {"dtype": d, "shape": s, "data": v}},
            st.sampled_from(["float32", "int64", "uint8", 3]),
            st.lists(st.integers(-1, 4), max_size=3) | inner,
            st.lists(st.floats() | st.integers(), max_size=6) | inner,
        ),
    ),
    max_leaves=10,
)
FIELDS = [(part, key) for part, fields in SCHEMA.items() for key in fields]


@given(data=st.binary(max_size=300))
def test_any_bytes_read_as_a_session_or_one_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "s.json"
    path.write_bytes(data)
    loads_or_one_line(lambda p: read_session(str(p)), path)


@given(field=st.sampled_from(FIELDS), value=TAGGED, top=st.sampled_from(list(valid("m.h5")) + ["tab", "runs"]))
def test_any_value_in_any_field_reads_or_is_one_line(tmp_path_factory, field, value, top):
    path = tmp_path_factory.mktemp("fuzz") / "s.json"
    part, key = field
    data = {**valid("m.h5"), "states": {part: {key: value}}}
    path.write_text(json.dumps(data, allow_nan=True))
    read = loads_or_one_line(lambda p: read_session(str(p)), path)
    if read is not None:  # what reads is what the field may hold
        assert SCHEMA[part][key](read.states[part][key]) is None
    path.write_text(json.dumps({**valid("m.h5"), top: value}, allow_nan=True))
    loads_or_one_line(lambda p: read_session(str(p)), path)
