"""TensorBoard logs of a training run (``vae-explorer train --tensorboard DIR``), as a listener.

Scalars per epoch and every N batches, a prior-sample grid and reconstructions of 8 fixed
held-out images per epoch, and at the end the held-out latent means with their labels and a
sprite image for the Embedding Projector. Everything goes through ``tf.summary`` writers and
``tf.summary.write`` with the TensorBoard plugins' own metadata, so only TensorFlow is needed
to write the logs (``tf.summary.scalar``/``image`` would import the separate ``tensorboard``
package); ``pip install tensorboard`` and ``tensorboard --logdir DIR`` read them.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.files.atomic import atomic_path
from vae_explorer.trainer.files.exports import reconstruction_sheet, samples
from vae_explorer.trainer.files.imagegrid import encode_png, tile
from vae_explorer.trainer.tf_runtime import import_tensorflow
from vae_explorer.trainer.training.reports import BatchReport, EpochReport, TrainingListener

if TYPE_CHECKING:
    from vae_explorer.trainer.data.streaming import AnyDataset
    from vae_explorer.trainer.model.space import LatentCodes, LatentSpace
    from vae_explorer.trainer.training.loop import Trainer

FIXED_IMAGES = 8
SAMPLE_COUNT = 64
MAX_SPRITE_SIDE = 8192  # the Embedding Projector refuses larger sprites
EPOCH_SCALARS = {
    "loss": "loss",
    "reconstruction": "reconstruction_loss",
    "kl": "kl_loss",
    "val_neg_elbo": "val_neg_elbo",
    "val_loss": "val_loss",
    "kl_weight": "kl_weight",
    "images_per_second": "images_per_second",
}
BATCH_SCALARS = {"loss": "loss", "reconstruction": "reconstruction_loss", "kl": "kl_loss"}


def _metadata(plugin: str, data_class: str) -> Any:
    from tensorflow.core.framework import summary_pb2

    return summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=plugin),
        data_class=getattr(summary_pb2, data_class),
    )


class TensorBoardLog(TrainingListener):
    """Writes the run to ``logdir`` and passes every report on to ``inner`` (e.g. a ProgressBar).

    ``space`` is the trainer's ``LatentSpace`` (it decodes with the current weights);
    ``dataset`` supplies the held-out images and labels. Call ``close`` when training ends.
    """

    def __init__(
        self,
        logdir: str,
        space: LatentSpace,
        dataset: AnyDataset,
        every: int = 50,
        inner: TrainingListener | None = None,
        seed: int = 0,
    ) -> None:
        if every < 1:
            raise UserError(f"--tensorboard-every must be ≥ 1 (got {every})")
        tf = import_tensorflow()
        _make_folder(logdir)
        self.logdir, self.space, self.dataset, self.every = logdir, space, dataset, every
        self.inner = inner or TrainingListener()
        self.writer = tf.summary.create_file_writer(logdir)
        self.fixed = np.asarray(dataset.x_test[:FIXED_IMAGES], np.float32)
        self.seed = seed
        self._scalar, self._image, self._histogram = (
            _metadata("scalars", "DATA_CLASS_SCALAR"),
            _metadata("images", "DATA_CLASS_BLOB_SEQUENCE"),
            _metadata("histograms", "DATA_CLASS_TENSOR"),
        )

    def on_batch(self, r: BatchReport) -> None:
        self.inner.on_batch(r)
        step = (r.epoch - 1) * r.batches + r.batch
        if step % self.every == 0:
            self._scalars("batch", {tag: getattr(r, name) for tag, name in BATCH_SCALARS.items()}, step)

    def on_epoch(self, r: EpochReport) -> None:
        self.inner.on_epoch(r)
        values = {tag: getattr(r, name) for tag, name in EPOCH_SCALARS.items()}
        values["learning_rate"] = float(self.space.model.optimizer.learning_rate.numpy())
        self._scalars("epoch", values, r.epoch)
        if r.health is not None:
            self._scalars("health", {"active_units": float(r.health.active_units)}, r.epoch)
            self._kl_per_dimension(r.health.kl_per_dim, r.epoch)
        self._images(r.epoch)
        self.writer.flush()

    def _scalars(self, group: str, values: dict[str, float], step: int) -> None:
        tf = import_tensorflow()
        with self.writer.as_default():
            for tag, value in values.items():
                tf.summary.write(f"{group}/{tag}", tf.constant(value, tf.float32), step=step, metadata=self._scalar)

    def _kl_per_dimension(self, kl: np.ndarray, step: int) -> None:
        """``health/kl_per_dim`` on the Histograms tab: bucket d spans [d, d+1) and holds the KL
        of dimension d, so the chart reads as the KL of each dimension, epoch after epoch."""
        tf = import_tensorflow()
        buckets = np.stack([np.arange(len(kl)), np.arange(1, len(kl) + 1), kl], axis=1).astype(np.float64)
        with self.writer.as_default():
            tf.summary.write("health/kl_per_dim", tf.constant(buckets), step=step, metadata=self._histogram)

    def _images(self, step: int) -> None:
        sheets = {"samples_from_prior": samples(self.space, SAMPLE_COUNT, self.seed)}
        if len(self.fixed):
            sheets["reconstructions"] = reconstruction_sheet(self.space, self.fixed, FIXED_IMAGES, cols=FIXED_IMAGES)
        tf = import_tensorflow()
        with self.writer.as_default():
            for tag, image in sheets.items():
                size = [str(image.shape[1]).encode(), str(image.shape[0]).encode()]  # width, height
                tf.summary.write(
                    f"images/{tag}", tf.constant(size + [encode_png(image)]), step=step, metadata=self._image
                )

    def close(self, codes: LatentCodes | None = None) -> None:
        """Flush the event file; with the held-out ``codes`` (LatentCodes), write the projector files."""
        if codes is not None and len(codes.means):
            write_projector(
                self.logdir,
                codes.means,
                self.dataset.x_test[: len(codes.means)],
                codes.labels,
                self.dataset.label_names,
            )
        self.writer.close()


def _make_folder(folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot be created ({exc.strerror or exc})", folder) from None
    if not os.access(folder, os.W_OK):
        raise UserError("folder is not writable", folder)


def _write_text(path: str, text: str, suffix: str) -> None:
    with atomic_path(path, suffix) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def write_projector(
    logdir: str,
    means: np.ndarray,
    images: np.ndarray,
    labels: np.ndarray | None = None,
    label_names: Sequence[str] | None = None,
) -> list[str]:
    """``tensors.tsv``, ``metadata.tsv``, ``sprite.png`` and ``projector_config.pbtxt`` for
    TensorBoard's Embedding Projector (TSV tensors: no checkpoint needed). Returns the names."""
    rows = "".join("\t".join(f"{v:.7g}" for v in row) + "\n" for row in np.asarray(means, np.float32))
    _write_text(os.path.join(logdir, "tensors.tsv"), rows, ".tsv")
    written = ["tensors.tsv"]
    if labels is not None:
        _write_text(os.path.join(logdir, "metadata.tsv"), _metadata_tsv(labels, label_names), ".tsv")
        written.append("metadata.tsv")
    images = np.asarray(images, np.float32)
    sprite = _sprite(images)
    if sprite is not None:
        with atomic_path(os.path.join(logdir, "sprite.png"), ".png") as tmp, open(tmp, "wb") as f:
            f.write(encode_png(sprite))
        written.append("sprite.png")
    _write_text(os.path.join(logdir, "projector_config.pbtxt"), _projector_config(written, images.shape), ".pbtxt")
    return written + ["projector_config.pbtxt"]


