"""The Draw part's state: the user's drawing and image files, encoded, and which one is chosen.

Plain data with change notification (``explorer.core.evented``): the controller writes it; the
panel, the map markers and the ellipses read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from vae_explorer.explorer.core.evented import EventedModel, Field

if TYPE_CHECKING:
    from vae_explorer.trainer.latent.encoded_image import EncodedImage


@dataclass(frozen=True)
class PlacedImage:
    """One image on the map: what the model was given, its posterior, what the model made of it."""

    name: str  # the file name, or "drawing"
    pixels: np.ndarray  # H×W×C in [0, 1], the encoder's input
    encoded: EncodedImage
    reconstruction: np.ndarray  # decode of the posterior mean
    note: str = ""  # e.g. "inverted to match a white-on-black dataset"
    path: str | None = None  # the file it came from (None for the drawing)


class DrawState(EventedModel):
    """``changed(frozenset of names)`` after every change."""

    FIELDS = {
        "drawing": None,  # PlacedImage of the canvas, or None while the canvas is blank
        "images": (),  # PlacedImage of each opened or dropped file, in the order they came
        "chosen": None,  # what Set A / Set B take: None (the drawing) or an index into images
    }
    drawing = Field()
    images = Field()
    chosen = Field()

    def chosen_image(self) -> PlacedImage | None:
        if self.chosen is None or self.chosen >= len(self.images):
            return self.drawing
        return self.images[self.chosen]

    def placed(self) -> list[PlacedImage]:
        """Everything shown on the map: the drawing (if any) first, then the files."""
        return ([self.drawing] if self.drawing is not None else []) + list(self.images)
