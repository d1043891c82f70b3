"""The in-memory dataset every loader returns: float32 images in [0, 1], shape N×H×W×C."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from vae_explorer.trainer.data.streaming import AnyDataset


class Labelled:
    """The label lookups and the held-out checksum ``Dataset`` and ``StreamedDataset`` share."""

    x_test: np.ndarray
    y_test: np.ndarray | None
    label_names: list[str] | None
    _digest: tuple | None = None  # (x_test, y_test, checksum) of the last ``held_out_digest``

    def held_out_digest(self) -> str:
        """A checksum of the held-out images (as 8-bit pixels) and labels: what a model file
        records so that reloading its data can tell whether the same images are held out. Kept
        for the same arrays (nothing changes a dataset's arrays in place): a Start asked for it
        twice on the GUI thread (100 ms at 10,000 images); the dataset chooser computes it once
        as the dataset loads."""
        kept = self._digest
        if kept is None or kept[0] is not self.x_test or kept[1] is not self.y_test:
            kept = (self.x_test, self.y_test, held_out_checksum(self.x_test, self.y_test))
            self._digest = kept
        return kept[2]

    @property
    def has_labels(self) -> bool:
        return self.y_test is not None

    def label_name(self, label: int) -> str:
        if self.label_names and 0 <= label < len(self.label_names):
            return self.label_names[label]
        return str(label)


def held_out_checksum(x_test: np.ndarray, y_test: np.ndarray | None) -> str:
    """SHA-256 of the shape, the images rounded to 8-bit pixels and the labels as int32, taken a
    thousand images at a time (the same bytes in the same order as the whole array at once,
    without a whole-sample temporary copy)."""
    digest = hashlib.sha256(repr(x_test.shape).encode())
    for i in range(0, len(x_test), 1000):
        digest.update(np.ascontiguousarray(np.round(x_test[i : i + 1000] * 255.0).astype(np.uint8)).data)
    if y_test is not None:
        digest.update(np.ascontiguousarray(y_test, dtype="<i4").data)
    return digest.hexdigest()


@dataclass
class Dataset(Labelled):
    """Train and held-out images with optional integer labels.

    ``x_*`` are float32 in [0, 1] with shape N×H×W×C; ``y_*`` are int32 of length N or None.
    ``warnings`` lists what a loader skipped (unreadable files...), for the user to see.
    ``split`` says where the held-out part came from: ``{"method": "given"}`` (the files had
    one) or ``{"method": "random", "seed": ..., "fraction": ...}`` (``pixels.split_held_out``).
    """

    name: str
    source: str
    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray | None = None
    y_test: np.ndarray | None = None
    label_names: list[str] | None = None
    warnings: list[str] = field(default_factory=list)
    split: dict = field(default_factory=lambda: {"method": "given"})
    # each image's file, relative to the folder (image folders only): (train files, held-out files)
    files: tuple[list[str], list[str]] | None = None

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(int(d) for d in self.x_train.shape[1:])  # type: ignore[return-value]

    def describe(self) -> dict:
        """A JSON-able description, stored in model files so the app can say what a model saw."""
        return {
            "name": self.name,
            "source": self.source,
            "image_shape": list(self.image_shape),
            "n_train": int(len(self.x_train)),
            "n_test": int(len(self.x_test)),
            "label_names": list(self.label_names) if self.label_names else None,
            "split": dict(self.split),
            "held_out_sha256": self.held_out_digest(),
        }

    def subset(self, n_train: int, n_test: int) -> Dataset:
        """The first images of each split: for quick runs and tests."""
        return Dataset(
            name=self.name,
            source=self.source,
            x_train=self.x_train[:n_train],
            x_test=self.x_test[:n_test],
            y_train=None if self.y_train is None else self.y_train[:n_train],
            y_test=None if self.y_test is None else self.y_test[:n_test],
            label_names=self.label_names,
            warnings=list(self.warnings),
            split=dict(self.split),
            files=None if self.files is None else (self.files[0][:n_train], self.files[1][:n_test]),
        )

    def file_of(self, set_index: int, index: int) -> str | None:
        """The file of image ``index`` of the held-out (0) or training (1) set, when known."""
        if self.files is None:
            return None
        names = self.files[1] if set_index == 0 else self.files[0]
        return names[index] if 0 <= index < len(names) else None


def recorded_split_seed(description: dict) -> int | None:
    """The split seed a model file's dataset description records, if it records a valid one."""
    split = description.get("split")
    seed = split.get("seed") if isinstance(split, dict) else None
    return seed if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0 else None


def held_out_status(dataset: AnyDataset, description: dict) -> str:
    """``verified`` when ``dataset`` holds out the images a model file's description recorded,
    ``differs`` when it does not, ``unverified`` when the file records no checksum."""
    recorded = description.get("held_out_sha256")
    if not isinstance(recorded, str):
        return "unverified"
    return "verified" if recorded == dataset.held_out_digest() else "differs"
