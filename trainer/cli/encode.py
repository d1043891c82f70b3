"""``vae-explorer encode MODEL.h5 IMAGE... [--json]``: where a user's images land in a model's latent space.

For each image: the posterior mean and σ = exp(½·log-variance) the encoder gives it (after
``trainer.data.user_image`` made it the model's input, inverted when its polarity differs from the
data's), and the labels of its 5 nearest held-out codes. A file that is not a readable image is
one line on stderr naming it and exit 2, after the images before it were printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from vae_explorer.trainer.data.user_image import PreparedImage
    from vae_explorer.trainer.latent.encoded_image import EncodedImage


def cmd_encode(args: argparse.Namespace) -> int:
    from vae_explorer.trainer.files.modelfile import load_model
    from vae_explorer.trainer.latent.encoded_image import ImageEncoder
    from vae_explorer.trainer.model.space import LatentSpace

    loaded = load_model(args.model)
    encoder = ImageEncoder(LatentSpace(loaded.model), loaded.latent)
    names = loaded.dataset.get("label_names") if loaded.dataset else None
    for path in args.images:
        prepared, encoded = encoder.encode_file(path)
        print(_json_line(prepared, encoded) if args.json else _text_line(prepared, encoded, names))
        sys.stdout.flush()
    return 0


def _json_line(prepared: PreparedImage, encoded: EncodedImage) -> str:
    return json.dumps({"file": prepared.path, **encoded.to_dict(), "inverted": prepared.inverted})


def _text_line(prepared: PreparedImage, encoded: EncodedImage, names: Sequence[str] | None) -> str:
    """``FILE: mean (…) sigma (…) nearest held-out: 7 7 1 7 9 [inverted …]``."""
    labels = [names[v] if names and v < len(names) else str(v) for v in encoded.labels]
    nearest = " ".join(labels) if labels else "(unlabelled data)"
    note = f" [{prepared.note}]" if prepared.note else ""
    return (
        f"{prepared.path}: mean {_vector(encoded.mean)} sigma {_vector(encoded.sigma)} "
        f"nearest held-out: {nearest}{note}"
    )


def _vector(v: ArrayLike) -> str:
    return "(" + ", ".join(f"{x:.3f}" for x in np.asarray(v).reshape(-1)) + ")"
