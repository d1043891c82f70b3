"""Selected runs' curves drawn over the loss plot: one colour per run, a legend entry naming it.

The loss plot keeps showing the current model (also while it trains); each selected run adds
its per-epoch training loss (solid, with markers) and held-out loss (dashed) from its record's
history, so a new run can be watched against an old one.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from vae_explorer.explorer.training.loss_plot import LossPlot

# Apart from the live curves' white, blue and orange.
RUN_COLOURS = [
    (44, 200, 80),
    (230, 60, 60),
    (170, 120, 230),
    (240, 120, 200),
    (200, 200, 40),
    (40, 200, 210),
    (170, 110, 90),
    (150, 150, 150),
]
FLOOR = 1e-3  # as the live curves: a log-scale axis takes no zero


def run_label(record) -> str:
    """What the legend calls a run: when it started, and the settings that tell runs apart."""
    c = record.config
    when = record.started[5:16].replace("T", " ")
    return f"{when} {c.get('preset', '?')} d={c.get('latent_dim', '?')} β={c.get('beta', '?')}"


def curves(record) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Epochs, training loss and held-out loss per epoch of a record's history."""
    rows = [h for h in record.history if isinstance(h, dict) and "epoch" in h]
    x = np.array([float(h["epoch"]) for h in rows])
    train = np.array([float(h.get("loss", np.nan)) for h in rows])
    held_out = np.array([float(h.get("val_loss", np.nan)) for h in rows])
    return x, np.maximum(train, FLOOR), np.maximum(held_out, FLOOR)


class RunOverlay:
    """Draws ``show(records)`` on ``plot``; the previous overlay is removed first."""

    def __init__(self, plot: LossPlot):
        self.plot = plot
        self.items: dict[str, tuple] = {}  # record path -> (training curve, held-out curve)

    def show(self, records) -> None:
        for train, held_out in self.items.values():
            self.plot.removeItem(train)
            self.plot.removeItem(held_out)
        self.items = {}
        x_end, values = 0.0, []
        for i, record in enumerate(records):
            x, train, held_out = curves(record)
            colour = RUN_COLOURS[i % len(RUN_COLOURS)]
            self.items[record.path] = (
                self.plot.plot(
                    x,
                    train,
                    pen=pg.mkPen(colour, width=2),
                    symbol="t",
                    symbolSize=7,
                    symbolBrush=colour,
                    symbolPen=None,
                    name=run_label(record),
                ),
                self.plot.plot(x, held_out, pen=pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine)),
            )
            x_end = max([x_end] + list(x))
            values += [train, held_out]
        self.plot.set_overlay_extent(x_end, np.concatenate(values) if values else np.zeros(0))
