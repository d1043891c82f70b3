"""A fixed-aspect image display with fixed levels (0–1), so contrast never jumps between decodes."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg


class ImagePane(pg.GraphicsLayoutWidget):
    """Shows one H×W×C image in [0, 1]: grey for C=1, colour for C=3."""

    def __init__(self, parent=None, min_size: int = 120):
        super().__init__(parent)
        self.setMinimumSize(min_size, min_size)
        self.view = self.addViewBox(lockAspect=True, enableMouse=False, invertY=True)
        self.item = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.item)

    def set_image(self, image: np.ndarray | None) -> None:
        if image is None:
            self.item.clear()
            return
        image = np.asarray(image, np.float32)
        if image.ndim == 3 and image.shape[2] == 1:
            image = image[..., 0]
        fitted = self.item.image is not None and self.item.image.shape == image.shape
        self.item.setImage(image, levels=(0.0, 1.0), autoLevels=False)
        if not fitted:  # the same size in the same place: no new range (a click sets three panes)
            self.view.autoRange(padding=0)
