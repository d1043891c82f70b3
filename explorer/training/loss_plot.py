"""The live loss plot: total, reconstruction and KL per batch (smoothed) and per epoch.

Curves are created once and fed with ``setData``; batch reports are buffered and drawn by a
timer at most four times a second: on a 2-core machine every repaint of the plot is CPU time
taken from the trainer (see ``benchmarks/gui_probe.py``). pyqtgraph's auto-range is off: it
re-measured every curve and rebuilt the axes on each redraw (about 50 ms under load, the
longest GUI stall while training); the plot sets its own range, and only when the data leave it
or shrink well inside it, until the user pans or zooms (View ▸ Fit restores it).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer

from vae_explorer.explorer.widgets.side_legend import add_side_legend

REDRAW_MS = 250
LOOSE = 1.6  # re-fit y when the data span shrinks below 1/LOOSE of the shown span
SMOOTHING = 0.9  # exponential moving average of batch losses
TERMS = (
    ("loss", "total", (230, 230, 230)),
    ("reconstruction_loss", "reconstruction", (80, 160, 255)),
    ("kl_loss", "KL", (255, 150, 60)),
)


class LossPlot(pg.PlotWidget):
    """x = epochs (fractional for batches), y = loss per image."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setLabel("bottom", "epoch")
        self.setLabel("left", "loss per image")
        add_side_legend(self, labelTextSize="8pt", max_rows=9)  # beside the curves, not over them
        self.setClipToView(True)
        self.setDownsampling(auto=True, mode="peak")
        self.disableAutoRange()
        self._follow = True  # we set the range until the user pans or zooms
        self._log = False
        self._planned_epochs = 1.0
        self._overlay_extent = (0.0, np.zeros(0))  # other runs' curves drawn here (explorer.runs.overlay)
        self.getViewBox().sigRangeChangedManually.connect(self._user_moved)
        self._batch = {
            key: self.plot([], [], pen=pg.mkPen(color, width=1), name=f"{label} (batch)") for key, label, color in TERMS
        }
        self._train = {
            key: self.plot(
                [],
                [],
                pen=pg.mkPen(color, width=2),
                symbol="o",
                symbolSize=5,
                symbolBrush=color,
                name=f"{label} (epoch)",
            )
            for key, label, color in TERMS
        }
        self._val = {
            key: self.plot(
                [], [], pen=pg.mkPen(color, width=2, style=pg.QtCore.Qt.PenStyle.DashLine), name=f"{label} (held-out)"
            )
            for key, label, color in TERMS
        }
        self.clear_data()
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._redraw)
        self._timer.start()

    def clear_data(self) -> None:
        self._bx: list[float] = []
        self._by: dict[str, list[float]] = {key: [] for key, _, _ in TERMS}
        self._ema: dict[str, float] = {}
        self._ex: list[float] = []
        self._ey: dict[str, list[float]] = {key: [] for key, _, _ in TERMS}
        self._vy: dict[str, list[float]] = {key: [] for key, _, _ in TERMS}
        self._shown_y: tuple[float, float] | None = None
        self._dirty = True

    def set_planned_epochs(self, epochs: float) -> None:
        """The x range the run will fill (so the axis is not rebuilt with every batch)."""
        self._planned_epochs = max(1.0, float(epochs))
        self._dirty = True

    def set_overlay_extent(self, x_end: float, values) -> None:
        """Other curves drawn on this plot (selected runs): the range it sets includes them."""
        self._overlay_extent = (float(x_end), np.asarray(values, float).ravel())
        self._dirty = True
        self._redraw()

    def fit(self) -> None:
        """Follow the data again (after the user panned or zoomed)."""
        self._follow = True
        self._shown_y = None
        self._dirty = True
        self._redraw()

    def _user_moved(self, *_) -> None:
        self._follow = False

    def stop_updates(self) -> None:
        self._timer.stop()

    def set_log_scale(self, on: bool) -> None:
        self._log = bool(on)
        self.setLogMode(y=on)
        self.fit()

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
        self._planned_epochs = max(1.0, float(len(history)))
        for row in history:
            self.add_epoch(row)
        self._redraw()

    def _redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        bx, ex = np.asarray(self._bx), np.asarray(self._ex)
        values = []
        for key, _, _ in TERMS:
            by, ey, vy = (np.maximum(np.asarray(v[key], float), 1e-3) for v in (self._by, self._ey, self._vy))
            self._batch[key].setData(bx, by)
            self._train[key].setData(ex, ey)
            self._val[key].setData(ex, vy)
            values += [by, ey, vy]
        if self._follow:
            self._fit_range(bx, ex, np.concatenate(values + [self._overlay_extent[1]]))

    def _fit_range(self, bx, ex, values) -> None:
        x_end = max([self._planned_epochs, self._overlay_extent[0]] + [float(a[-1]) for a in (bx, ex) if len(a)])
        values = values[np.isfinite(values)]
        if not len(values):
            return
        log = self._log
        lo, hi = float(values.min()), float(values.max())
        if log:
            lo, hi = np.log10(lo), np.log10(hi)
        span = max(hi - lo, 1e-6)
        shown = self._shown_y
        if shown is None or lo < shown[0] or hi > shown[1] or (shown[1] - shown[0]) > LOOSE * span:
            self._shown_y = (lo - 0.05 * span, hi + 0.05 * span)
            self.setYRange(*self._shown_y, padding=0)
        (x0, x1), _ = self.getViewBox().viewRange()
        if abs(x1 - x_end * 1.02) > 1e-6 or x0 != 0:
            self.setXRange(0, x_end * 1.02, padding=0)
