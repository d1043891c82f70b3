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
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from vae_explorer.trainer import __version__
from vae_explorer.trainer.errors import ModelFileError
from vae_explorer.trainer.files.atomic import atomic_path
from vae_explorer.trainer.files.model_reading import (
    FORMAT_NAME,
    FORMAT_VERSION,
    config_from,
    finite,
    header,
    load_ordered,
    load_weights,
    numeric,
    opened,
    stored_datasets,
)
from vae_explorer.trainer.maps.epoch_codes import EpochCodes, read_epoch_codes, write_epoch_codes
from vae_explorer.trainer.model.config import TrainConfig
from vae_explorer.trainer.model.space import LatentCodes

if TYPE_CHECKING:
    from vae_explorer.trainer.model.vae import VAE

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "ModelFile", "load_model", "read_header", "save_model"]


@dataclass
class ModelFile:
    """Everything a model file holds, with the VAE rebuilt and its weights loaded."""

    model: VAE
    config: TrainConfig
    history: list[dict] = field(default_factory=list)
    dataset: dict = field(default_factory=dict)
    latent: LatentCodes | None = None
    optimizer_restored: bool = False
    epoch_codes: EpochCodes | None = None  # None: the file has none (older files, the CLI's)


def save_model(
    path: str | os.PathLike[str],
    model: VAE,
    config: TrainConfig,
    history: Iterable[dict] = (),
    dataset: dict | None = None,
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


def _save_ordered(f: h5py.File, group: str, variables: Iterable[Any]) -> None:
    """Variables by position, each named in an attribute: their paths are not unique."""
    g = f.create_group(group)
    for i, var in enumerate(variables):
        g.create_dataset(f"{i:05d}", data=np.asarray(var.numpy())).attrs["name"] = var.path


def _keras_version() -> str:
    import keras

    return keras.__version__


def read_header(path: str | os.PathLike[str]) -> dict:
    """Format, version, config, history, dataset description and sizes, without TensorFlow."""
    path = os.fspath(path)
    with opened(path) as f:
        head = header(f, path)
        head["parameters"] = sum(int(ds.size) for ds in stored_datasets(f.get("weights")).values())
        means = f.get("latent/means")
        head["latent_codes"] = int(means.shape[0]) if isinstance(means, h5py.Dataset) and means.shape else 0
        return head


def load_model(path: str | os.PathLike[str]) -> ModelFile:
    """Rebuild the VAE a file describes and load its weights, checking every name and shape."""
    from vae_explorer.trainer.model.vae import build_vae

    path = os.fspath(path)
    with opened(path) as f:
        head = header(f, path)
        config, shape = config_from(head, path)
        model = build_vae(
            config.preset,
            config.latent_dim,
            shape,
            config.beta,
            config.reconstruction,
            seed=config.seed,
            learning_rate=config.resolved_learning_rate,
        )
        load_weights(f, model, path)
        optimizer_restored = load_ordered(f, "optimizer", model.optimizer.variables, path)
        load_ordered(f, "random", model.random_state(), path)
        latent = _load_latent(f, path, int(model.latent_dim))
        epoch_codes = read_epoch_codes(f, path, int(model.latent_dim))
    return ModelFile(
        model=model,
        config=config,
        history=head["history"],
        dataset=head["dataset"],
        latent=latent,
        epoch_codes=epoch_codes,
        optimizer_restored=optimizer_restored,
    )


def _load_latent(f: h5py.File, path: str, latent_dim: int) -> LatentCodes | None:
    """The encoded held-out set the file keeps for the map (None: it keeps none)."""
    if "latent" not in f:
        return None
    g = f["latent"]
    if not isinstance(g, h5py.Group) or "means" not in g:
        raise ModelFileError("has a latent group without means", path)
    shape: tuple[int, ...] = g["means"].shape if isinstance(g["means"], h5py.Dataset) else ()
    if len(shape) != 2 or shape[1] != latent_dim:
        raise ModelFileError(f"latent means have shape {shape}, expected N×{latent_dim}", path)
    means = finite(numeric(g["means"], path, "latent/means").astype(np.float32), path, "latent means hold")
    log_vars = labels = None
    if "log_vars" in g:
        log_vars = numeric(g["log_vars"], path, "latent/log_vars", shape, "latent log_vars").astype(np.float32)
        finite(log_vars, path, "latent log_vars hold")
    if "labels" in g:
        labels = numeric(g["labels"], path, "latent/labels", shape[:1], "latent labels").astype(np.int32)
    return LatentCodes(means=means, log_vars=log_vars, labels=labels)
