"""What the app is working on: one model, its config and history, a dataset, the encoded map.

A plain object (no Qt): the widgets read it and the main window changes it. It holds the
trainer's objects, so everything here is the core's own data, never a copy in Qt types.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Session:
    """The current model (or none yet) and what belongs to it."""

    model: object | None = None  # trainer.model.VAE
    config: object | None = None  # trainer.config.TrainConfig
    history: list[dict] = field(default_factory=list)
    dataset: object | None = None  # trainer.data.Dataset the map and training use
    dataset_info: dict = field(default_factory=dict)  # the model file's description of its data
    codes: object | None = None  # trainer.latent.LatentCodes of the held-out set
    space: object | None = None  # trainer.latent.LatentSpace around ``model``
    compiled: object | None = None  # trainer.training.CompiledVAE of the last training, for reuse
    path: str | None = None  # the model file it was loaded from / saved to
    dirty: bool = False  # trained since the last save

    @property
    def has_model(self) -> bool:
        return self.model is not None

    @property
    def latent_dim(self) -> int:
        return int(self.model.latent_dim) if self.model is not None else 2

    def label_names(self) -> list[str] | None:
        if self.dataset is not None and self.dataset.label_names:
            return list(self.dataset.label_names)
        names = self.dataset_info.get("label_names") if self.dataset_info else None
        return list(names) if names else None

    def held_out_images(self) -> np.ndarray | None:
        """The images behind the map's points, when the dataset matches the model."""
        if self.dataset is None or self.model is None or self.codes is None:
            return None
        if tuple(self.dataset.image_shape) != tuple(self.model.image_shape):
            return None
        if len(self.dataset.x_test) != len(self.codes.means):
            return None
        return self.dataset.x_test
