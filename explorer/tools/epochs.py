"""The Epochs tool: replay the map epoch by epoch, with a slider.

The held-out means of every epoch of the run are kept in the session's ``epoch_codes`` (the
training part adds each epoch's, a model file brings its own). The slider only sets
``MapState.shown_epoch`` (None at the right end: the live map); the map part draws that epoch
(``trainer.maps.epoch_codes.replay_plane``). Clicks still decode with the current weights.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSlider, QVBoxLayout, QWidget

from vae_explorer.explorer.map.context import ToolContext
from vae_explorer.trainer.maps.epoch_codes import replay_description

SCRUB_TIP = (
    "Replays the map as it was after each epoch of this run (the held-out codes are kept after every "
    "epoch, up to 200; longer runs keep every other one; saved with the model). The latent plane and two "
    "chosen dimensions show the codes as they were; PCA and t-SNE maps show each epoch's codes on their "
    "own PCA plane, rotated or reflected (and, for t-SNE, scaled) onto the final map by Procrustes "
    "alignment, so the points do not flip. At the right end: the live map."
)


class EpochsPage(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip(SCRUB_TIP)
        self.slider.setPageStep(1)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        layout.addWidget(self.slider)
        layout.addWidget(self.label)
        layout.addStretch(1)


class EpochsTool:
    name, order = "epochs", 80
    hint = "Replay the map as it was after each epoch of the run"

    def __init__(self, ctx: ToolContext):
        self.ctx, self.session, self.state = ctx, ctx.session, ctx.state
        self.page = EpochsPage()
        ctx.add_tab("Epochs", self.page, self.order, self.hint)
        self.page.slider.valueChanged.connect(self._slid)
        self.session.changed.connect(lambda names: self.show() if names & {"epoch_codes", "model"} else None)
        self.state.changed.connect(lambda names: self.show() if names & {"shown_epoch", "projection"} else None)
        self.show()

    def _epochs(self) -> list[int]:
        record = self.session.epoch_codes
        return [] if record is None else list(record.epochs)

    def _slid(self, value: int) -> None:
        last = len(self._epochs()) - 1
        self.state.shown_epoch = None if value >= last else int(value)

    def show(self) -> None:
        """The slider at the shown epoch (the right end for the live map) and a line saying what is shown."""
        epochs, shown = self._epochs(), self.state.shown_epoch
        slider = self.page.slider
        slider.blockSignals(True)
        slider.setRange(0, max(0, len(epochs) - 1))
        slider.setValue(slider.maximum() if shown is None else shown)
        slider.blockSignals(False)
        slider.setEnabled(len(epochs) > 1)
        self.page.label.setText(self._text(epochs, shown))

    def _text(self, epochs: list[int], shown: int | None) -> str:
        if len(epochs) < 2:
            return "Train a model: the map of every epoch is kept for replay."
        if shown is None or shown >= len(epochs):
            return f"Live map (epoch {epochs[-1]}); drag left to replay {len(epochs)} epochs."
        how = replay_description(getattr(self.state.projection, "kind", ""))
        return (
            f"Epoch {epochs[shown]} of {epochs[-1]}: the held-out codes {how}. Clicks decode with the current weights."
        )
