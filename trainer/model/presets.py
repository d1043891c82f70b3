"""Named architectures. Each preset is plain data; ``trainer.model.vae`` turns it into layers.

``tutorial`` is the classic Keras conv-VAE tutorial, layer for layer (26,345 parameters for
28×28×1 and latent 2). ``default`` was chosen by measurement: see the README, "Choosing the
default preset", and ``benchmarks/choose_default.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from vae_explorer.trainer.errors import UserError


@dataclass(frozen=True)
class Preset:
    """An architecture: ``conv`` (strided Conv2D encoder, mirrored Conv2DTranspose decoder) or ``dense``."""

    name: str
    kind: str  # "conv" or "dense"
    filters: tuple[int, ...] = ()
    kernel_size: int = 3
    hidden: tuple[int, ...] = ()  # dense layers between the convolutions and the latent space
    batchnorm: bool = True
    latent_dim: int = 2
    batch_size: int = 128  # the training settings it was chosen with (the tutorial's: 128, Adam 1e-3)
    learning_rate: float = 1e-3
    description: str = ""


PRESETS: dict[str, Preset] = {
    "tutorial": Preset(
        "tutorial",
        "conv",
        filters=(8, 16),
        kernel_size=3,
        hidden=(20,),
        latent_dim=2,
        description="the classic Keras conv-VAE tutorial: Conv2D 8, 16 + BN, Dense 20, latent 2",
    ),
    "dcgan": Preset(
        "dcgan",
        "conv",
        filters=(128, 256, 512, 1024),
        kernel_size=5,
        hidden=(20,),
        latent_dim=2,
        description="the tutorial's wide variant: Conv2D 128-1024, kernel 5, BN, Dense 20",
    ),
    "dense": Preset(
        "dense",
        "dense",
        hidden=(128, 64),
        batchnorm=False,
        latent_dim=10,
        description="a plain MLP VAE: Dense 128, 64, latent 10",
    ),
    "default": Preset(
        "default",
        "conv",
        filters=(16, 32),
        kernel_size=3,
        hidden=(128,),
        batchnorm=False,
        latent_dim=16,
        batch_size=64,
        learning_rate=2e-3,
        description="conv 16, 32, Dense 128, latent 16, batch 64 at 2e-3: best held-out ELBO per CPU "
        "second, and a map as legible as the latent space (README, 'The map')",
    ),
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise UserError(f"unknown preset '{name}' (choose from {', '.join(PRESETS)})") from None
