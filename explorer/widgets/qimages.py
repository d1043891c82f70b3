"""NumPy images ([0, 1], H×W×C) as Qt pixmaps, for the widgets that show them as pictures."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap

from vae_explorer.trainer.files.imagegrid import to_uint8


def to_pixmap(image: np.ndarray, scale: int = 1) -> QPixmap:
    """Grey or colour, enlarged by a whole ``scale`` with crisp pixels."""
    pixels = to_uint8(np.asarray(image))
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    pixels = np.ascontiguousarray(pixels)
    h, w = pixels.shape[:2]
    if pixels.ndim == 2:
        qimage = QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8)
    else:
        qimage = QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    pixmap = QPixmap.fromImage(qimage.copy())
    if scale > 1:
        pixmap = pixmap.scaled(
            w * scale, h * scale, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
        )
    return pixmap
