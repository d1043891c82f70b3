"""The Draw panel: the canvas and its tools, the drawing's reconstruction, the images placed
on the map (each removable), and Set A / Set B for the interpolation.

A view of ``DrawState``: it shows the state and emits what the user asked for; the
``DrawController`` encodes and places.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QListWidget, QPushButton, QVBoxLayout, QWidget

from vae_explorer.explorer.draw.canvas import DrawCanvas
from vae_explorer.explorer.draw.state import DrawState
from vae_explorer.explorer.widgets.image_pane import ImagePane
from vae_explorer.explorer.widgets.spin_boxes import real_spin

DRAWING_ROW = "✎ the drawing"


class DrawPanel(QWidget):
    open_requested = Signal()
    remove_requested = Signal(int)  # index into DrawState.images
    endpoint_requested = Signal(str)  # "A" or "B": the chosen image's code

    def __init__(self, state: DrawState, parent=None):
        super().__init__(parent)
        self.state = state
        self.label_names: list[str] | None = None  # the data's label names, when it has them
        layout = QVBoxLayout(self)
        layout.addLayout(self._drawing_row())
        layout.addLayout(self._tools_row())
        self.drawing_info = _wrapping_label("Draw on the canvas: the map marks where it lands (★).")
        layout.addWidget(self.drawing_info)
        layout.addWidget(QLabel("On the map (drop PNG/JPEG files on the window, or open them):"))
        self.images = QListWidget()
        self.images.setToolTip("The drawing and the images placed on the map; Set A / Set B take the selected one")
        layout.addWidget(self.images, 1)
        layout.addLayout(self._image_buttons())
        layout.addLayout(self._chosen_row())
        self.chosen_info = _wrapping_label("")
        layout.addWidget(self.chosen_info)
        self.images.currentRowChanged.connect(self._row_chosen)
        QShortcut(
            QKeySequence(QKeySequence.StandardKey.Delete),
            self.images,
            self._remove_current,
            context=Qt.ShortcutContext.WidgetShortcut,
        )
        state.changed.connect(self._state_changed)
        self._state_changed(frozenset({"drawing", "images"}))

    # -- building -------------------------------------------------------------------------
    def _drawing_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.canvas = DrawCanvas()
        self.reconstruction = ImagePane(min_size=110)
        column = QVBoxLayout()
        column.addWidget(QLabel("Reconstruction"))
        column.addWidget(self.reconstruction, 1)
        row.addWidget(self.canvas, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(column, 1)
        return row

    def _tools_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.brush = real_spin(0.5, 8.0, 2.0, decimals=1, step=0.5)
        self.brush.setToolTip("Brush width in image pixels")
        self.eraser = QPushButton("&Eraser")
        self.eraser.setCheckable(True)
        self.eraser.setToolTip("Draw with the background colour")
        self.clear = QPushButton("C&lear")
        self.clear.setToolTip("Start a new drawing")
        self.brush.valueChanged.connect(lambda v: setattr(self.canvas, "brush_width", float(v)))
        self.eraser.toggled.connect(lambda on: setattr(self.canvas, "eraser", on))
        self.clear.clicked.connect(lambda: self.canvas.clear())
        for widget in (QLabel("Brush"), self.brush, self.eraser, self.clear):
            row.addWidget(widget)
        row.addStretch(1)
        return row

    def _image_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.open_button = QPushButton("&Open image…")
        self.open_button.setToolTip("Place PNG or JPEG files on the map (File ▸ Open image…, Ctrl+I)")
        self.remove = QPushButton("&Remove")
        self.remove.setToolTip("Take the selected image off the map (Delete)")
        self.open_button.clicked.connect(self.open_requested)
        self.remove.clicked.connect(self._remove_current)
        row.addWidget(self.open_button)
        row.addWidget(self.remove)
        return row

    def _chosen_row(self) -> QGridLayout:
        grid = QGridLayout()
        self.set_a, self.set_b = QPushButton("Set A = selected"), QPushButton("Set B = selected")
        for column, (button, which) in enumerate(((self.set_a, "A"), (self.set_b, "B"))):
            button.setToolTip(f"Interpolate from the selected image's code ({which} end; see the Interpolate tab)")
            button.clicked.connect(lambda _=False, w=which: self.endpoint_requested.emit(w))
            grid.addWidget(button, 0, column)
        self.chosen_input, self.chosen_reconstruction = ImagePane(min_size=80), ImagePane(min_size=80)
        grid.addWidget(QLabel("Selected: input"), 1, 0)
        grid.addWidget(QLabel("Reconstruction"), 1, 1)
        grid.addWidget(self.chosen_input, 2, 0)
        grid.addWidget(self.chosen_reconstruction, 2, 1)
        return grid

    # -- showing the state ----------------------------------------------------------------
    def _state_changed(self, names) -> None:
        if "drawing" in names:
            drawing = self.state.drawing
            self.reconstruction.set_image(None if drawing is None else drawing.reconstruction)
            self.drawing_info.setText(
                describe(drawing, self.label_names)
                if drawing
                else "Draw on the canvas: the map marks where it lands (★)."
            )
        if "images" in names:
            self._show_images()
        if names & {"images", "chosen"}:
            self._show_chosen()  # not on every stroke: the drawing has its own panes above
        image = self.state.chosen_image()
        self.set_a.setEnabled(image is not None)
        self.set_b.setEnabled(image is not None)

    def _show_images(self) -> None:
        self.images.blockSignals(True)
        self.images.clear()
        self.images.addItem(DRAWING_ROW)
        for image in self.state.images:
            self.images.addItem(image.name + (" (inverted)" if image.note else ""))
        chosen = self.state.chosen
        self.images.setCurrentRow(0 if chosen is None else chosen + 1)
        self.images.blockSignals(False)
        self.remove.setEnabled(bool(self.state.images))

    def _show_chosen(self) -> None:
        """The selected image file as the model got it, and its reconstruction (the drawing's are above)."""
        image = None if self.state.chosen is None else self.state.chosen_image()
        self.chosen_input.set_image(None if image is None else image.pixels)
        self.chosen_reconstruction.set_image(None if image is None else image.reconstruction)
        self.chosen_info.setText(
            "Set A / Set B take the drawing" if image is None else f"{image.name}: {describe(image, self.label_names)}"
        )

    def _row_chosen(self, row: int) -> None:
        self.state.chosen = None if row <= 0 else row - 1

    def _remove_current(self) -> None:
        if self.images.currentRow() > 0:
            self.remove_requested.emit(self.images.currentRow() - 1)


def describe(image, names: list[str] | None = None) -> str:
    """Where an image landed: its nearest held-out labels (by name), its σ, and any note."""
    encoded = image.encoded
    nearest = " ".join(names[v] if names and v < len(names) else str(v) for v in encoded.labels) or "(unlabelled data)"
    sigma = ", ".join(f"{v:.2f}" for v in encoded.sigma[:4]) + (", …" if len(encoded.sigma) > 4 else "")
    note = f" · {image.note}" if image.note else ""
    return f"nearest held-out: {nearest} · σ = ({sigma}){note}"


def _wrapping_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
