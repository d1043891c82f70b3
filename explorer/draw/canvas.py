"""A canvas at the model's own image size, shown enlarged, drawn on with the mouse.

The drawing is kept at the model's resolution (28×28 for MNIST) in a grey ``QImage`` painted
with antialiased round strokes, so what the user sees, enlarged pixel for pixel, is exactly
what the encoder gets. Ink is the data's ink: white on black for MNIST-like data, dark on
light otherwise. ``stroked`` is emitted on every press, move and release of a stroke.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

SHOWN_SIDE = 252  # the canvas is shown at about this many screen pixels a side
MIN_SCALE, MAX_SCALE = 2, 10


class DrawCanvas(QWidget):
    """``pixels()``: the drawing as H×W float32 in [0, 1]; ``stroked`` after each stroke event."""

    stroked = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.brush_width = 2.0  # in image pixels
        self.eraser = False
        self._ink, self._paper = 255, 0
        self._last: QPointF | None = None
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw with the left mouse button; the map shows where the drawing lands")
        self.set_shape(28, 28, white_on_black=True)

    # -- the drawing ----------------------------------------------------------------------
    def set_shape(self, height: int, width: int, white_on_black: bool) -> None:
        """A blank canvas of the model's size, in the data's polarity."""
        self._ink, self._paper = (255, 0) if white_on_black else (0, 255)
        self._image = QImage(width, height, QImage.Format.Format_Grayscale8)
        self.scale = int(np.clip(SHOWN_SIDE // max(height, width), MIN_SCALE, MAX_SCALE))
        self.setFixedSize(self.sizeHint())
        self.clear(notify=False)

    def clear(self, notify: bool = True) -> None:
        self._image.fill(QColor(self._paper, self._paper, self._paper))
        self.update()
        if notify:
            self.stroked.emit()

    def show_pixels(self, pixels: np.ndarray | None) -> None:
        """Show H×W ``pixels`` in [0, 1] (None: blank) without a ``stroked``: a drawing put back by
        undo is already encoded."""
        if pixels is None:
            self.clear(notify=False)
            return
        h, w = self._image.height(), self._image.width()
        grey = np.ascontiguousarray(np.round(np.asarray(pixels, np.float32) * 255.0).astype(np.uint8))
        self._image = QImage(grey.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
        self.update()

    def pixels(self) -> np.ndarray:
        """H×W float32 in [0, 1] (a copy)."""
        h, w = self._image.height(), self._image.width()
        raw = np.frombuffer(self._image.constBits(), np.uint8, count=self._image.sizeInBytes())
        return raw.reshape(h, self._image.bytesPerLine())[:, :w].astype(np.float32) / 255.0

    def is_blank(self) -> bool:
        return bool(np.all(self.pixels() == self._paper / 255.0))

    def image_shape(self) -> tuple[int, int]:
        return self._image.height(), self._image.width()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(self._image.width() * self.scale, self._image.height() * self.scale)

    # -- the mouse ------------------------------------------------------------------------
    def to_image(self, pos: QPointF) -> QPointF:
        """Widget position → image coordinates (pixel centres at .5)."""
        return QPointF(pos.x() / self.scale, pos.y() / self.scale)

    def to_widget(self, x: float, y: float) -> QPointF:
        """Image coordinates → widget position (for scripts and tests that draw like a user)."""
        return QPointF(x * self.scale, y * self.scale)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self._last = self.to_image(event.position())
        self._stroke(self._last, self._last)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._last is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return
        point = self.to_image(event.position())
        self._stroke(self._last, point)
        self._last = point

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._last is None or event.button() != Qt.MouseButton.LeftButton:
            return
        point, self._last = self.to_image(event.position()), None
        self._stroke(point, point)

    def _stroke(self, start: QPointF, end: QPointF) -> None:
        """One antialiased round segment in ink (or paper, erasing), then ``stroked``."""
        value = self._paper if self.eraser else self._ink
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(value, value, value)
        if start == end:  # a dot: Qt draws nothing for a line of zero length
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawEllipse(start, self.brush_width / 2, self.brush_width / 2)
        else:
            painter.setPen(
                QPen(
                    colour, self.brush_width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin
                )
            )
            painter.drawLine(start, end)
        painter.end()
        self.update()
        self.stroked.emit()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.drawImage(QRect(0, 0, self.width(), self.height()), self._image)  # nearest pixel: no smoothing
        painter.end()
