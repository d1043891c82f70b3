"""Reading a model file without trusting it: every value is checked before it is used.

Everything in a model file is numbers or JSON text: nothing runs code from it (no pickle, no
Keras deserialisation). A file that is not ours, damaged (truncated, a zeroed tail, flipped bytes,
groups where datasets belong, attributes of the wrong type) or crafted (a shape claiming
gigabytes) is one ``ModelFileError`` naming the file: whatever h5py or NumPy raise while reading
is caught in ``opened`` and said in one line, and sizes are checked before anything is read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import h5py
import numpy as np

from vae_explorer.trainer.errors import ModelFileError, UserError
from vae_explorer.trainer.model.config import TrainConfig, check_image_shape

FORMAT_NAME = "vae-explorer-model"
FORMAT_VERSION = 1
MAX_LISTED = 5
MAX_ELEMENTS = 1 << 28  # no dataset of a model file holds more (a crafted shape can claim any size)
# What h5py and NumPy raise on a damaged file (a zeroed tail gives RuntimeError, bad sizes
# MemoryError, a deeply nested JSON attribute RecursionError): all of them mean "damaged".
DAMAGE = (
    OSError,
    KeyError,
    ValueError,
    TypeError,
    RuntimeError,
    AttributeError,
    LookupError,
    ArithmeticError,
    MemoryError,
    UnicodeError,
    RecursionError,
)
HISTORY_NUMBERS = (
    "epoch",
    "loss",
    "reconstruction_loss",
    "kl_loss",
    "val_loss",
    "val_reconstruction_loss",
    "val_kl_loss",
    "val_neg_elbo",
    "kl_weight",
    "elapsed",
    "images_per_second",
    "active_units",
)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def opened(path: str) -> Iterator[h5py.File]:
    """The file opened for reading; anything that goes wrong inside is a one-line ModelFileError."""
    if not os.path.isfile(path):
        raise ModelFileError("no such file" if not os.path.exists(path) else "is not a file", path)
    if path.lower().endswith(".keras"):
        raise ModelFileError("is a Keras .keras archive, not a vae-explorer .h5 model", path)
    try:
        if not h5py.is_hdf5(path):
            raise ModelFileError("is not an HDF5 file", path)
        f = h5py.File(path, "r")
    except ModelFileError:
        raise
    except DAMAGE as exc:
        raise ModelFileError(f"is truncated or damaged ({first_line(exc)})", path) from None
    try:
        yield f
    except UserError as exc:
        raise ModelFileError(exc.problem, path) from None
    except DAMAGE as exc:
        raise ModelFileError(f"is damaged ({first_line(exc)})", path) from None
    finally:
        f.close()


def json_attr(f: h5py.File, key: str, path: str, default: Any) -> Any:
    if key not in f.attrs:
        return default
    raw = f.attrs[key]
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if not isinstance(raw, str):
        raise ModelFileError(f"attribute '{key}' is not JSON text", path)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"attribute '{key}' is not valid JSON ({exc.msg})", path) from None


def numeric(ds: Any, path: str, name: str, shape: tuple | None = None, what: str = "") -> np.ndarray:
    """A dataset that must hold plain numbers (of ``shape``, when given; ``what`` names it in the
    message), checked before it is read."""
    if not isinstance(ds, h5py.Dataset) or ds.dtype.kind not in "iuf":
        raise ModelFileError(f"'{name}' does not hold plain numbers", path)
    if shape is not None and tuple(ds.shape) != tuple(shape):
        raise ModelFileError(f"{what or repr(name)} has shape {tuple(ds.shape)}, expected {tuple(shape)}", path)
    if int(np.prod(ds.shape, dtype=np.float64)) > MAX_ELEMENTS:
        raise ModelFileError(f"'{name}' claims {tuple(ds.shape)} values, more than a model file holds", path)
    return np.asarray(ds[()])


def finite(value: np.ndarray, path: str, subject: str) -> np.ndarray:
    """``value`` if it holds no NaN or infinity, else "<subject> NaN or infinite values"."""
    if not np.isfinite(value).all():
        raise ModelFileError(f"{subject} NaN or infinite values", path)
    return value


def describe_foreign(f: h5py.File) -> str:
    if str(f.attrs.get("written_by", "")).startswith("vae-explorer"):  # ours, but its 'format' is gone
        return "has no valid 'format' attribute (a damaged vae-explorer model?)"
    if "model_weights" in f or "keras_version" in f.attrs or "layer_names" in f.attrs:
        return "is a Keras model file, not a vae-explorer model"
    if "layers" in f and "vars" in f:  # Keras 3 ``save_weights``: no attributes at all
        return "is a Keras weights file (.weights.h5), not a vae-explorer model"
    return "is an HDF5 file written by another program (no vae-explorer 'format' attribute)"


def listed(items: set[str]) -> str:
    names = sorted(items)
    more = f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else ""
    return ", ".join(names[:MAX_LISTED]) + more


def check_version(f: h5py.File, path: str) -> int:
    fmt = f.attrs.get("format")
    if isinstance(fmt, bytes):
        fmt = fmt.decode("utf-8", "replace")
    if not isinstance(fmt, str) or fmt != FORMAT_NAME:
        raise ModelFileError(describe_foreign(f), path)
    version = f.attrs.get("format_version")
    if not isinstance(version, (int, np.integer)) or isinstance(version, (bool, np.bool_)):
        raise ModelFileError("has no valid format_version", path)
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"was written in format version {int(version)}, newer than this vae-explorer reads "
            f"(up to {FORMAT_VERSION}); upgrade vae-explorer",
            path,
        )
    if version < 1:
        raise ModelFileError(f"has an invalid format_version {int(version)}", path)
    return int(version)


def header(f: h5py.File, path: str) -> dict:
    """Format, version, config, history and dataset description, each checked."""
    version = check_version(f, path)
    config = json_attr(f, "config", path, None)
    if not isinstance(config, dict):
        raise ModelFileError("has no model config", path)
    history = checked_history(json_attr(f, "history", path, []), path)
    dataset = checked_dataset(json_attr(f, "dataset", path, {}), path)
    return {
        "format": FORMAT_NAME,
        "format_version": version,
        "config": config,
        "history": history,
        "dataset": dataset,
        "written_by": str(f.attrs.get("written_by", "?")),
        "created": str(f.attrs.get("created", "?")),
    }


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numbers_or_absent(values: Any) -> bool:
    return values is None or (isinstance(values, list) and all(is_number(v) for v in values))


def checked_history(history: Any, path: str) -> list[dict]:
    """One dict per epoch, with an epoch number and numbers where numbers are read."""
    if not isinstance(history, list):
        raise ModelFileError("has a malformed history (not a list of epochs)", path)
    for row in history:
        if not isinstance(row, dict) or not is_number(row.get("epoch")):
            raise ModelFileError("has a malformed history (an epoch without its number)", path)
        if any(key in row and not is_number(row[key]) for key in HISTORY_NUMBERS) or not all(
            _numbers_or_absent(row.get(key)) for key in ("kl_per_dim", "active")
        ):
            raise ModelFileError(f"has a malformed history (epoch {row['epoch']}: a figure that is not a number)", path)
    return history


def checked_dataset(dataset: Any, path: str) -> dict:
    """The dataset description, with the types that readers of it rely on."""
    if not isinstance(dataset, dict):
        raise ModelFileError("has a malformed dataset description", path)
    names = dataset.get("label_names")
    if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
        raise ModelFileError("has malformed label names in its dataset description", path)
    for key, kind in (
        ("split", dict),
        ("held_out_sample", dict),
        ("name", str),
        ("source", str),
        ("held_out_sha256", str),
    ):
        if key in dataset and dataset[key] is not None and not isinstance(dataset[key], kind):
            raise ModelFileError(f"has a malformed '{key}' in its dataset description", path)
    return dataset


def config_from(head: dict, path: str) -> tuple[TrainConfig, tuple[int, int, int]]:
    raw = dict(head["config"])
    shape = raw.pop("image_shape", None)
    if not isinstance(shape, list) or len(shape) != 3 or not all(is_number(d) and isinstance(d, int) for d in shape):
        raise ModelFileError(f"has an invalid image shape in its config ({shape!r:.60})", path)
    try:
        return TrainConfig.from_dict(raw), check_image_shape(shape)
    except (UserError, TypeError) as exc:
        raise ModelFileError(f"has an invalid config: {exc}", path) from None


def stored_datasets(group: Any) -> dict[str, h5py.Dataset]:
    """Every dataset below ``group``, by its path inside the group."""
    found: dict[str, h5py.Dataset] = {}
    if isinstance(group, h5py.Group):
        group.visititems(lambda name, obj: found.__setitem__(name, obj) if isinstance(obj, h5py.Dataset) else None)
    return found


def load_weights(f: h5py.File, model: Any, path: str) -> None:
    if "weights" not in f or not isinstance(f["weights"], h5py.Group):
        raise ModelFileError("has no weights", path)
    stored = stored_datasets(f["weights"])
    expected = {v.path: v for v in model.weights}
    missing, extra = set(expected) - set(stored), set(stored) - set(expected)
    if missing:
        raise ModelFileError(f"lacks weight(s) {listed(missing)} for preset '{model.preset}'", path)
    if extra:
        raise ModelFileError(f"has unexpected weight(s) {listed(extra)} for preset '{model.preset}'", path)
    values = {}
    for name, var in expected.items():
        value = numeric(stored[name], path, f"weights/{name}", tuple(var.shape), f"weight '{name}'")
        values[name] = finite(value, path, f"weight '{name}' holds")
    for name, var in expected.items():
        var.assign(values[name].astype(np.float32))


def load_ordered(f: h5py.File, group: str, variables: list, path: str) -> bool:
    """Restore variables saved by position; False (variables untouched) when the file has none."""
    if group not in f:
        return False
    stored = f[group]
    if not isinstance(stored, h5py.Group):
        raise ModelFileError(f"'{group}' is not a group of variables", path)
    keys = sorted(stored.keys())
    if len(keys) != len(variables):
        raise ModelFileError(f"has {len(keys)} {group} variables, expected {len(variables)}", path)
    values = []
    for key, var in zip(keys, variables, strict=True):
        what = f"{group} variable '{var.path}'"
        values.append(
            finite(numeric(stored[key], path, f"{group}/{key}", tuple(var.shape), what), path, f"{what} holds")
        )
    for value, var in zip(values, variables, strict=True):
        var.assign(value.astype(var.dtype))
    return True
