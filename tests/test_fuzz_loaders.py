"""Every loader fuzzed (Hypothesis): model files, .npz and IDX datasets, image files, run records,
TF_CONFIG. The property is the same for all: a correct result, or one ``UserError`` line naming
the file; never a traceback of another type, never a hang past a bound, never a file written half.
The examples are bounded and the same on every run (the "ci" profile in conftest.py)."""

from __future__ import annotations

import gzip
import io
import json
import os
import struct
import time
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.test_cli import run
from vae_explorer.trainer.errors import UserError

SECONDS = 30.0  # no single load may take longer: a hang is a defect too


def refused_in_one_line(error: UserError, path) -> None:
    text = str(error)
    assert str(path) in text and "\n" not in text, text


def loads_or_one_line(load, path):
    """``load(path)``: its result, or None after checking the UserError is one line naming ``path``."""
    started = time.monotonic()
    try:
        return load(path)
    except UserError as error:
        refused_in_one_line(error, path)
        return None
    finally:
        assert time.monotonic() - started < SECONDS


@pytest.fixture(scope="module")
def model_bytes(trained_file) -> bytes:
    return Path(trained_file[0]).read_bytes()


@st.composite
def damaged_bytes(draw, data: bytes):
    """A file cut, zeroed from some offset on, or with some bytes flipped."""
    how = draw(st.sampled_from(["truncate", "zero_tail", "flip"]))
    at = draw(st.integers(0, len(data) - 1))
    if how == "truncate":
        return data[:at]
    if how == "zero_tail":
        return data[:at] + bytes(len(data) - at)
    out = bytearray(data)
    for position in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=40)):
        out[position] = draw(st.integers(0, 255))
    return bytes(out)


@given(data=st.data())
def test_a_damaged_model_file_loads_or_is_one_line(model_bytes, tmp_path_factory, data):
    from vae_explorer.trainer.files.modelfile import load_model

    path = tmp_path_factory.mktemp("fuzz") / "m.h5"
    path.write_bytes(data.draw(damaged_bytes(model_bytes)))
    loaded = loads_or_one_line(load_model, path)
    if loaded is not None:  # what loads is a model that works
        assert loaded.model.latent_dim == loaded.config.latent_dim


