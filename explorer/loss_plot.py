"""The live loss plot: total, reconstruction and KL per batch (smoothed) and per epoch.

Curves are created once and fed with ``setData``; batch reports are buffered and drawn by a
timer at most ten times a second, so a fast trainer cannot flood the GUI thread.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer

SMOOTHING = 0.9  # exponential moving average of batch losses
TERMS = (("loss", "total", (230, 230, 230)), ("reconstruction_loss", "reconstruction", (80, 160, 255)),
         ("kl_loss", "KL", (255, 150, 60)))


class LossPlot(pg.PlotWidget):
    """x = epochs (fractional for batches), y = loss per image."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setLabel("bottom", "epoch")
        self.setLabel("left", "loss per image")
        self.showGrid(x=True, y=True, alpha=0.2)
        self.addLegend(offset=(-10, 10), colCount=3, labelTextSize="8pt")
        self.setClipToView(True)
        self.setDownsampling(mode="peak")
        self._batch = {key: self.plot([], [], pen=pg.mkPen(color, width=1), name=f"{label} (batch)")
                       for key, label, color in TERMS}
        self._train = {key: self.plot([], [], pen=pg.mkPen(color, width=2), symbol="o", symbolSize=5,
                                      symbolBrush=color, name=f"{label} (epoch)")
                       for key, label, color in TERMS}
        self._val = {key: self.plot([], [], pen=pg.mkPen(color, width=2, style=pg.QtCore.Qt.PenStyle.DashLine),
                                    name=f"{label} (held-out)")
                     for key, label, color in TERMS}
        self.clear_data()
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._redraw)
        self._timer.start()

    def clear_data(self) -> None:
        self._bx: list[float] = []
        self._by = {key: [] for key, _, _ in TERMS}
        self._ema: dict[str, float] = {}
        self._ex: list[float] = []
        self._ey = {key: [] for key, _, _ in TERMS}
        self._vy = {key: [] for key, _, _ in TERMS}
        self._dirty = True

    def stop_updates(self) -> None:
        self._timer.stop()

    def set_log_scale(self, on: bool) -> None:
        self.setLogMode(y=on)

    def add_batch(self, report) -> None:
        self._bx.append(report.epoch - 1 + report.batch / report.batches)
        for key, _, _ in TERMS:
            value = getattr(report, key)
            prev = self._ema.get(key)
            self._ema[key] = value if prev is None else SMOOTHING * prev + (1 - SMOOTHING) * value
            self._by[key].append(self._ema[key])
        self._dirty = True

    def add_epoch(self, row: dict) -> None:
        """``row`` is a history entry (``EpochReport.history_row()``)."""
        self._ex.append(float(row["epoch"]))
        for key, _, _ in TERMS:
            self._ey[key].append(float(row[key]))
            self._vy[key].append(float(row.get(f"val_{key}", np.nan)))
        self._dirty = True

    def set_history(self, history: list[dict]) -> None:
        self.clear_data()
        for row in history:
            self.add_epoch(row)
        self._redraw()

    def points(self) -> dict:
        """What is plotted, for tests: batch x, epoch x, and per-term epoch values."""
        return {"batch_x": list(self._bx), "epoch_x": list(self._ex),
                "epoch": {k: list(v) for k, v in self._ey.items()}}

    def _redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        bx, ex = np.asarray(self._bx), np.asarray(self._ex)
        for key, _, _ in TERMS:
            self._batch[key].setData(bx, np.maximum(np.asarray(self._by[key]), 1e-3))
            self._train[key].setData(ex, np.maximum(np.asarray(self._ey[key]), 1e-3))
            self._val[key].setData(ex, np.maximum(np.asarray(self._vy[key]), 1e-3))
