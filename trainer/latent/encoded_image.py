"""Encode a user's image with a model, and say which held-out images it lands among.

What ``vae-explorer encode`` prints and the app's Draw panel shows: the posterior mean and σ
(exp(½·log-variance)) of the image, and the labels of its 5 nearest held-out codes (Euclidean,
in the full latent space, among the held-out means the model file holds).

The data's polarity (white ink on black, or dark on light) is read from the held-out images
as the model reconstructs them: the decodes of the held-out means the model file holds. So the
command line needs no dataset, and the app and the command line agree for the same model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from vae_explorer.trainer.data.user_image import PreparedImage, is_white_on_black, prepare_image
from vae_explorer.trainer.latent.paths import prior_samples
from vae_explorer.trainer.model.space import LatentCodes, LatentSpace

NEIGHBOURS = 5
REFERENCE_IMAGES = 256  # held-out decodes that decide the polarity (their border mean)


@dataclass
class EncodedImage:
    """An image's posterior q(z|x): ``mean`` and ``log_var`` (latent-dim vectors), and the
    indices and labels of its nearest held-out codes (labels empty for unlabelled data)."""

    mean: np.ndarray
    log_var: np.ndarray
    neighbours: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    labels: list = field(default_factory=list)

    @property
    def sigma(self) -> np.ndarray:
        return np.exp(0.5 * np.asarray(self.log_var, np.float64)).astype(np.float32)

    def to_dict(self) -> dict:
        return {
            "mean": [float(v) for v in self.mean],
            "sigma": [float(v) for v in self.sigma],
            "neighbours": list(self.labels),
            "neighbour_indices": [int(i) for i in self.neighbours],
        }


def nearest_codes(z: np.ndarray, means: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """Indices of the ``k`` held-out means nearest to ``z`` (Euclidean), nearest first."""
    means = np.asarray(means, np.float64)
    if not len(means):
        return np.zeros(0, np.int64)
    distance = np.linalg.norm(means - np.asarray(z, np.float64).reshape(1, -1), axis=1)
    k = min(k, len(means))
    nearest = np.argpartition(distance, k - 1)[:k]
    return nearest[np.argsort(distance[nearest], kind="stable")]


def neighbour_labels(z: np.ndarray, codes: LatentCodes | None, k: int = NEIGHBOURS) -> tuple[np.ndarray, list]:
    """(indices, labels) of the ``k`` nearest held-out codes; labels ``[]`` when there are none."""
    if codes is None:
        return np.zeros(0, np.int64), []
    index = nearest_codes(z, codes.means, k)
    labels = [] if codes.labels is None else [int(codes.labels[i]) for i in index]
    return index, labels


def data_is_white_on_black(space: LatentSpace, codes: LatentCodes | None) -> bool:
    """The data's polarity from the decodes of the held-out means (of prior samples when the
    model holds no codes): dark borders mean white ink on black, as in MNIST."""
    if codes is not None and len(codes.means):
        z = np.asarray(codes.means[:REFERENCE_IMAGES], np.float32)
    else:
        z = prior_samples(REFERENCE_IMAGES, space.latent_dim)
    return is_white_on_black(space.decode(z))


class ImageEncoder:
    """Prepares image files for one model and encodes them (``space``: a ``LatentSpace``)."""

    def __init__(self, space: LatentSpace, codes: LatentCodes | None, white_on_black: bool | None = None) -> None:
        """``white_on_black``: the data's polarity when the caller has the data's images (the
        app); else it is read from the decodes of the held-out means."""
        self.space, self.codes = space, codes
        self.white_on_black = data_is_white_on_black(space, codes) if white_on_black is None else white_on_black

    def prepare(self, path: str | os.PathLike[str]) -> PreparedImage:
        """The file as the model's input (``ImageFileError`` naming it when it is not an image)."""
        return prepare_image(path, self.space.image_shape, self.white_on_black)

    def encode(self, pixels: np.ndarray) -> EncodedImage:
        """Posterior mean and log-variance of one H×W×C image, and its nearest held-out codes."""
        means, log_vars = self.space.encode(np.asarray(pixels, np.float32)[None])
        index, labels = neighbour_labels(means[0], self.codes)
        return EncodedImage(means[0], log_vars[0], index, labels)

    def encode_file(self, path: str | os.PathLike[str]) -> tuple[PreparedImage, EncodedImage]:
        prepared = self.prepare(path)
        return prepared, self.encode(prepared.pixels)
