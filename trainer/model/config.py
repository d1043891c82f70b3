"""What a training run needs to know, as plain data that round-trips through JSON."""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from typing import Any

from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.model.presets import get_preset

RECONSTRUCTION_LOSSES = ("bce", "mse")
# What reconstruction + KL is, per loss. With BCE it is the negative ELBO (a Bernoulli decoder).
# Squared error is no log-likelihood (a Gaussian one needs a variance and a constant), so with
# it the sum is only the training objective, and reports and `eval` name it so.
OBJECTIVES = {"bce": "neg_elbo", "mse": "sse_plus_kl"}
OBJECTIVE_LABELS = {"neg_elbo": "-ELBO", "sse_plus_kl": "SSE+KL"}
# Bounds that keep the largest model any setting or file can ask for within a desktop's memory
# (the `dense` preset on 1024×1024×3 images is ~400 M weights); a crafted model file must not
# make the app allocate tens of gigabytes before its weights are even compared.
# The default training, in the app and on the command line: with the `default` preset, 15
# epochs give a t-SNE map of legibility 91.5–92.1% (3 seeds; README, "The map").
DEFAULT_EPOCHS = 15
MAX_LATENT_DIM = 512
MAX_IMAGE_SIDE = 1024
_INT, _REAL, _TEXT = (numbers.Integral, "a whole number"), (numbers.Real, "a number"), (str, "text")
_KINDS = {
    "preset": _TEXT,
    "latent_dim": _INT,
    "beta": _REAL,
    "reconstruction": _TEXT,
    "kl_warmup_epochs": _INT,
    "epochs": _INT,
    "batch_size": _INT,
    "learning_rate": _REAL,
    "seed": _INT,
}

_FROM_PRESET = ("latent_dim", "batch_size", "learning_rate")


@dataclass
class TrainConfig:
    """Model and optimisation settings. ``None`` for the latent dim, batch size or learning
    rate means the preset's own (``default`` trains with batch 64 at 2e-3, the others with the
    tutorial's 128 at 1e-3)."""

    preset: str = "default"
    latent_dim: int | None = None
    beta: float = 1.0
    reconstruction: str = "bce"
    kl_warmup_epochs: int = 0
    epochs: int = DEFAULT_EPOCHS
    batch_size: int | None = None
    learning_rate: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise a UserError naming the first setting that makes no sense."""
        for f in fields(self):
            value, kind = getattr(self, f.name), _KINDS[f.name]
            if value is None and f.name in _FROM_PRESET:
                continue
            if isinstance(value, bool) or not isinstance(value, kind[0]):
                raise UserError(f"setting '{f.name}' must be {kind[1]} (got {value!r:.40})")
        preset = get_preset(self.preset)
        self.latent_dim = latent_dim = preset.latent_dim if self.latent_dim is None else self.latent_dim
        self.batch_size = batch_size = preset.batch_size if self.batch_size is None else self.batch_size
        self.learning_rate = rate = preset.learning_rate if self.learning_rate is None else self.learning_rate
        checks = [
            (
                1 <= int(latent_dim) <= MAX_LATENT_DIM,
                f"latent dimension must be 1–{MAX_LATENT_DIM} (got {self.latent_dim})",
            ),
            (self.beta >= 0, f"β must be ≥ 0 (got {self.beta})"),
            (
                self.reconstruction in RECONSTRUCTION_LOSSES,
                f"reconstruction loss must be one of {', '.join(RECONSTRUCTION_LOSSES)}",
            ),
            (self.kl_warmup_epochs >= 0, "KL warm-up must be ≥ 0 epochs"),
            (self.epochs >= 0, f"epochs must be ≥ 0 (got {self.epochs})"),
            (batch_size >= 1, f"batch size must be ≥ 1 (got {self.batch_size})"),
            (rate > 0, f"learning rate must be > 0 (got {self.learning_rate})"),
            (self.seed >= 0, f"seed must be ≥ 0 (got {self.seed})"),
        ]
        for ok, message in checks:
            if not ok:
                raise UserError(message)
        self.latent_dim = int(latent_dim)

    def kl_weight(self, epoch: int) -> float:
        """β, ramped linearly over the first ``kl_warmup_epochs`` epochs (0-based ``epoch``)."""
        if self.kl_warmup_epochs <= 0:
            return float(self.beta)
        return float(self.beta) * min(1.0, (epoch + 1) / self.kl_warmup_epochs)

    @property
    def resolved_batch_size(self) -> int:
        """``batch_size``, never None: ``validate`` put the preset's in place of None."""
        assert self.batch_size is not None, "TrainConfig.validate fills in the batch size"
        return self.batch_size

    @property
    def resolved_learning_rate(self) -> float:
        """``learning_rate``, never None: ``validate`` put the preset's in place of None."""
        assert self.learning_rate is not None, "TrainConfig.validate fills in the learning rate"
        return self.learning_rate

    @property
    def objective(self) -> str:
        """The name of reconstruction + KL for this loss: ``neg_elbo`` or ``sse_plus_kl``."""
        return OBJECTIVES[self.reconstruction]

    def continued(self, **changes: Any) -> TrainConfig:
        """The config for training this model further: optimisation settings may change, the
        architecture may not. A ``preset`` or ``latent_dim`` that differs is a UserError (the app
        and ``train --resume`` both say so instead of ignoring it); ``None`` values are ignored."""
        changes = {k: v for k, v in changes.items() if v is not None}
        for key in ("preset", "latent_dim"):
            if key in changes and changes[key] != getattr(self, key):
                raise UserError(
                    f"{key.replace('_', ' ')} {changes[key]} differs from the model's "
                    f"{getattr(self, key)}; a resumed model keeps its architecture"
                )
        return TrainConfig.from_dict({**self.to_dict(), **changes})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build from a dict (e.g. a model file's JSON); unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UserError(f"unknown setting(s): {', '.join(unknown)}")
        return cls(**data)


def check_image_shape(shape: Iterable[Any]) -> tuple[int, int, int]:
    """The H×W×C a model can be built for, or a UserError saying why not."""
    shape = tuple(int(d) for d in shape)
    if len(shape) != 3 or min(shape) < 1 or shape[2] not in (1, 3):
        raise UserError(f"images must be H×W×1 or H×W×3 (got {'×'.join(map(str, shape))})")
    if max(shape[:2]) > MAX_IMAGE_SIDE:
        raise UserError(
            f"images of {shape[0]}×{shape[1]} px are too large for a model: at most "
            f"{MAX_IMAGE_SIDE} px a side (resize them; an image folder takes --image-size)"
        )
    return shape
