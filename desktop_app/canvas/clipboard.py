"""Edit ▸ Copy and Paste for the canvas: the picture as image data, and image data or files back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication, QImage

from desktop_app.canvas import pixels as px
from desktop_app.canvas.document import CanvasLayer
from desktop_app.canvas.mime import image_source_from_mime
from desktop_app.image_loading import decode_off_gui_thread
from genart_core.api import GenArtError
from genart_core.imaging import load_image
from genart_core.layers import rgba

if TYPE_CHECKING:
    from desktop_app.canvas.widget import Canvas


def copy_picture(canvas: "Canvas") -> bool:
    """The flattened picture (or the selected part of it) as image data on the clipboard."""
    if not canvas.has_image:
        return False
    image = canvas.document.composite
    selection = canvas.selection_rect()
    if selection is not None:
        image = image.copy(QRect(*selection))
    QGuiApplication.clipboard().setImage(image.convertToFormat(QImage.Format.Format_RGB888))
    return True


def paste_picture(canvas: "Canvas") -> bool:
    """Paste image data or an image file: as a new layer (at the selection) or as a new document."""
    source = image_source_from_mime(QGuiApplication.clipboard().mimeData())
    if source is None:
        canvas.load_failed.emit("The clipboard holds no image to paste.")
        return False
    if not canvas.has_image:
        return canvas.open_file(source)
    try:
        # A pasted file can be any picture on disk: decoded as Open does (limits, off the GUI thread).
        array = rgba(decode_off_gui_thread(canvas, load_image, source))
    except GenArtError as exc:
        canvas.load_failed.emit(str(exc))
        return False
    except MemoryError:
        canvas.load_failed.emit("There is not enough memory to paste this image. Close other documents or apps and try again.")
        return False
    document = canvas.document
    x, y = (canvas.selection_rect() or (0, 0, 0, 0))[:2]
    pixels = px.blank(document.width, document.height)
    height, width = min(array.shape[0], document.height - y), min(array.shape[1], document.width - x)
    pixels[y : y + height, x : x + width] = px.from_rgba(array[:height, :width])
    canvas.add_layer(CanvasLayer("Pasted", pixels, "paint"), "Paste")
    return True
