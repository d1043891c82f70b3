"""What the app is working on: one model, its config and history, a dataset, the encoded map.

The one source of truth for those, with change notification (``core.evented``): every change ends
in one ``changed`` call naming the fields that changed. The title, the actions' enabled state,
the training part and the map subscribe to it; nobody has to remember to refresh them. The values
are the core's own objects (``trainer``), never copies in Qt types.
"""

from __future__ import annotations

import numpy as np

from vae_explorer.explorer.core.evented import EventedModel, Field
from vae_explorer.trainer.latent.health import LatentHealth, latent_health
from vae_explorer.trainer.maps.points import MapPoints


class Session(EventedModel):
    """The current model (or none yet) and what belongs to it.

    ``changed`` also names ``"model"`` when a model is *replaced* (``replace_model``) by one
    that happens to be the same object: a fresh Start recycles the last model's graphs.
    """

    FIELDS = {
        "model": None,  # trainer.model.vae.VAE
        "config": None,  # trainer.model.config.TrainConfig
        "history": [],  # per-epoch dicts; always assigned a new list, never appended to
        "dataset": None,  # trainer.data.Dataset the map and training use
        "dataset_info": {},  # the model file's description of its data
        "codes": None,  # trainer.model.space.LatentCodes of the held-out set
        "space": None,  # trainer.model.space.LatentSpace around ``model``
        "compiled": None,  # trainer.training.compiled.CompiledVAE of the last training, for reuse
        "path": None,  # the model file it was loaded from / saved to
        "dirty": False,  # trained since the last save
        "tf_ready": False,  # the TensorFlow half of the core has been imported
        "epoch_codes": None,  # trainer.maps.epoch_codes.EpochCodes: the held-out codes after each epoch
    }
    model = Field()
    config = Field()
    history = Field()
    dataset = Field()
    dataset_info = Field()
    codes = Field()
    space = Field()
    compiled = Field()
    path = Field()
    dirty = Field()
    tf_ready = Field()
    epoch_codes = Field()
    _health: tuple | None = None  # (codes, their LatentHealth)
    # Trained since ``codes`` were encoded (a Stop inside an epoch): saving encodes them again.
    # Otherwise they are the weights' own and a save writes them as they are (encoding the
    # held-out set again was a third of the save's freeze of the window).
    codes_behind = False

    def update(self, _also: tuple[str, ...] = (), **values) -> None:
        if "codes" in values:
            self.codes_behind = False
        super().update(_also, **values)

    def replace_model(self, **values) -> None:
        """A different model from now on (loaded, or a fresh Start): subscribers start over."""
        self.update(_also=("model",), **values)

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

    def label_text(self, label: int) -> str:
        """A label as the user reads it: its class name when the data has names."""
        names = self.label_names()
        return names[label] if names and 0 <= label < len(names) else str(label)

    def caption(self, index: int) -> str:
        """``#index · label (class name)``: how the hover card, the lists and the gallery name a
        held-out image."""
        labels = self.codes.labels if self.codes is not None else None
        if labels is None or not 0 <= index < len(labels):
            return f"#{index}"
        v, name = int(labels[index]), self.label_text(int(labels[index]))
        return f"#{index} · {v}" + (f" ({name})" if name != str(v) else "")

    def health(self) -> LatentHealth | None:
        """The latent health of the held-out codes (per-dimension KL, active units), or None
        without codes or their log-variances; computed once per set of codes."""
        codes = self.codes
        if codes is None or codes.log_vars is None or not len(codes.means):
            return None
        if self._health is None or self._health[0] is not codes:
            self._health = (codes, latent_health(codes.means, codes.log_vars))
        return self._health[1]

    def held_out_images(self) -> np.ndarray | None:
        """The images behind the map's points, when the dataset matches the model."""
        if self.dataset is None or self.model is None or self.codes is None:
            return None
        if tuple(self.dataset.image_shape) != tuple(self.model.image_shape):
            return None
        if len(self.dataset.x_test) != len(self.codes.means):
            return None
        return self.dataset.x_test

    def point_images(self, points: MapPoints | None, rows: np.ndarray | None = None) -> np.ndarray | None:
        """The images behind map points ``rows`` (all when None), or None when the dataset loaded
        is not the one the points come from (another size, another held-out set)."""
        if points is None or self.held_out_images() is None:
            return None
        rows = np.arange(len(points)) if rows is None else np.asarray(rows, np.int64)
        x_train = getattr(self.dataset, "x_train", None)
        if (
            x_train is not None
            and (points.sets == 1).any()
            and int(points.index[points.sets == 1].max()) >= len(x_train)
        ):
            return None
        return points.images(self.held_out_images(), x_train, rows)

    def point_caption(self, points: MapPoints | None, i: int) -> str:
        """``#index · label (class name)`` of a map point, ``train #index · …`` for a training image."""
        if points is None or not 0 <= i < len(points):
            return f"#{i}"
        where = "" if int(points.sets[i]) == 0 else "train "
        text = f"{where}#{int(points.index[i])}"
        if points.labels is None:
            return text
        v = int(points.labels[i])
        name = self.label_text(v)
        return f"{text} · {v}" + (f" ({name})" if name != str(v) else "")

    def encode_held_out(self) -> bool:
        """Encode the dataset's held-out images for the map, when they fit the model."""
        if (
            self.space is None
            or self.dataset is None
            or self.model is None
            or tuple(self.dataset.image_shape) != tuple(self.model.image_shape)
        ):
            return False
        self.codes = self.space.codes(self.dataset.x_test, self.dataset.y_test)
        return True
