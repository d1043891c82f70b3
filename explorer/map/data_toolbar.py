"""The row of controls over the map for its data: colour by, thumbnails, and what a drag does.

A view of ``ViewState``: it writes the fields when the user changes a control and follows
them when something else changes them (the legend, Escape, a new model).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QButtonGroup, QCheckBox, QComboBox, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from vae_explorer.explorer.map.state import COLOR_BY, DRAG_MODES, ViewState

DRAG_TEXT = {
    "pan": ("Pan", "A drag pans the map (Shift+drag: rectangle selection, Ctrl+drag: lasso)"),
    "rect": ("Rectangle", "A drag selects the points inside a rectangle"),
    "lasso": ("Lasso", "A drag selects the points inside the drawn outline"),
}


class DataToolbar(QWidget):
    def __init__(self, state: ViewState, parent=None):
        super().__init__(parent)
        self.state = state
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.color_by = QComboBox()
        for key, text in COLOR_BY:
            self.color_by.addItem(text, key)
        self.color_by.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.color_by.setMinimumContentsLength(12)  # its longest item, at full width, made the window wider
        self.color_by.setToolTip(
            "Colour the points by their label, their reconstruction loss (of the mean code) or their KL, or not at all"
        )
        self.thumbnails = self._thumbnail_action()
        thumbs_button = QToolButton()
        thumbs_button.setDefaultAction(self.thumbnails)
        self.auto = QCheckBox("auto")  # short: the toolbar's width is the window's least width at 200 %
        self.auto.setToolTip("Show the thumbnails by themselves once few points are in view")
        self.busy = QLabel("")
        # What the label says never resizes the map: a wider toolbar would widen the map's column
        # and repaint the whole view (axes, grid, every dot) while a worker computes.
        self.busy.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.busy.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for widget in (QLabel("Colour by:"), self.color_by, thumbs_button, self.auto, QLabel("  Drag:")):
            layout.addWidget(widget)
        self.drag = QButtonGroup(self)
        for i, mode in enumerate(DRAG_MODES):
            layout.addWidget(self._drag_button(mode, i))
        layout.addWidget(self.busy, 1)
        self._connect()
        self._show_state()

    def _thumbnail_action(self) -> QAction:
        action = QAction("&Thumbnails", self)
        action.setCheckable(True)
        action.setShortcut(QKeySequence("Ctrl+T"))
        action.setToolTip("Draw the held-out images at their points (Ctrl+T)")
        return action

    def _drag_button(self, mode: str, i: int) -> QToolButton:
        button = QToolButton()
        button.setText(DRAG_TEXT[mode][0])
        button.setToolTip(DRAG_TEXT[mode][1])
        button.setCheckable(True)
        self.drag.addButton(button, i)
        return button

    def _connect(self) -> None:
        s = self.state
        self.color_by.currentIndexChanged.connect(lambda _: s.update(color_by=self.color_by.currentData()))
        self.thumbnails.toggled.connect(lambda on: s.update(thumbnails=on))
        self.auto.toggled.connect(lambda on: s.update(thumbnails_auto=on))
        self.drag.idToggled.connect(lambda i, on: s.update(drag_mode=DRAG_MODES[i]) if on else None)
        s.changed.connect(self._state_changed)

    def _state_changed(self, names) -> None:
        if names & {"color_by", "thumbnails", "thumbnails_auto", "drag_mode"}:
            self._show_state()

    def _show_state(self) -> None:
        s = self.state
        for widget in (self.color_by, self.thumbnails, self.auto, self.drag):
            widget.blockSignals(True)
        self.color_by.setCurrentIndex(self.color_by.findData(s.color_by))
        self.thumbnails.setChecked(s.thumbnails)
        self.auto.setChecked(s.thumbnails_auto)
        self.drag.button(DRAG_MODES.index(s.drag_mode)).setChecked(True)
        for widget in (self.color_by, self.thumbnails, self.auto, self.drag):
            widget.blockSignals(False)

    def show_busy(self, text: str) -> None:
        self.busy.setText(text)
        self.busy.setToolTip(text)  # the whole text, should a narrow window cut it
