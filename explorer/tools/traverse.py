"""The Traverse tool: one row per latent dimension, each varied over ±span around the current point.

The sheet (one decode per dimension and step) is decoded only while its page is shown, and when
the page comes into view; File ▸ Export ▸ Traversal reuses what was decoded.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from vae_explorer.explorer.core.evented import EventedModel, Field
from vae_explorer.explorer.map.context import ToolContext
from vae_explorer.explorer.widgets.bind import bind_all
from vae_explorer.explorer.widgets.image_pane import ImagePane
from vae_explorer.explorer.widgets.spin_boxes import int_spin, real_spin
from vae_explorer.trainer.files.imagegrid import tile
from vae_explorer.trainer.latent.paths import traverse


class TraverseSettings(EventedModel):
    FIELDS = {"steps": 9, "span": 3.0, "by_kl": True, "hide_inactive": False}
    SAVED = ("steps", "span", "by_kl", "hide_inactive")
    steps = Field()
    span = Field()
    by_kl = Field()  # the rows ordered by each dimension's KL (latent health), most first
    hide_inactive = Field()  # no rows for the inactive dimensions


class TraversePage(QWidget):
    def __init__(self, settings: TraverseSettings, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.steps = int_spin(3, 31, 9)
        self.steps.setToolTip("Decodes per dimension, from −span to +span")
        self.span = real_spin(0.5, 10.0, 3.0, decimals=2, step=0.5)
        self.span.setToolTip("How far each dimension moves away from the current point, either way")
        self.by_kl = QCheckBox("Order by KL (most informative first)")
        self.by_kl.setToolTip("Rows ordered by each dimension's KL on the held-out images (Latent health tab)")
        self.hide_inactive = QCheckBox("Hide inactive dimensions")
        self.hide_inactive.setToolTip("Leave out the dimensions whose posterior mean barely varies (Var ≤ 0.01)")
        form.addRow("Steps", self.steps)
        form.addRow("Span ±", self.span)
        form.addRow(self.by_kl)
        form.addRow(self.hide_inactive)
        layout.addLayout(form)
        self.about = QLabel("One row per latent dimension, around the current point")
        self.about.setWordWrap(True)
        layout.addWidget(self.about)
        self.sheet = ImagePane()
        layout.addWidget(self.sheet, 1)
        bind_all(
            settings, {"steps": self.steps, "span": self.span, "by_kl": self.by_kl, "hide_inactive": self.hide_inactive}
        )


class TraverseTool:
    name, order = "traverse", 30
    hint = "Vary each latent dimension around the current point: one row of decodes per dimension"

    def __init__(self, ctx: ToolContext):
        self.ctx, self.session, self.state = ctx, ctx.session, ctx.state
        self.settings = TraverseSettings()
        self.page = TraversePage(self.settings)
        self._decoded: tuple[tuple, np.ndarray] | None = None  # (key, frames) of the sheet last decoded
        ctx.add_tab("Traverse", self.page, self.order, self.hint)
        self.settings.changed.connect(lambda names: self.update())
        self.state.changed.connect(lambda names: self.update() if names & {"current"} else None)
        self.session.changed.connect(lambda names: self.update() if names & {"codes", "space"} else None)
        ctx.panel.currentChanged.connect(lambda _: self.update())

    def frames(self) -> np.ndarray | None:
        """The sheet's decodes around the current point (decoded now if not yet)."""
        current, space = self.state.current, self.session.space
        if current is None or space is None:
            return None
        dims = self.dims()
        key = (self.settings.steps, self.settings.span, current.tobytes(), id(space), id(self.session.codes), dims)
        if self._decoded is None or self._decoded[0] != key:
            self._decoded = key, space.decode(traverse(current, self.settings.steps, self.settings.span, dims))
        return self._decoded[1]

    def dims(self) -> tuple[int, ...]:
        """The dimensions the rows show, top to bottom: by KL or in order, the inactive ones
        left out if asked (all of them when the codes have no variances to judge by)."""
        health, dim = self.session.health(), self.session.latent_dim
        if health is None:
            return tuple(range(dim))
        order = health.by_kl() if self.settings.by_kl else np.arange(dim)
        if self.settings.hide_inactive:
            order = [d for d in order if health.active[d]]
        return tuple(int(d) for d in order)

    def update(self) -> None:
        """Show the sheet, if its page is in view (it is decoded when the page comes into view)."""
        if not self.ctx.in_view(self.page):
            return
        frames = self.frames()
        self.page.sheet.set_image(None if frames is None else tile(frames, cols=self.settings.steps, pad=1))
        self.page.about.setText("Rows, top to bottom: " + ", ".join(f"z{d}" for d in self.dims()))

    def export_image(self) -> np.ndarray | None:
        frames = self.frames()
        return None if frames is None else tile(frames, cols=self.settings.steps)
