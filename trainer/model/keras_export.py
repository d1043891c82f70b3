"""``.keras`` exports, for users who go on in Keras without this project.

The encoder and decoder are saved as copies built from stock Keras layers only: training uses
``FusedBatchNormalization`` (``trainer.model.fused_batchnorm``), a subclass that plain Keras cannot
deserialise, so each one is swapped for a ``keras.layers.BatchNormalization`` with the same
config and the same weights, moving statistics included. Such a file loads with
``keras.saving.load_model`` alone.

The whole VAE cannot be expressed in stock layers (its ``Sampling`` layer and the ``VAE``
model class, with its loss and trackers, are ours): that file loads after
``import vae_explorer.trainer.model.vae``, which registers those classes with Keras.
"""

from __future__ import annotations

import os
from typing import Any

from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.files.atomic import atomic_path

PARTS = ("vae", "encoder", "decoder")
WHOLE_VAE_NEEDS = "import vae_explorer.trainer.model.vae"


def plain_copy(model: Any) -> Any:
    """A copy of functional ``model`` in stock Keras layers, holding the same weights."""
    import keras

    from vae_explorer.trainer.model.fused_batchnorm import FusedBatchNormalization

    def stock(layer: Any) -> Any:
        if isinstance(layer, FusedBatchNormalization):
            return keras.layers.BatchNormalization.from_config(layer.get_config())
        return layer.__class__.from_config(layer.get_config())

    copy = keras.models.clone_model(model, clone_function=stock)
    copy.set_weights(model.get_weights())
    return copy


def export_keras(path: str | os.PathLike[str], model: Any, what: str = "vae") -> None:
    """Save the whole VAE, its encoder or its decoder as a ``.keras`` file, atomically."""
    path = os.fspath(path)
    if not path.endswith(".keras"):
        raise UserError("a Keras export must end in .keras", path)
    if what not in PARTS:
        raise UserError(f"cannot export '{what}' (choose {', '.join(PARTS)})")
    target = model if what == "vae" else plain_copy(getattr(model, what))
    with atomic_path(path, ".keras") as tmp:
        target.save(tmp)
