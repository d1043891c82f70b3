"""The vae-explorer model file: one self-describing HDF5 file per model, written with h5py.

Layout (format ``vae-explorer-model``, version 1)::

    /                 attrs: format, format_version, written_by, keras_version, created,
                             config (JSON), history (JSON), dataset (JSON)
    /weights/<layer>/<var>      every model variable, BatchNorm statistics included
    /optimizer/<index>          optimizer variables in order, attrs ``name`` (for resuming)
    /random/<index>             the Sampling layer's seed-generator state, attrs ``name``
                                (optional: files without it load, their resumed ε draws differ)
    /latent/means, log_vars, labels     the encoded held-out set, so the app can show the map
    /epochs/numbers, means, labels      optional: the held-out means after each epoch of the run
                                        (float16), to replay the map (``trainer.maps.epoch_codes``)

Everything is numbers or JSON text: loading runs no code from the file (no pickle, no Keras
deserialisation), then checks every name and shape against the model the config describes.
Saving is atomic (``trainer.files.atomic``): a temporary file in the same folder, fsynced, then ``os.replace``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field

import h5py
import numpy as np

from vae_explorer.trainer import __version__
from vae_explorer.trainer.errors import ModelFileError, UserError
from vae_explorer.trainer.files.atomic import atomic_path
from vae_explorer.trainer.maps.epoch_codes import EpochCodes, read_epoch_codes, write_epoch_codes
from vae_explorer.trainer.model.config import TrainConfig, check_image_shape
from vae_explorer.trainer.model.space import LatentCodes

FORMAT_NAME = "vae-explorer-model"
FORMAT_VERSION = 1
MAX_LISTED = 5


@dataclass
class ModelFile:
    """Everything a model file holds, with the VAE rebuilt and its weights loaded."""

    model: object  # trainer.model.VAE
    config: TrainConfig
    history: list[dict] = field(default_factory=list)
    dataset: dict = field(default_factory=dict)
    latent: LatentCodes | None = None
    optimizer_restored: bool = False
    epoch_codes: EpochCodes | None = None  # None: the file has none (older files, the CLI's)


def save_model(
    path: str | os.PathLike,
    model,
    config: TrainConfig,
    history=(),
    dataset=None,
    latent: LatentCodes | None = None,
    epoch_codes: EpochCodes | None = None,
) -> None:
    """Write the model and everything about it to ``path`` atomically."""
    path = os.fspath(path)
    model_config = {**config.to_dict(), "image_shape": list(model.image_shape), "latent_dim": int(model.latent_dim)}
    with atomic_path(path, ".h5") as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = FORMAT_NAME
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["written_by"] = f"vae-explorer {__version__}"
        f.attrs["keras_version"] = _keras_version()
        f.attrs["created"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        f.attrs["config"] = json.dumps(model_config)
        f.attrs["history"] = json.dumps(list(history))
        f.attrs["dataset"] = json.dumps(dataset or {})
        weights = f.create_group("weights")
        for var in model.weights:
            weights.create_dataset(var.path, data=np.asarray(var.numpy()))
        _save_ordered(f, "optimizer", model.optimizer.variables)
        _save_ordered(f, "random", model.random_state())
        if latent is not None:
            group = f.create_group("latent")
            group.create_dataset("means", data=np.asarray(latent.means, np.float32))
            if latent.log_vars is not None:
                group.create_dataset("log_vars", data=np.asarray(latent.log_vars, np.float32))
            if latent.labels is not None:
                group.create_dataset("labels", data=np.asarray(latent.labels, np.int32))
        if epoch_codes is not None:
            write_epoch_codes(f, epoch_codes)
        f.flush()


def _save_ordered(f, group: str, variables) -> None:
    """Variables by position, each named in an attribute: their paths are not unique."""
    g = f.create_group(group)
    for i, var in enumerate(variables):
        g.create_dataset(f"{i:05d}", data=np.asarray(var.numpy())).attrs["name"] = var.path


def _keras_version() -> str:
    import keras

    return keras.__version__


def _json_attr(f, key: str, path: str, default):
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


def _numeric(ds, path: str, name: str) -> np.ndarray:
    """Read a dataset that must hold plain numbers (no strings, no objects, no references)."""
    if not isinstance(ds, h5py.Dataset) or ds.dtype.kind not in "iuf":
        raise ModelFileError(f"'{name}' does not hold plain numbers", path)
    return ds[()]


def _describe_foreign(f) -> str:
    if str(f.attrs.get("written_by", "")).startswith("vae-explorer"):  # ours, but its 'format' is gone
        return "has no valid 'format' attribute (a damaged vae-explorer model?)"
    if "model_weights" in f or "keras_version" in f.attrs or "layer_names" in f.attrs:
        return "is a Keras model file, not a vae-explorer model"
    if "layers" in f and "vars" in f:  # Keras 3 ``save_weights``: no attributes at all
        return "is a Keras weights file (.weights.h5), not a vae-explorer model"
    return "is an HDF5 file written by another program (no vae-explorer 'format' attribute)"


def _list(items) -> str:
    items = sorted(items)
    more = f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else ""
    return ", ".join(items[:MAX_LISTED]) + more


def read_header(path: str | os.PathLike) -> dict:
    """Format, version, config, history, dataset description and sizes, without TensorFlow."""
    path = os.fspath(path)
    with _open(path) as f:
        header = _header(f, path)
        header["parameters"] = sum(int(ds.size) for ds in stored_datasets(f.get("weights")).values())
        header["latent_codes"] = int(f["latent/means"].shape[0]) if "latent/means" in f else 0
        return header


@contextmanager
def _open(path: str):
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
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"is truncated or damaged ({str(exc).splitlines()[0]})", path) from None
    try:
        yield f
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise ModelFileError(f"is damaged ({str(exc).splitlines()[0]})", path) from None
    finally:
        f.close()


def _header(f, path: str) -> dict:
    fmt = f.attrs.get("format")
    if isinstance(fmt, bytes):
        fmt = fmt.decode("utf-8", "replace")
    if fmt != FORMAT_NAME:
        raise ModelFileError(_describe_foreign(f), path)
    version = f.attrs.get("format_version")
    if not isinstance(version, (int, np.integer)):
        raise ModelFileError("has no valid format_version", path)
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"was written in format version {int(version)}, newer than this vae-explorer reads "
            f"(up to {FORMAT_VERSION}); upgrade vae-explorer",
            path,
        )
    if version < 1:
        raise ModelFileError(f"has an invalid format_version {int(version)}", path)
    config = _json_attr(f, "config", path, None)
    if not isinstance(config, dict):
        raise ModelFileError("has no model config", path)
    history = _json_attr(f, "history", path, [])
    dataset = _json_attr(f, "dataset", path, {})
    if not isinstance(history, list) or not isinstance(dataset, dict):
        raise ModelFileError("has a malformed history or dataset description", path)
    return {
        "format": fmt,
        "format_version": int(version),
        "config": config,
        "history": history,
        "dataset": dataset,
        "written_by": str(f.attrs.get("written_by", "?")),
        "created": str(f.attrs.get("created", "?")),
    }


def _config_from(header: dict, path: str) -> tuple[TrainConfig, tuple[int, int, int]]:
    raw = dict(header["config"])
    shape = raw.pop("image_shape", None)
    if (
        not isinstance(shape, list)
        or len(shape) != 3
        or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape)
    ):
        raise ModelFileError(f"has an invalid image shape in its config ({shape!r:.60})", path)
    try:
        return TrainConfig.from_dict(raw), check_image_shape(shape)
    except (UserError, TypeError) as exc:
        raise ModelFileError(f"has an invalid config: {exc}", path) from None


def load_model(path: str | os.PathLike) -> ModelFile:
    """Rebuild the VAE a file describes and load its weights, checking every name and shape."""
    from vae_explorer.trainer.model.vae import build_vae

    path = os.fspath(path)
    with _open(path) as f:
        header = _header(f, path)
        config, shape = _config_from(header, path)
        model = build_vae(
            config.preset,
            config.latent_dim,
            shape,
            config.beta,
            config.reconstruction,
            seed=config.seed,
            learning_rate=config.learning_rate,
        )
        _load_weights(f, model, path)
        optimizer_restored = _load_ordered(f, "optimizer", model.optimizer.variables, path)
        _load_ordered(f, "random", model.random_state(), path)
        latent = _load_latent(f, path, config.latent_dim)
        epoch_codes = read_epoch_codes(f, path, config.latent_dim)
    return ModelFile(
        model=model,
        config=config,
        history=header["history"],
        dataset=header["dataset"],
        latent=latent,
        epoch_codes=epoch_codes,
        optimizer_restored=optimizer_restored,
    )


def stored_datasets(group) -> dict[str, h5py.Dataset]:
    """Every dataset below ``group``, by its path inside the group."""
    found = {}
    if not isinstance(group, h5py.Group):
        return found
    group.visititems(lambda name, obj: found.__setitem__(name, obj) if isinstance(obj, h5py.Dataset) else None)
    return found


def _load_weights(f, model, path: str) -> None:
    if "weights" not in f or not isinstance(f["weights"], h5py.Group):
        raise ModelFileError("has no weights", path)
    stored = stored_datasets(f["weights"])
    expected = {v.path: v for v in model.weights}
    missing = set(expected) - set(stored)
    extra = set(stored) - set(expected)
    if missing:
        raise ModelFileError(f"lacks weight(s) {_list(missing)} for preset '{model.preset}'", path)
    if extra:
        raise ModelFileError(f"has unexpected weight(s) {_list(extra)} for preset '{model.preset}'", path)
    values = {}
    for name, var in expected.items():
        value = _numeric(stored[name], path, f"weights/{name}")
        if tuple(value.shape) != tuple(var.shape):
            raise ModelFileError(f"weight '{name}' has shape {tuple(value.shape)}, expected {tuple(var.shape)}", path)
        if not np.isfinite(value).all():
            raise ModelFileError(f"weight '{name}' holds NaN or infinite values", path)
        values[name] = value
    for name, var in expected.items():
        var.assign(values[name].astype(np.float32))


def _load_ordered(f, group: str, variables, path: str) -> bool:
    """Restore what ``_save_ordered`` wrote; False (variables untouched) when the file has none."""
    if group not in f:
        return False
    stored = f[group]
    keys = sorted(stored.keys())
    if len(keys) != len(variables):
        raise ModelFileError(f"has {len(keys)} {group} variables, expected {len(variables)}", path)
    values = []
    for key, var in zip(keys, variables, strict=True):
        value = _numeric(stored[key], path, f"{group}/{key}")
        if tuple(value.shape) != tuple(var.shape):
            raise ModelFileError(
                f"{group} variable '{var.path}' has shape {tuple(value.shape)}, expected {tuple(var.shape)}", path
            )
        if not np.isfinite(value).all():
            raise ModelFileError(f"{group} variable '{var.path}' holds NaN or infinite values", path)
        values.append(value)
    for value, var in zip(values, variables, strict=True):
        var.assign(value.astype(var.dtype))
    return True


def _load_latent(f, path: str, latent_dim: int) -> LatentCodes | None:
    if "latent" not in f:
        return None
    g = f["latent"]
    if "means" not in g:
        raise ModelFileError("has a latent group without means", path)
    means = _numeric(g["means"], path, "latent/means").astype(np.float32)
    if means.ndim != 2 or means.shape[1] != latent_dim:
        raise ModelFileError(f"latent means have shape {means.shape}, expected N×{latent_dim}", path)
    log_vars = _numeric(g["log_vars"], path, "latent/log_vars").astype(np.float32) if "log_vars" in g else None
    labels = _numeric(g["labels"], path, "latent/labels").astype(np.int32) if "labels" in g else None
    for name, arr in (("log_vars", log_vars), ("labels", labels)):
        if arr is not None and len(arr) != len(means):
            raise ModelFileError(f"latent {name} has {len(arr)} rows for {len(means)} means", path)
    if log_vars is not None and log_vars.shape != means.shape:
        raise ModelFileError(f"latent log_vars have shape {log_vars.shape}, means {means.shape}", path)
    for name, arr in (("means", means), ("log_vars", log_vars)):
        if arr is not None and not np.isfinite(arr).all():
            raise ModelFileError(f"latent {name} hold NaN or infinite values", path)
    return LatentCodes(means=means, log_vars=log_vars, labels=labels)
