"""The map part's state: what the map draws, how latent space is laid out on it, where the user is.

Plain data with change notification (``explorer.core.evented``): the controller writes it, the
axes chooser edits the layout fields, and anything else (exports, tests, a future inverse map)
reads it without touching a widget.

``projection`` is the thing that maps latent ↔ plane: any object with ``to_plane(z)`` (N×D →
N×2), ``from_plane(p)`` (N×2 → N×D) and ``kind``. ``layout`` names the entry of
``explorer.map.layouts.LAYOUTS`` that built it.
"""

from __future__ import annotations

from vae_explorer.explorer.core.evented import EventedModel, Field


class MapState(EventedModel):
    """``changed(frozenset of names)`` after every change."""

    FIELDS = {
        "codes": None,  # the trainer.latent.LatentCodes drawn (the session's, not a copy)
        "layout": "tsne",  # a key of explorer.map.layouts.LAYOUTS (t-SNE first: the most legible map)
        "dims": (0, 1),  # the two latent dimensions of the "dims" layout
        "projection": None,  # latent ↔ plane for the codes drawn (trainer.latent.Projection or alike)
        "tsne": None,  # the newest trainer.layouts.TSNELayout of this model (computed in the background)
        "tsne_codes": None,  # the LatentCodes that layout was computed from
        "current": None,  # the latent point shown (float32 vector), or None
        "current_index": None,  # the held-out image it is the code of, or None
        "ends": {},  # interpolation endpoints {"A": z, "B": z}; a new dict on every change
        "frames": None,  # the decoded interpolation frames (N×H×W×C)
        "path": None,  # the latent points of those frames (N×D)
    }
    codes = Field()
    layout = Field()
    dims = Field()
    projection = Field()
    tsne = Field()
    tsne_codes = Field()
    current = Field()
    current_index = Field()
    ends = Field()
    frames = Field()
    path = Field()

    def forget_points(self) -> None:
        """A different model: no point, endpoint or frame of the old one means anything."""
        self.update(projection=None, tsne=None, tsne_codes=None, current=None, current_index=None, ends={}, frames=None, path=None)
