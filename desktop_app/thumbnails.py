"""Icons for galleries (styles, history): an image file decoded straight to thumbnail size."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QImageReader, QPixmap


def thumbnail_icon(path: Path, side: int) -> QIcon:
    """The picture at ``path`` fitted into side×side, EXIF orientation applied; an empty icon if it
    cannot be read (the gallery entry stays listed)."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid():
        # Decoding at the small size is much cheaper than decoding all of a large image.
        reader.setScaledSize(size.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    return QIcon() if image.isNull() else QIcon(QPixmap.fromImage(image))
