"""Datasets by name or path: the embedded MNIST, Keras-layout .npz, IDX folders, image folders.

``load_dataset(spec)`` is the one entry point: ``spec`` is a name (``mnist-10k``, the default;
``mnist`` and ``fashion_mnist`` from the Keras cache when present) or a path.
"""

from __future__ import annotations

import os
from importlib import resources
from typing import Literal, overload

from vae_explorer.trainer.data.dataset import Dataset
from vae_explorer.trainer.data.idx import is_idx_folder, load_idx_folder
from vae_explorer.trainer.data.image_folder import load_image_folder
from vae_explorer.trainer.data.npz import load_npz
from vae_explorer.trainer.data.pixels import SPLIT_SEED
from vae_explorer.trainer.data.streaming import AnyDataset
from vae_explorer.trainer.errors import DatasetError

__all__ = ["DEFAULT_DATASET", "SPLIT_SEED", "Dataset", "known_datasets", "load_dataset"]

DEFAULT_DATASET = "mnist-10k"
MNIST_LABELS = [str(d) for d in range(10)]


def embedded_mnist_path() -> str:
    """The MNIST subset shipped as package data (8,000 train / 2,000 held out)."""
    return str(resources.files("vae_explorer").joinpath("mnist_10k.npz"))


def _keras_cache() -> str:
    return os.path.join(os.environ.get("KERAS_HOME", os.path.expanduser("~/.keras")), "datasets")


def known_datasets() -> dict[str, str]:
    """Names the user can pick without browsing, mapped to the path that serves each."""
    names = {DEFAULT_DATASET: embedded_mnist_path()}
    mnist = os.path.join(_keras_cache(), "mnist.npz")
    if os.path.isfile(mnist):
        names["mnist"] = mnist
    fashion = os.path.join(_keras_cache(), "fashion-mnist")
    if os.path.isdir(fashion) and is_idx_folder(fashion):
        names["fashion_mnist"] = fashion
    return names


def _resolved(spec: str | os.PathLike[str] | None) -> tuple[str | None, str]:
    """(known name or None, path) of a dataset name or path that exists."""
    spec = DEFAULT_DATASET if spec is None else os.fspath(spec)
    known = known_datasets()
    if spec in known:
        return spec, known[spec]
    if spec.replace("-", "_") in ("mnist", "fashion_mnist"):
        raise DatasetError(f"dataset '{spec}' is not in the Keras cache ({_keras_cache()})")
    if not os.path.exists(spec):
        raise DatasetError(f"no such file or folder (known names: {', '.join(sorted(known))})", spec)
    return None, spec


@overload
def load_dataset(
    spec: str | os.PathLike[str] | None = None,
    image_size: tuple[int, int] | None = None,
    split_seed: int = SPLIT_SEED,
    stream: Literal[False] = False,
) -> Dataset: ...


@overload
def load_dataset(
    spec: str | os.PathLike[str] | None = None,
    image_size: tuple[int, int] | None = None,
    split_seed: int = SPLIT_SEED,
    *,
    stream: bool | None,
) -> AnyDataset: ...


def load_dataset(
    spec: str | os.PathLike[str] | None = None,
    image_size: tuple[int, int] | None = None,
    split_seed: int = SPLIT_SEED,
    stream: bool | None = False,
) -> AnyDataset:
    """Load a dataset from a name or a path; raise DatasetError with the file and the problem.

    ``image_size`` applies to image folders; ``split_seed`` draws the held-out part of a dataset
    that has none. Leave it at ``SPLIT_SEED`` (what the app and ``train`` use) unless a model
    file recorded another one. ``stream``: True reads the training images from disk batch by
    batch (a ``StreamedDataset``, which the command line trains on), False (the default: what the
    app takes) loads them whatever their size, None streams only what would not fit the memory
    budget (``data.streaming``): ``train`` without --stream or --in-memory.
    """
    name, path = _resolved(spec)
    from vae_explorer.trainer.data.stream_open import open_streamed, wants_stream

    streamable = os.path.isdir(path) or path.lower().endswith(".npz")
    data: AnyDataset
    if streamable and stream is not False and wants_stream(path, image_size, stream):
        data = open_streamed(path, image_size, name, split_seed)
    elif os.path.isdir(path):
        if is_idx_folder(path):
            data = load_idx_folder(path, name=name)
        else:
            data = load_image_folder(path, image_size=image_size, name=name, split_seed=split_seed)
    elif path.lower().endswith(".npz"):
        data = load_npz(path, name=name, split_seed=split_seed)
    else:
        raise DatasetError("is not a dataset: expected an .npz file, an IDX folder or an image folder", path)
    if name in (DEFAULT_DATASET, "mnist") and data.label_names is None and data.has_labels:
        data.label_names = MNIST_LABELS
    if name == DEFAULT_DATASET:
        data.source = "embedded MNIST subset (8,000 train / 2,000 held out), CC BY-SA 3.0"
    return data
