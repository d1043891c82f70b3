"""Replay the map epoch by epoch: the held-out codes of every epoch of the run, and a slider.

The training part puts each epoch's codes into the ``Session`` together with the epoch's
history row (one ``changed`` naming both ``codes`` and ``history``, without ``model``); that
is what is recorded here, in the session's ``epoch_codes`` (a ``trainer.maps.epoch_codes.EpochCodes``,
saved with the model). A fresh Start starts a new record, an opened file brings its own (or
none), Continue extends it.
Moving the slider redraws the map's points for that epoch (``trainer.maps.epoch_codes`` lays them
out); at the right end the map part draws the live map again.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer

from vae_explorer.trainer.maps.epoch_codes import EpochCodes, aligned_pca_plane

EXACT_KINDS = ("identity", "dims")  # these show the codes as they were, without any fitting


class EpochScrub(QObject):
    """``tab`` is the ``SpaceTab`` holding the slider; ``part`` the ``MapController``."""

    def __init__(self, part, tab):
        super().__init__(part)
        self.part, self.tab, self.session = part, tab, part.session
        if self.session.epoch_codes is None:
            self.session.epoch_codes = EpochCodes()
        self.scrubbed = False  # the map shows a past epoch, not the live codes
        self.session.changed.connect(self._session_changed)
        part.state.changed.connect(self._state_changed)
        tab.epoch_slider.valueChanged.connect(self.show_epoch)

    @property
    def record(self) -> EpochCodes:
        return self.session.epoch_codes

    def _session_changed(self, names) -> None:
        s = self.session
        if "model" in names:
            if "epoch_codes" not in names or s.epoch_codes is None:  # not an opened file's own
                s.epoch_codes = EpochCodes()
        elif {"codes", "history"} <= names and s.codes is not None and s.history:
            self.record.add(int(s.history[-1].get("epoch", len(s.history))), s.codes.means, s.codes.labels)
        else:
            return
        self.scrubbed = False  # the map part has just drawn the live map
        self.tab.show_epochs(self.record.epochs)

    def _state_changed(self, names) -> None:
        """Another layout while a past epoch is shown: redraw it after the map part's redraw."""
        if "projection" in names and self.scrubbed:
            QTimer.singleShot(0, self._redraw)

    def _redraw(self) -> None:
        if self.scrubbed:
            self.show_epoch(self.tab.epoch_slider.value())

    def epoch_plane(self, index: int) -> np.ndarray | None:
        """Where the map puts the codes of recorded epoch ``index``, in the current layout."""
        projection, means = self.part.state.projection, self.record.means[index]
        if projection is None:
            return None
        if getattr(projection, "kind", None) in EXACT_KINDS:
            return projection.to_plane(means)
        final = projection.to_plane(self.record.means[-1])
        return aligned_pca_plane(means, final, scale=projection.kind == "tsne")

    def show_epoch(self, index: int) -> None:
        """The slider moved: the map of that epoch, or the live map at the right end."""
        if index >= len(self.record) - 1:
            if self.scrubbed:
                self.scrubbed = False
                self.part.refresh_map(keep_view=True)
            self.tab.show_epochs(self.record.epochs)
            return
        plane = self.epoch_plane(index)
        if plane is None:
            return
        self.scrubbed = True
        self.part.map.set_points(plane, self.record.labels, self.session.label_names(), keep_view=True)
        kind = self.part.state.projection.kind
        how = "as they were" if kind in EXACT_KINDS else \
            "on that epoch's PCA plane, aligned to the final map" + (" (t-SNE replays as PCA)" if kind == "tsne" else "")
        self.tab.epoch_label.setText(f"Epoch {self.record.epochs[index]} of {self.record.epochs[-1]}: "
                                     f"the held-out codes {how}. Clicks decode with the current weights.")
