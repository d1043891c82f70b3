"""Text that changes often (at each click, hover or batch) without laying the window out again.

A ``QLabel``'s ``setText`` asks its parent's layout to redo itself, and each layout that redoes
itself asks its own parent: the whole window is laid out again, the tool panel measuring the
height of every page's wrapped labels for its width. At 70,000 points that was 6 ms of a 26 ms
click. A ``Readout`` is a box of a fixed number of lines that places its label itself, outside
any layout: the label's request stops at the box, and a new text only repaints the box.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class Readout(QWidget):
    """``lines`` lines of text (wrapped when more than one): what does not fit is cut off, and the
    whole text is in the tooltip."""

    def __init__(self, text: str = "", lines: int = 1, parent: QWidget | None = None):
        super().__init__(parent)
        self.lines = lines
        self.label = QLabel(text, self)
        self.label.setWordWrap(lines > 1)
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setToolTip(text)

    def text(self) -> str:
        return self.label.text()

    def setText(self, text: str) -> None:  # noqa: N802 (QLabel's name)
        self.label.setText(text)
        self.setToolTip(text)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        margins = self.label.contentsMargins()
        height = self.lines * self.label.fontMetrics().lineSpacing() + margins.top() + margins.bottom()
        return QSize(self.label.fontMetrics().averageCharWidth() * 40, height)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(0, self.sizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.label.setGeometry(self.rect())
        super().resizeEvent(event)
