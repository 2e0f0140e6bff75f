"""What a drop or a paste carries: a local file, or image data from another application."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QBuffer, QIODevice, QMimeData
from PySide6.QtGui import QImage


def image_source_from_mime(mime: QMimeData) -> str | bytes | None:
    """A local file path, or encoded image bytes, from dropped or pasted data."""
    if mime.hasUrls():
        for url in mime.urls():
            if url.isLocalFile():
                return url.toLocalFile()
    if mime.hasImage():
        # Qt has already decoded the other application's data into a QImage here, on the GUI
        # thread (it cannot be done elsewhere); it is encoded to PNG so that it is decoded again,
        # off the GUI thread, by the same loader (limits, colour profile, messages) as a file.
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            data = QByteArray()
            buffer = QBuffer(data)
            buffer.open(QIODevice.OpenModeFlag.WriteOnly)
            image.save(buffer, "PNG")
            return bytes(data.data())
    return None