def _projector_config(files: list[str], image_shape: tuple[int, ...]) -> str:
    """The text-format ProjectorConfig naming the files written beside it."""
    lines = ["embeddings {", '  tensor_name: "held_out_latent_means"', '  tensor_path: "tensors.tsv"']
    if "metadata.tsv" in files:
        lines.append('  metadata_path: "metadata.tsv"')
    if "sprite.png" in files:  # single_image_dim: width, then height
        lines += [
            "  sprite {",
            '    image_path: "sprite.png"',
            f"    single_image_dim: {image_shape[2]}",
            f"    single_image_dim: {image_shape[1]}",
            "  }",
        ]
    return "\n".join(lines + ["}"]) + "\n"


def _metadata_tsv(labels: Iterable[Any], label_names: Sequence[str] | None) -> str:
    """One column (the label) or, with names, a header and two columns (label, name)."""
    values = [int(v) for v in labels]
    if not label_names:
        return "".join(f"{v}\n" for v in values)
    names = [label_names[v] if 0 <= v < len(label_names) else str(v) for v in values]
    return "label\tname\n" + "".join(f"{v}\t{n}\n" for v, n in zip(values, names, strict=True))


def _sprite(images: np.ndarray) -> np.ndarray | None:
    """The images in a square grid without padding, or None when that grid would be too large."""
    cols = math.ceil(math.sqrt(len(images)))
    if cols * max(images.shape[1:3]) > MAX_SPRITE_SIDE:
        return None
    return tile(images, cols=cols, pad=0)


def attach(trainer: Trainer, dataset: AnyDataset, logdir: str | None, every: int = 50) -> TensorBoardLog | None:
    """Put a TensorBoardLog in front of the trainer's listener when ``logdir`` is given."""
    if logdir is None:
        return None
    trainer.listener = TensorBoardLog(
        logdir, trainer.latent, dataset, every, inner=trainer.listener, seed=trainer.config.seed
    )
    return trainer.listener
