"""The data point under the mouse, previewed without a click: its image, index, label and class
name in a small card beside the cursor.

It rides on the map's hover path (``LatentMap.hovered``, already throttled): each hover asks
``trainer.maps.selection.nearest_point`` for the drawn point within ``RADIUS_PX`` screen pixels;
hidden classes are not drawn, so they are never previewed.
"""

from __future__ import annotations

from typing import cast

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from vae_explorer.explorer.widgets.qimages import to_pixmap

RADIUS_PX = 6  # how near the mouse must be to a dot, in screen pixels
PREVIEW_PX = 84  # the previewed image's side, about
OFFSET_PX = 16  # the card's distance from the cursor


class PreviewCard(QFrame):
    """The card: a picture over two lines of text, floating over the map's viewport."""

    def __init__(self, parent):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.Box)
        self.setStyleSheet(
            "PreviewCard { background: rgba(20, 20, 20, 220); border: 1px solid #888; }QLabel { color: white; }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.picture, self.text = QLabel(), QLabel()
        layout.addWidget(self.picture)
        layout.addWidget(self.text)
        self.hide()

    def show_beside(self, pos: QPointF, image: np.ndarray, text: str) -> None:
        scale = max(1, PREVIEW_PX // max(image.shape[:2]))
        self.picture.setPixmap(to_pixmap(image, scale))
        self.text.setText(text)
        self.adjustSize()
        area = cast(QWidget, self.parentWidget()).rect()  # the map's viewport, which it was made over
        x = (
            pos.x() + OFFSET_PX
            if pos.x() + OFFSET_PX + self.width() <= area.width()
            else pos.x() - OFFSET_PX - self.width()
        )
        y = min(max(0.0, pos.y() + OFFSET_PX), max(0.0, area.height() - self.height()))
        self.move(int(max(0.0, x)), int(y))
        self.show()
        self.raise_()


class HoverPreview(QObject):
    """Shows the card for the drawn point nearest the mouse; ``index`` is the one previewed."""

    def __init__(self, latent_map, image_of, describe, parent: QObject):
        super().__init__(parent)
        self.map, self.image_of, self.describe = latent_map, image_of, describe  # image_of(i) → H×W×C or None
        self.card = PreviewCard(latent_map.viewport())
        self.index: int | None = None
        latent_map.hovered.connect(self.hover)
        latent_map.viewport().installEventFilter(self)

    def drawn(self) -> np.ndarray:
        return self.map.drawn()

    def hover(self, x: float, y: float) -> None:
        index = self.map.point_at(x, y, RADIUS_PX)
        image = None if index is None else self.image_of(index)
        if index is None or image is None:
            return self.hide()
        self.index = index
        scene = self.map.getViewBox().mapViewToScene(QPointF(*self.map.plane[index]))
        self.card.show_beside(QPointF(self.map.mapFromScene(scene)), image, self.describe(index))

    def hide(self) -> None:
        self.index = None
        self.card.hide()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Leave:
            self.hide()
        return False
