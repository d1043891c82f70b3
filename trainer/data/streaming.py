"""Datasets larger than memory: the training images stream from disk through tf.data.

``load_dataset`` streams when the float32 images would not fit ``memory_budget()`` (a quarter of
the machine's memory), or when asked (``--stream``); small datasets keep the in-memory path.
A ``StreamedDataset`` holds in memory only its labels, the file list or row mask of its split,
and a bounded, seeded sample of its held-out images (at most ``HELD_OUT_SAMPLE`` images and
``HELD_OUT_SAMPLE_BYTES``): the map, the held-out loss and the model file's codes use that sample,
and its description says so (``held_out_sample``), so ``eval`` and ``--resume`` stream it again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias

import numpy as np

from vae_explorer.trainer.data.dataset import Dataset, Labelled

MEMORY_FRACTION = 0.25
HELD_OUT_SAMPLE = 10_000
HELD_OUT_SAMPLE_BYTES = 192 << 20  # 4,096 images of 64×64×3: a 1.5 GB run's share
SHUFFLE_IMAGES = 10_000
SHUFFLE_BYTES = 128 << 20
SAMPLE_SEED = 0


def memory_budget() -> int:
    """Bytes a dataset may take in memory before it is streamed: a quarter of physical memory."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 8 << 30  # unknown: assume a small desktop
    return int(total * MEMORY_FRACTION)


def bounded_count(wanted: int, image_bytes: int, max_bytes: int) -> int:
    """``wanted`` images, fewer if they would take more than ``max_bytes`` (at least one)."""
    return max(1, min(wanted, max_bytes // max(image_bytes, 1)))


def held_out_sample(n_test: int, image_bytes: int, seed: int = SAMPLE_SEED) -> np.ndarray:
    """Positions in the held-out set of the images kept in memory: all of them in their order when
    they fit, else a seeded random choice, in increasing order."""
    keep = bounded_count(HELD_OUT_SAMPLE, image_bytes, HELD_OUT_SAMPLE_BYTES)
    if n_test <= keep:
        return np.arange(n_test)
    return np.sort(np.random.default_rng(seed).choice(n_test, keep, replace=False))


class TrainSource(Protocol):
    """Where a streamed dataset's training images come from (``ArrayTrainSource``, ``FolderTrainSource``)."""

    def images(self, seed: int, epoch: int) -> Any:
        """Epoch ``epoch``'s shuffled float32 images, a ``tf.data.Dataset`` of single images."""
        ...


@dataclass
class StreamedDataset(Labelled):
    """What ``Dataset`` offers the trainer and the model file, with the training images left on
    disk: ``source.images(seed, epoch)`` yields them, one epoch's shuffle at a time."""

    name: str
    source: str
    image_shape: tuple[int, int, int]
    n_train: int
    n_test: int  # the whole held-out split; ``x_test`` is the in-memory sample of it
    x_test: np.ndarray
    y_test: np.ndarray | None
    train_source: TrainSource
    label_names: list[str] | None = None
    warnings: list[str] = field(default_factory=list)
    split: dict = field(default_factory=lambda: {"method": "given"})
    sample_seed: int = SAMPLE_SEED
    streamed = True

    def describe(self) -> dict:
        """``Dataset.describe`` of the sample, plus how the sample was drawn from what."""
        return {
            "name": self.name,
            "source": self.source,
            "image_shape": list(self.image_shape),
            "n_train": int(self.n_train),
            "n_test": int(len(self.x_test)),
            "label_names": list(self.label_names) if self.label_names else None,
            "split": dict(self.split),
            "held_out_sample": {"n": int(len(self.x_test)), "of": int(self.n_test), "seed": self.sample_seed},
            "held_out_sha256": self.held_out_digest(),
            "streamed": True,
        }

    def train_batches(self, batch_size: int, seed: int, epoch: int) -> Any:
        """Epoch ``epoch``'s shuffled float32 batches, prefetched while the model trains."""
        tf = _tf()
        images = self.train_source.images(seed, epoch)
        return images.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def shuffle_buffer(image_bytes: int) -> int:
    """Images held by the shuffle buffer of a sequentially read source."""
    return bounded_count(SHUFFLE_IMAGES, image_bytes, SHUFFLE_BYTES)


def _tf() -> Any:
    from vae_explorer.trainer.tf_runtime import import_tensorflow

    return import_tensorflow()


def float_bytes(shape: tuple[int, ...]) -> int:
    """Bytes of one float32 image of ``shape`` (H, W, C)."""
    return int(np.prod(shape)) * 4


# Either kind of dataset: what the trainer, the model file and the commands take.
AnyDataset: TypeAlias = Dataset | StreamedDataset
