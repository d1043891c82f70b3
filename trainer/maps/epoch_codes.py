"""The held-out codes of every epoch of a run, and the maps that replay how the space organised.

During training the held-out set is encoded after every epoch (``EpochReport.latent_means``).
``EpochCodes`` keeps those means (2,000 × 16 float32 is 128 kB an epoch) up to ``MAX_EPOCHS``
epochs and ``MAX_BYTES`` in all; beyond that it drops every other stored epoch (never the
newest), so a long run still spans from its first epoch to its last, more thinly.

To replay, each epoch's codes are laid out on their own and aligned to the final map by
orthogonal Procrustes (a rotation or reflection and a shift, optionally a scale), so that the
axes of a per-epoch PCA, whose signs and order are arbitrary, do not make the picture flip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from vae_explorer.trainer.errors import ModelFileError

if TYPE_CHECKING:
    import h5py

    from vae_explorer.trainer.maps.layouts import Layout

MAX_EPOCHS = 200
GROUP = "epochs"  # in a model file: numbers (E), means (E×N×D float16), labels (N), all optional
MAX_BYTES = 64 * 2**20  # 200 epochs of 2,000 × 16 codes is 25 MB; a 10,000-image set keeps ~100


class EpochCodes:
    """Epoch numbers and the held-out means encoded after each (same images, same order)."""

    def __init__(self, max_epochs: int = MAX_EPOCHS):
        self.max_epochs = max(2, max_epochs)
        self.epochs: list[int] = []
        self.means: list[np.ndarray] = []
        self.labels: np.ndarray | None = None  # of the held-out images, as when recorded

    def __len__(self) -> int:
        return len(self.epochs)

    def clear(self) -> None:
        self.epochs, self.means, self.labels = [], [], None

    def add(self, epoch: int, means: np.ndarray, labels: np.ndarray | None = None) -> None:
        """Keep ``means`` (N×D) as epoch ``epoch``; a different N or D starts a new record."""
        means = np.asarray(means, np.float32).copy()
        if self.means and self.means[-1].shape != means.shape:
            self.clear()
        if labels is not None and len(labels) == len(means):
            self.labels = np.asarray(labels, np.int32).copy()
        self.epochs.append(int(epoch))
        self.means.append(means)
        if len(self.epochs) > min(self.max_epochs, max(2, MAX_BYTES // max(means.nbytes, 1))):
            keep = list(range(0, len(self.epochs) - 1, 2)) + [len(self.epochs) - 1]
            self.epochs = [self.epochs[i] for i in keep]
            self.means = [self.means[i] for i in keep]


def procrustes(plane: np.ndarray, target: np.ndarray, scale: bool = False) -> np.ndarray:
    """``plane`` (N×2) rotated or reflected, shifted (and scaled, if ``scale``) onto ``target``
    in the least-squares sense: the orthogonal Procrustes solution R = U Vᵀ of Aᵀ B = U S Vᵀ."""
    plane, target = np.asarray(plane, np.float64), np.asarray(target, np.float64)
    a, b = plane - plane.mean(axis=0), target - target.mean(axis=0)
    u, s, vt = np.linalg.svd(a.T @ b)
    rotation = u @ vt
    factor = float(s.sum() / max(np.sum(a * a), 1e-300)) if scale else 1.0
    return a @ rotation * factor + target.mean(axis=0)


def pca_plane(means: np.ndarray) -> np.ndarray:
    """The codes on their own first two principal axes (N×2; one axis: y = 0)."""
    means = np.asarray(means, np.float64)
    centred = means - means.mean(axis=0)
    if means.shape[1] == 1 or len(means) < 2:
        return np.c_[centred[:, :1], np.zeros(len(means))].astype(np.float32)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return (centred @ vt[:2].T).astype(np.float32)


def aligned_pca_plane(means: np.ndarray, final_plane: np.ndarray, scale: bool = False) -> np.ndarray:
    """An epoch's codes on their own PCA plane, aligned to the final map (``procrustes``)."""
    return procrustes(pca_plane(means), final_plane, scale=scale).astype(np.float32)


def write_epoch_codes(f: h5py.File, record: EpochCodes) -> None:
    """Into an open model file (h5py): float16 is plenty for a picture and halves the size
    (15 epochs of 2,000 × 16 codes: 1 MB)."""
    if not len(record):
        return
    group = f.create_group(GROUP)
    group.create_dataset("numbers", data=np.asarray(record.epochs, np.int32))
    group.create_dataset("means", data=np.stack(record.means).astype(np.float16))
    if record.labels is not None:
        group.create_dataset("labels", data=record.labels)


def read_epoch_codes(f: h5py.File, path: str, latent_dim: int) -> EpochCodes | None:
    """From an open model file; None if it has none (files written before they were kept).
    Shapes are checked before anything is read (``files.model_reading.numeric``)."""
    from vae_explorer.trainer.files.model_reading import numeric

    if GROUP not in f:
        return None
    group = f[GROUP]
    for name in ("numbers", "means"):
        if not hasattr(group.get(name), "shape"):
            raise ModelFileError(f"'{GROUP}/{name}' is missing", path)
    shape: tuple[int, ...] = getattr(group.get("means"), "shape", ())
    count = getattr(group.get("numbers"), "shape", ())
    if len(shape) != 3 or shape[2] != latent_dim or count != shape[:1]:
        raise ModelFileError(f"epoch codes have shape {shape} for {count} epochs, expected E×N×{latent_dim}", path)
    numbers, means = (
        numeric(group["numbers"], path, f"{GROUP}/numbers"),
        numeric(group["means"], path, f"{GROUP}/means"),
    )
    if not np.isfinite(means).all():
        raise ModelFileError("epoch codes hold NaN or infinite values", path)
    labels = None
    if "labels" in group:
        labels = numeric(group["labels"], path, f"{GROUP}/labels", shape[1:2], "epoch code labels")
    record = EpochCodes(max_epochs=max(MAX_EPOCHS, len(means)))
    for epoch, codes in zip(numbers, means, strict=True):
        record.add(int(epoch), codes, labels)
    return record


EXACT_KINDS = ("identity", "dims")  # these show an epoch's codes as they were, without any fitting


def replay_plane(record: EpochCodes, index: int, projection: Layout) -> np.ndarray:
    """Where a map under ``projection`` puts the codes of recorded epoch ``index``: as they were
    on the latent plane or two chosen dimensions; on PCA and t-SNE maps on that epoch's own PCA
    plane, aligned to the final map (and, for t-SNE, scaled: its replay uses PCA)."""
    means = record.means[index]
    if getattr(projection, "kind", None) in EXACT_KINDS:
        return np.asarray(projection.to_plane(means), np.float32)
    final = projection.to_plane(record.means[-1])
    return aligned_pca_plane(means, final, scale=projection.kind == "tsne")


def replay_description(kind: str) -> str:
    """How a replayed epoch is drawn, in words, for a map of projection ``kind``."""
    if kind in EXACT_KINDS:
        return "as they were"
    return "on that epoch's PCA plane, aligned to the final map" + (" (t-SNE replays as PCA)" if kind == "tsne" else "")
