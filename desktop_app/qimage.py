"""The only place QImage and numpy meet."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel


def to_qimage(array: np.ndarray) -> QImage:
    """uint8 H×W (grey), H×W×3 (RGB) or H×W×4 (RGBA, straight alpha) -> a QImage that owns its pixels."""
    if array.dtype != np.uint8:
        raise TypeError(f"expected uint8 pixels, got {array.dtype}")
    array = np.ascontiguousarray(array)
    height, width = array.shape[:2]
    if array.ndim == 2:
        fmt, channels = QImage.Format.Format_Grayscale8, 1
    elif array.shape[2] == 3:
        fmt, channels = QImage.Format.Format_RGB888, 3
    elif array.shape[2] == 4:
        fmt, channels = QImage.Format.Format_RGBA8888, 4
    else:
        raise ValueError(f"cannot show an image with {array.shape[2]} channels")
    # QImage would only borrow the numpy buffer; copy() gives it pixels of its own.
    return QImage(array.data, width, height, width * channels, fmt).copy()


def to_array(image: QImage, keep_alpha: bool = False) -> np.ndarray:
    """A QImage as uint8 H×W×3 (or H×W×4 straight-alpha RGBA with ``keep_alpha``)."""
    fmt = QImage.Format.Format_RGBA8888 if keep_alpha else QImage.Format.Format_RGB888
    converted = image.convertToFormat(fmt)
    channels = 4 if keep_alpha else 3
    width, height = converted.width(), converted.height()
    buffer = np.frombuffer(converted.constBits(), np.uint8, count=converted.bytesPerLine() * height)
    rows = buffer.reshape(height, converted.bytesPerLine())
    return rows[:, : width * channels].reshape(height, width, channels).copy()


def show_in_label(label: QLabel, array: np.ndarray) -> None:
    """``array`` scaled to fit ``label``, keeping its aspect and its hard pixel edges (small samples)."""
    pixmap = QPixmap.fromImage(to_qimage(array))
    label.setPixmap(pixmap.scaled(label.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation))
