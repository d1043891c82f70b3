"""The Latent health tool: how much each latent dimension carries, and a warning when they collapse.

Bars of the per-dimension KL of the held-out codes (``trainer.latent.health``), inactive
dimensions grey, redrawn whenever the codes change (each epoch of a training, a model opened or
followed). When an epoch ends with at least a quarter of the dimensions inactive, the status bar
says so once per change, with the epoch since which it holds; a model opened with collapsed
dimensions shows it on the page only.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from vae_explorer.explorer.map.context import ToolContext
from vae_explorer.trainer.latent.health import LatentHealth, active_masks, collapse

ACTIVE_BRUSH, INACTIVE_BRUSH = (31, 119, 180), (176, 176, 176)
COLLAPSE_SHARE = 0.25  # warn when at least this share of the dimensions is inactive
WARNING_MSECS = 20000


class HealthPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.summary = QLabel("No model yet")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setLabel("left", "KL, nats")
        self.plot.setLabel("bottom", "latent dimension")
        self.plot.setToolTip(
            "KL of each latent dimension on the held-out images; grey: inactive (Var of the mean ≤ 0.01)"
        )
        layout.addWidget(self.plot, 1)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        self.plot.addItem(self.bars)
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b35900;")
        layout.addWidget(self.warning)

    def show_health(self, health: LatentHealth | None) -> None:
        if health is None:
            self.bars.setOpts(x=[], height=[], brushes=[])
            self.summary.setText("No held-out codes with their variances yet: train or open a model")
            return
        x = np.arange(health.latent_dim)
        brushes = [pg.mkBrush(*(ACTIVE_BRUSH if on else INACTIVE_BRUSH)) for on in health.active]
        self.bars.setOpts(x=x, height=health.kl_per_dim, width=0.8, brushes=brushes)
        self.plot.getAxis("bottom").setTicks([[(int(d), f"z{d}") for d in x if health.latent_dim <= 32 or d % 4 == 0]])
        self.plot.setXRange(-0.6, health.latent_dim - 0.4, padding=0)
        self.plot.setYRange(0, max(float(health.kl_per_dim.max()), 1e-3) * 1.05, padding=0)
        self.summary.setText(f"{health.summary()}; KL {health.kl_total:.2f} nats in all")


class HealthTool:
    name, order = "health", 75
    hint = "How much each latent dimension carries (KL per dimension), and which are inactive"

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx, self.session = ctx, ctx.session
        self.page = HealthPage()
        self._said = ""  # the last collapse warning said, so that it is said once
        ctx.add_tab("Latent health", self.page, self.order, self.hint)
        self.session.changed.connect(self._session_changed)

    def _session_changed(self, names: frozenset) -> None:
        if names & {"codes", "model"}:
            self.page.show_health(self.session.health())
        if names & {"history", "model"}:
            self._check_collapse(new_epoch="model" not in names)

    def _check_collapse(self, new_epoch: bool) -> None:
        """Show a collapse on the page; say it in the status bar when an epoch (of a training, or
        of a followed file) makes it appear or change, not when a model is opened."""
        model = self.session.model
        masks = active_masks(self.session.history, int(model.latent_dim)) if model is not None else []
        found = collapse(masks, first_epoch=len(self.session.history) - len(masks) + 1, share=COLLAPSE_SHARE)
        text = found.warning() if found is not None else ""
        self.page.warning.setText(text)
        if text and text != self._said and new_epoch:
            self.ctx.status(text, WARNING_MSECS)
        self._said = text
