"""The map part's state: how latent space is laid out, what the user looks at, and how the points
are drawn. Plain data with change notification (``core.evented``), no Qt: the map part and the
tools write it, and anything else (exports, tests, session files, undo) reads it without touching
a widget.

``projection`` is what maps latent ↔ plane (``to_plane``, ``from_plane``, ``kind``, ``exact``),
built from the trainer's one layout registry (``trainer.maps.layouts``) under ``layout``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from vae_explorer.explorer.core.evented import EventedModel, Field

if TYPE_CHECKING:
    from vae_explorer.trainer.latent.per_image import PerImageMetrics

COLOR_BY = (
    ("label", "Label"),
    ("reconstruction", "Reconstruction loss"),
    ("kl", "KL"),
    ("set", "Set (held-out / training)"),
    ("none", "None"),
)
METRICS = ("reconstruction", "kl")  # the colourings that need per-image figures
DRAG_MODES = ("pan", "rect", "lasso")


class MapState(EventedModel):
    """``changed(frozenset of names)`` after every change."""

    FIELDS = {
        "which": "held-out",  # which images: a key of trainer.maps.points.WHICH
        "points": None,  # trainer.maps.points.MapPoints: the codes drawn and whose images they are
        "layout": "tsne",  # a name of trainer.maps.layouts.LAYOUTS (t-SNE first: the most legible map)
        "dims": (0, 1),  # the two latent dimensions of the "dims" layout
        "projection": None,  # latent ↔ plane for the codes drawn
        "plane": None,  # N×2: where the points are drawn now (the live map or a replayed epoch)
        "tsne": None,  # the newest trainer.maps.tsne.TSNELayout of this model (computed in the background)
        "tsne_points": None,  # the MapPoints that layout was computed from
        "current": None,  # the latent point shown (float32 vector), or None
        "current_index": None,  # the held-out image it is the code of, or None
        "ends": {},  # interpolation endpoints {"A": z, "B": z}; a new dict on every change
        "shown_epoch": None,  # the index of the recorded epoch the map replays; None: the live map
    }
    SAVED = ("which", "layout", "dims", "current", "current_index", "ends", "shown_epoch")
    which = Field()
    points = Field()
    layout = Field()
    dims = Field()
    projection = Field()
    plane = Field()
    tsne = Field()
    tsne_points = Field()
    current = Field()
    current_index = Field()
    ends = Field()
    shown_epoch = Field()

    def forget_points(self) -> None:
        """A different model: no point, endpoint or epoch of the old one means anything."""
        self.update(
            projection=None,
            plane=None,
            tsne=None,
            tsne_points=None,
            current=None,
            current_index=None,
            ends={},
            shown_epoch=None,
        )


class ViewState(EventedModel):
    """What the user did to how the points are drawn: classes hidden, what colours the points,
    thumbnails, the per-image figures, the selection and what a drag does."""

    FIELDS = {
        "hidden": frozenset(),  # labels whose points are neither drawn nor clickable nor hoverable
        "color_by": "label",  # a key of COLOR_BY
        "thumbnails": False,  # the thumbnails are forced on (the toggle)
        "thumbnails_auto": True,  # ... and come on by themselves when zoomed in far enough
        "metrics": None,  # trainer.latent.per_image.PerImageMetrics of ``metrics_codes``, or None
        "metrics_codes": None,  # the LatentCodes those figures belong to
        "selection": np.zeros(0, np.int64),  # indices of the selected held-out images, sorted
        "drag_mode": "pan",  # what a plain left drag does: one of DRAG_MODES
        "palette": "tab10",  # the class colours: a key of map.palettes.PALETTES
        "selected_by": "",  # how the last selection was made ("rect", "lasso", ""): what undo calls it
        # ((x0, x1), (y0, y1)) the user zoomed or panned to, written when the gesture ends; None: fit
        "view_range": None,
    }
    SAVED = ("hidden", "color_by", "thumbnails", "thumbnails_auto", "selection", "drag_mode", "palette", "view_range")
    hidden = Field()
    color_by = Field()
    thumbnails = Field()
    thumbnails_auto = Field()
    metrics = Field()
    metrics_codes = Field()
    selection = Field()
    drag_mode = Field()
    palette = Field()
    selected_by = Field()
    view_range = Field()

    def shown_mask(self, labels: np.ndarray | None, n: int) -> np.ndarray | None:
        """Which of ``n`` points are drawn (None: all of them)."""
        if not self.hidden or labels is None:
            return None
        return ~np.isin(np.asarray(labels), list(self.hidden))

    def toggle_class(self, label: int) -> None:
        self.hidden = self.hidden ^ {int(label)}

    def show_only(self, label: int, present, before: frozenset | None = None) -> None:
        """Hide every class but ``label``; if that was already so, show them all again. ``before``:
        the classes hidden before a double click's first click toggled one of them."""
        others = frozenset(int(v) for v in present) - {int(label)}
        was = self.hidden if before is None else before
        self.hidden = frozenset() if was == others else others

    def metrics_for(self, codes) -> PerImageMetrics | None:
        """The per-image figures if they belong to ``codes`` (else they are stale: None)."""
        return self.metrics if codes is not None and self.metrics_codes is codes else None
