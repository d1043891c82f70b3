"""What the user did to the map's data: classes hidden, what colours the points, thumbnails,
the per-image figures, the selection.

Plain data with change notification (``explorer.core.evented``), like ``MapState``: the toolbar,
the legend and the selection tool write it; the map's style, the thumbnail layer, the worst
list and the gallery follow it.
"""

from __future__ import annotations

import numpy as np

from vae_explorer.explorer.core.evented import EventedModel, Field

COLOR_BY = (("label", "Label"), ("reconstruction", "Reconstruction loss"), ("kl", "KL"), ("none", "None"))
METRICS = ("reconstruction", "kl")  # the colourings that need per-image figures
DRAG_MODES = ("pan", "rect", "lasso")


class MapDataState(EventedModel):
    """``changed(frozenset of names)`` after every change."""

    FIELDS = {
        "hidden": frozenset(),  # labels whose points are neither drawn nor clickable nor hoverable
        "color_by": "label",  # a key of COLOR_BY
        "thumbnails": False,  # the thumbnails are forced on (the toggle)
        "thumbnails_auto": True,  # ... and come on by themselves when zoomed in far enough
        "metrics": None,  # trainer.per_image.PerImageMetrics of ``metrics_codes``, or None
        "metrics_codes": None,  # the LatentCodes those figures belong to
        "selection": np.zeros(0, np.int64),  # indices of the selected held-out images, sorted
        "drag_mode": "pan",  # what a plain left drag does: one of DRAG_MODES
    }
    hidden = Field()
    color_by = Field()
    thumbnails = Field()
    thumbnails_auto = Field()
    metrics = Field()
    metrics_codes = Field()
    selection = Field()
    drag_mode = Field()

    def shown_mask(self, labels: np.ndarray | None, n: int) -> np.ndarray | None:
        """Which of ``n`` points are drawn (None: all of them)."""
        if not self.hidden or labels is None:
            return None
        return ~np.isin(np.asarray(labels), list(self.hidden))

    def toggle_class(self, label: int) -> None:
        self.hidden = self.hidden ^ {int(label)}

    def show_only(self, label: int, present) -> None:
        """Hide every class but ``label``; if that is already so, show them all again."""
        others = frozenset(int(v) for v in present) - {int(label)}
        self.hidden = frozenset() if self.hidden == others else others

    def metrics_for(self, codes) -> object | None:
        """The per-image figures if they belong to ``codes`` (else they are stale: None)."""
        return self.metrics if codes is not None and self.metrics_codes is codes else None