ATTRIBUTE_VALUES = st.one_of(
    st.integers(-(2**62), 2**62),
    st.floats(),
    st.text(max_size=30),
    st.binary(max_size=30),
    st.lists(st.integers(), max_size=5).map(np.array),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def structural_damage(draw):
    """An edit inside the HDF5 structure: an attribute of another type, a group where a dataset
    belongs, a dataset of another shape or dtype (absurd sizes included)."""
    kind = draw(st.sampled_from(["attribute", "json_attribute", "group_for_dataset", "dataset"]))
    name = draw(
        st.sampled_from(
            [
                "latent/means",
                "latent/labels",
                "weights/z_mean/kernel",
                "optimizer/00000",
                "random/00000",
                "latent/log_vars",
            ]
        )
    )
    if kind == "attribute":
        return (
            kind,
            draw(st.sampled_from(["format", "format_version", "config", "history", "dataset"])),
            draw(ATTRIBUTE_VALUES),
        )
    if kind == "json_attribute":
        return kind, draw(st.sampled_from(["config", "history", "dataset"])), json.dumps(draw(JSON_VALUES))
    shape = tuple(draw(st.lists(st.integers(0, 2**20), min_size=0, max_size=3)))
    return kind, name, (shape, draw(st.sampled_from(["f4", "i8", "u1", "S3", "f2"])))


def apply(f: h5py.File, damage) -> None:
    kind, name, value = damage
    if kind in ("attribute", "json_attribute"):
        f.attrs[name] = value
        return
    if name in f:
        del f[name]
    if kind == "group_for_dataset":
        f.create_group(name)
        return
    shape, dtype = value
    f.create_dataset(name, shape=shape, dtype=dtype)  # declared, not written: any size is cheap on disk


@given(damage=structural_damage())
def test_a_model_file_with_a_wrong_structure_loads_or_is_one_line(trained_file, tmp_path_factory, damage):
    from vae_explorer.trainer.files.modelfile import load_model, read_header

    path = tmp_path_factory.mktemp("fuzz") / "m.h5"
    path.write_bytes(Path(trained_file[0]).read_bytes())
    with h5py.File(path, "r+") as f:
        apply(f, damage)
    loads_or_one_line(read_header, path)
    loads_or_one_line(load_model, path)


@given(data=st.data())
def test_a_command_on_a_damaged_model_exits_0_or_2_and_writes_nothing_half(model_bytes, tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz")
    path, out = folder / "m.h5", folder / "grid.png"
    path.write_bytes(data.draw(damaged_bytes(model_bytes)))
    code, _, err = run(["export", path, "--what", "grid", "--n", 3, "--out", out])
    assert code in (0, 2) and "Traceback" not in err
    if code == 2:
        assert str(path) in err and not out.exists() and os.listdir(folder) == ["m.h5"]
    else:
        assert out.read_bytes().startswith(b"\x89PNG")


def npy_bytes(header: dict, body: bytes) -> bytes:
    text = repr(header).encode("latin1")
    text += b" " * (63 - (len(text) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + body


@st.composite
def npz_archives(draw) -> bytes:
    """Zip archives of .npy members with any header (dtype, shape claims, order) and any body."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))) as z:
        for key in draw(
            st.lists(
                st.sampled_from(["x_train", "y_train", "x_test", "y_test", "x", "y", "label_names"]),
                min_size=1,
                max_size=4,
                unique=True,
            )
        ):
            shape = tuple(draw(st.lists(st.integers(0, 10**9), max_size=4)))
            descr = draw(st.sampled_from(["|u1", "<f4", "<f8", "<i8", "|O", "<U3", "|b1", ">f2"]))
            header = {"descr": descr, "fortran_order": draw(st.booleans()), "shape": shape}
            z.writestr(key + ".npy", npy_bytes(header, draw(st.binary(max_size=4000))))
    return buffer.getvalue()


@given(archive=npz_archives(), stream=st.sampled_from([False, True]))
def test_any_npz_archive_loads_or_is_one_line(tmp_path_factory, archive, stream):
    from vae_explorer.trainer.data import load_dataset

    path = tmp_path_factory.mktemp("fuzz") / "data.npz"
    path.write_bytes(archive)
    loaded = loads_or_one_line(lambda p: load_dataset(p, stream=stream), path)
    if loaded is not None:
        assert np.isfinite(loaded.x_test).all() and loaded.x_test.min() >= 0 and loaded.x_test.max() <= 1


@st.composite
def idx_files(draw) -> bytes:
    magic = bytes([0, 0, draw(st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x07])), draw(st.integers(0, 5))])
    dims = b"".join(struct.pack(">I", draw(st.integers(0, 2**32 - 1))) for _ in range(magic[3]))
    return magic + dims + draw(st.binary(max_size=3000))


@given(train=idx_files(), test=idx_files(), gz=st.booleans(), stream=st.booleans())
def test_any_idx_folder_loads_or_is_one_line(tmp_path_factory, train, test, gz, stream):
    from vae_explorer.trainer.data import load_dataset

    folder = tmp_path_factory.mktemp("fuzz")
    for name, data in (("train-images-idx3-ubyte", train), ("t10k-images-idx3-ubyte", test)):
        (folder / (name + (".gz" if gz else ""))).write_bytes(gzip.compress(data) if gz else data)
    started = time.monotonic()
    try:
        load_dataset(folder, stream=stream)
    except UserError as error:
        assert "\n" not in str(error) and str(folder) in str(error), str(error)
    assert time.monotonic() - started < SECONDS


IMAGE_HEADS = st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"BM", b""])


@given(head=IMAGE_HEADS, body=st.binary(max_size=2000))
def test_any_image_file_encodes_or_is_one_line(tmp_path_factory, head, body):
    from vae_explorer.trainer.data.user_image import prepare_image

    path = tmp_path_factory.mktemp("fuzz") / "image.png"
    path.write_bytes(head + body)
    prepared = loads_or_one_line(lambda p: prepare_image(p, (28, 28, 1), True), path)
    if prepared is not None:
        assert prepared.pixels.shape == (28, 28, 1)


FIELDS = (
    "started",
    "status",
    "model_path",
    "config",
    "dataset",
    "history",
    "final",
    "wall_time",
    "message",
    "versions",
    "likelihood",
    "tensorboard",
    "resumed_from",
    "parent",
    "format_version",
)


@given(field=st.sampled_from(FIELDS), value=JSON_VALUES)
def test_a_run_record_with_any_value_in_any_field_lists_or_is_skipped(tmp_path_factory, field, value):
    from vae_explorer.trainer.files import runs_table
    from vae_explorer.trainer.files.runs import list_records

    folder = tmp_path_factory.mktemp("fuzz")
    record = {
        "format": "vae-explorer-run",
        "format_version": 1,
        "started": "2026-01-01T00:00:00+00:00",
        "status": "finished",
        "model_path": "/m.h5",
        "config": {"preset": "dense"},
        "dataset": {"name": "d"},
        "history": [{"epoch": 1, "loss": 2.0}],
        "final": {"val_neg_elbo": 1.0},
        "wall_time": 3.0,
    }
    (folder / "r.run.json").write_text(json.dumps({**record, field: value}))
    records, warnings = list_records([folder])
    assert len(records) + len(warnings) == 1
    if records:  # what is listed can be shown, as a table and as JSON lines
        assert runs_table.table(records) and json.loads(runs_table.json_lines(records))
    else:
        assert "r.run.json" in warnings[0] and "\n" not in warnings[0]


@given(config=JSON_VALUES | st.text(max_size=40))
def test_any_tf_config_is_a_cluster_or_one_line(monkeypatch, config):
    from vae_explorer.trainer.training.strategies import cluster_from_env, is_chief

    monkeypatch.setenv("TF_CONFIG", config if isinstance(config, str) else json.dumps(config))
    try:
        is_chief(cluster_from_env())
    except UserError as error:
        assert "\n" not in str(error) and "TF_CONFIG" in str(error)
