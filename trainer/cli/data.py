"""What the commands share: the data a model file was trained on, reloaded and checked; and
whether an output folder can be written (checked before any work, so nothing half-done is left)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from vae_explorer.trainer.errors import UserError

if TYPE_CHECKING:
    from vae_explorer.trainer.data.streaming import AnyDataset
    from vae_explorer.trainer.files.modelfile import ModelFile
    from vae_explorer.trainer.maps.points import MapPoints
    from vae_explorer.trainer.model.space import LatentCodes, LatentSpace


def dataset_spec(args: argparse.Namespace, description: dict | None = None) -> str | None:
    """``--data`` if given, else the dataset a model file describes (its path, else its name)."""
    if args.data is not None:
        return args.data
    description = description or {}
    source, name = description.get("source", ""), description.get("name")
    if source and os.path.exists(source):
        return source
    return name or None


def model_dataset(args: argparse.Namespace, loaded: ModelFile, model_path: str) -> tuple[AnyDataset, str]:
    """The data a model was trained on (or ``--data``), for ``eval``, ``export`` and ``--resume``:
    an image folder is decoded at the model's image size (or ``--image-size``), a dataset without
    a split is split as the file recorded, and the held-out images are checked against the
    file's checksum. Returns the dataset and ``verified``, ``differs`` or ``unverified``."""
    from vae_explorer.trainer.data import SPLIT_SEED, load_dataset
    from vae_explorer.trainer.data.dataset import recorded_split_seed

    shape = tuple(loaded.model.image_shape)
    split_seed = recorded_split_seed(loaded.dataset)
    stream = getattr(args, "stream", None)  # a model trained on a streamed set: its held-out sample
    stream = True if stream is None and "held_out_sample" in loaded.dataset else stream
    dataset = load_dataset(
        dataset_spec(args, loaded.dataset),
        args.image_size or (shape[0], shape[1]),
        split_seed=SPLIT_SEED if split_seed is None else split_seed,
        stream=stream,
    )
    if dataset.image_shape != shape:
        raise UserError(f"holds {dataset.image_shape} images but the model takes {shape}", dataset.source)
    return dataset, check_held_out(dataset, loaded.dataset, model_path)


def check_held_out(dataset: AnyDataset, description: dict, model_path: str) -> str:
    """Say in one line when the held-out images may not be those the model held out."""
    from vae_explorer.trainer.data.dataset import held_out_status

    status = held_out_status(dataset, description)
    if status == "differs":
        print(
            f"vae-explorer: warning: {dataset.source}: the held-out images are not the images "
            f"{model_path} held out in training (checksum differs)",
            file=sys.stderr,
        )
    elif status == "unverified" and dataset.split.get("method") == "random":
        print(
            f"vae-explorer: warning: {model_path}: records no held-out checksum (saved by an older "
            "version): cannot check that these are the images it held out",
            file=sys.stderr,
        )
    return status


def chosen_points(
    space: LatentSpace, dataset: AnyDataset | None, which: str, held_out: LatentCodes | None = None
) -> MapPoints:
    """The ``--points`` of a command: the held-out codes (``held_out``, or encoded from the data)
    and, for ``train`` or ``all``, the training images encoded; a sample above 100,000 is said."""
    from vae_explorer.trainer.data.dataset import Dataset
    from vae_explorer.trainer.maps.points import choose_points

    if held_out is None:
        if dataset is None:
            raise UserError("needs the model's data for these points")
        held_out = space.codes(dataset.x_test, dataset.y_test)
    train = None
    if which != "held-out":
        if not isinstance(dataset, Dataset):
            raise UserError(f"--points {which} needs the training images in memory (the model streams its data)")
        train = (*space.encode(dataset.x_train), dataset.y_train)
    points = choose_points(which, (held_out.means, held_out.log_vars, held_out.labels), train)
    if points.sample is not None:
        print(f"vae-explorer: the map shows {points.describe()}", file=sys.stderr)
    return points


def check_writable(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError("folder does not exist", folder)
    if not os.access(folder, os.W_OK):
        raise UserError("folder is not writable", folder)
