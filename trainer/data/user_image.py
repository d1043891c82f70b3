"""A user's own image file made into exactly what a model takes: its size, its channels, [0, 1].

The image is decoded as the image-folder loader decodes (``trainer.data.image_folder``:
TensorFlow, decompression bombs refused before decoding), converted to the model's channel
count, padded to the model's aspect ratio with its own border colour (a digit photographed on
a wide page stays a digit, not a squashed one) and resized with antialiasing.

Polarity: MNIST is white ink on black, a photo or a scan is dark ink on white paper. When the
image's border is light and the model's data are dark at the border (or the other way round),
the image is inverted, and ``PreparedImage.note`` says so.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vae_explorer.trainer.errors import ImageFileError

LIGHT = 0.5  # a border mean above this (in [0, 1]) is a light background
LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R BT.601, as tf.image.rgb_to_grayscale


@dataclass
class PreparedImage:
    """``pixels``: H×W×C float32 in [0, 1], the model's input; ``inverted``: flipped to match the data."""

    path: str
    pixels: np.ndarray
    inverted: bool = False
    white_on_black: bool = True  # the polarity of the data it was matched to

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def note(self) -> str:
        """What was done to the image beyond resizing, for the user to read ("" when nothing)."""
        return INVERTED_NOTE[self.white_on_black] if self.inverted else ""


INVERTED_NOTE = {True: "inverted to match a white-on-black dataset", False: "inverted to match a dark-on-light dataset"}


def border_mean(images: np.ndarray) -> float:
    """Mean of the one-pixel frame of N×H×W×C (or H×W×C) images: the background's brightness."""
    x = np.asarray(images, np.float32)
    x = x[None] if x.ndim == 3 else x
    frame = np.concatenate(
        [
            x[:, 0].reshape(len(x), -1),
            x[:, -1].reshape(len(x), -1),
            x[:, 1:-1, 0].reshape(len(x), -1),
            x[:, 1:-1, -1].reshape(len(x), -1),
        ],
        axis=1,
    )
    return float(frame.mean())


def is_white_on_black(images: np.ndarray) -> bool:
    """True when the images' borders are dark on average (MNIST: about 0.0)."""
    return border_mean(images) <= LIGHT


def prepare_image(path: str | os.PathLike[str], image_shape: Sequence[int], white_on_black: bool) -> PreparedImage:
    """Read ``path`` and make it the model's input (``image_shape`` = H, W, C); a file that is not
    a readable image raises ``ImageFileError`` naming it."""
    path = os.fspath(path)
    image = read_image(path)
    pixels = fit_to_shape(image, tuple(image_shape))
    inverted = is_white_on_black(pixels) != white_on_black
    if inverted:
        pixels = 1.0 - pixels
    return PreparedImage(path, pixels, inverted, white_on_black)


def read_image(path: str) -> np.ndarray:
    """uint8 H×W×C (C = 1 or 3, transparency flattened) of an image file, or ``ImageFileError`` in one line."""
    from vae_explorer.trainer.data.image_decoding import decode_image_file, tf_problem
    from vae_explorer.trainer.tf_runtime import import_tensorflow

    tf = import_tensorflow()
    if os.path.isdir(path):
        raise ImageFileError("is a folder, not an image file", path)
    try:
        image = decode_image_file(path, tf, keep_alpha=True)
    except (ValueError, OSError, tf.errors.OpError) as exc:
        raise ImageFileError(f"cannot read it as a PNG or JPEG image ({tf_problem(exc)})", path) from None
    return flatten_alpha(image) if image.shape[-1] in (2, 4) else image


def flatten_alpha(image: np.ndarray) -> np.ndarray:
    """Composite a grey+alpha or RGBA image onto a background that contrasts with its opaque
    pixels: a drawing exported as dark strokes on a transparent page becomes dark on white (and
    light strokes become light on black), where dropping the alpha would give one flat colour."""
    colour, alpha = image[..., :-1].astype(np.float32), image[..., -1:].astype(np.float32) / 255.0
    if not np.any(alpha < 1.0):
        return image[..., :-1]
    luma = colour.mean(axis=-1, keepdims=True) if colour.shape[-1] == 1 else colour @ LUMA[:, None]
    ink_is_light = float((luma * alpha).sum() / max(float(alpha.sum()), 1e-6)) > 255 * LIGHT
    background = 0.0 if ink_is_light else 255.0
    return np.round(colour * alpha + background * (1.0 - alpha)).astype(np.uint8)


def fit_to_shape(image: np.ndarray, image_shape: Sequence[int]) -> np.ndarray:
    """uint8 H×W×C → the model's H×W×C in [0, 1]: channels, aspect (padded), then size."""
    from vae_explorer.trainer.tf_runtime import import_tensorflow

    height, width, channels = image_shape
    x = _to_channels(np.asarray(image, np.float32), channels)
    x = _pad_to_aspect(x, height / width)
    if x.shape[:2] != (height, width):
        x = import_tensorflow().image.resize(x, (height, width), antialias=True).numpy()
    return np.clip(x / 255.0, 0.0, 1.0).astype(np.float32)


def _to_channels(x: np.ndarray, channels: int) -> np.ndarray:
    if x.shape[-1] == channels:
        return x
    if channels == 1:
        return (x @ LUMA)[..., None]
    return np.repeat(x, channels, axis=-1)


def _pad_to_aspect(x: np.ndarray, aspect: float) -> np.ndarray:
    """Pad the short side evenly with the image's own border colour, to height/width = ``aspect``."""
    h, w = x.shape[:2]
    target_h, target_w = max(h, round(w * aspect)), max(w, round(h / aspect))
    if (target_h, target_w) == (h, w):
        return x
    fill = _border_colour(x)
    out = np.empty((target_h, target_w, x.shape[2]), np.float32)
    out[...] = fill
    top, left = (target_h - h) // 2, (target_w - w) // 2
    out[top : top + h, left : left + w] = x
    return out


def _border_colour(x: np.ndarray) -> np.ndarray:
    frame = np.concatenate([x[0], x[-1], x[:, 0], x[:, -1]])
    return frame.mean(axis=0)
