"""A folder of PNG/JPEG/BMP/GIF images: one subfolder per class, or flat and unlabelled.

One rule decides which images are held out, whether the folder is loaded into memory here or
streamed (``data.stream_folder``): the files are listed, those that do not even start as an
image are skipped and named, and the held-out part is drawn from the rest (``split_folder``).
Images are then decoded with TensorFlow (``data.image_decoding``); a file that still cannot be
decoded is dropped from its part and named, so both paths hold out the same images. A folder
with no usable image is an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from vae_explorer.trainer.data.dataset import Dataset
from vae_explorer.trainer.data.image_decoding import DEFAULT_SIZE, MAX_PIXELS, DecodedFolder, not_an_image
from vae_explorer.trainer.data.pixels import SPLIT_SEED, check_splits, random_split, split_held_out
from vae_explorer.trainer.errors import DatasetError

__all__ = ["DEFAULT_SIZE", "HELD_OUT_FRACTION", "MAX_PIXELS", "FolderSplit", "load_image_folder", "split_folder"]

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
HELD_OUT_FRACTION = 0.2
PROGRESS_EVERY = 64  # files decoded between two progress reports


def _is_image(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def _list_files(folder: str) -> tuple[list[tuple[str, int | None]], list[str] | None]:
    """(path, label) pairs, and the class names when the folder has one subfolder per class."""
    entries = sorted(os.listdir(folder))
    classes = [e for e in entries if os.path.isdir(os.path.join(folder, e)) and not e.startswith(".")]
    class_files = {c: sorted(f for f in os.listdir(os.path.join(folder, c)) if _is_image(f)) for c in classes}
    classes = [c for c in classes if class_files[c]]
    if classes:
        files: list[tuple[str, int | None]] = [
            (os.path.join(folder, c, f), label) for label, c in enumerate(classes) for f in class_files[c]
        ]
        return files, classes
    return [(os.path.join(folder, f), None) for f in entries if _is_image(f)], None


class FolderSplit:
    """The readable files of a folder, their labels, and which are held out (indices, in order)."""

    def __init__(self, folder: str, seed: int):
        files, self.class_names = _list_files(folder)
        problems = [not_an_image(path) for path, _ in files]
        pairs = list(zip(files, problems, strict=True))
        self.warnings = [f"{path}: skipped, {problem}" for (path, _), problem in pairs if problem]
        kept = [f for f, problem in pairs if not problem]
        if not files:
            raise DatasetError("holds no PNG, JPEG, BMP or GIF images", folder)
        if not kept:
            raise DatasetError(f"holds no image that could be decoded ({len(files)} tried)", folder)
        self.paths = np.array([path for path, _ in kept])
        self.labels = None if self.class_names is None else np.array([label for _, label in kept], np.int32)
        self.train, _, self.test, _ = split_held_out(np.arange(len(kept)), None, HELD_OUT_FRACTION, folder, seed)


def split_folder(folder: str, seed: int = SPLIT_SEED) -> FolderSplit:
    """The one split rule of image folders, for the in-memory and the streamed loader."""
    return FolderSplit(os.fspath(folder), seed)


def load_image_folder(
    folder: str | os.PathLike[str],
    image_size: tuple[int, int] | None = None,
    name: str | None = None,
    split_seed: int = SPLIT_SEED,
    progress: Callable[[int, int], None] | None = None,
) -> Dataset:
    """Decode, convert to one channel count and one size, scale to [0, 1], hold 20% out.
    ``progress(done, total)`` is called as the files are decoded (the app's progress bar)."""
    folder = os.fspath(folder)
    split = split_folder(folder, split_seed)
    decoded = DecodedFolder(folder, None if image_size is None else (image_size[0], image_size[1]))
    for i, path in enumerate(split.paths):
        decoded.add(str(path))
        if progress is not None and (i % PROGRESS_EVERY == 0 or i == len(split.paths) - 1):
            progress(i + 1, len(split.paths))
    if not decoded.images:
        raise DatasetError(f"holds no image that could be decoded ({len(split.paths)} tried)", folder)
    x = decoded.array()
    parts = [_part(split, decoded, x, which) for which in (split.train, split.test)]
    (x_train, y_train, train_files), (x_test, y_test, test_files) = parts
    check_splits(x_train, x_test, folder)
    return Dataset(
        name=name or os.path.basename(os.path.normpath(folder)),
        source=os.path.abspath(folder),
        x_train=x_train,
        x_test=x_test,
        y_train=y_train,
        y_test=y_test,
        label_names=split.class_names,
        warnings=split.warnings + decoded.warnings,
        split=random_split(HELD_OUT_FRACTION, split_seed),
        files=([os.path.relpath(p, folder) for p in train_files], [os.path.relpath(p, folder) for p in test_files]),
    )


def _part(
    split: FolderSplit, decoded: DecodedFolder, x: np.ndarray, which: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """The decoded images (labels, files) of one part of the split, in the split's order."""
    rows = [decoded.rows[i] for i in which if decoded.rows[i] is not None]
    kept = [i for i in which if decoded.rows[i] is not None]
    return x[rows], None if split.labels is None else split.labels[kept], [str(split.paths[i]) for i in kept]
