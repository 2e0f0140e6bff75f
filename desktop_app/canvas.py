"""The painting surface: shows the document image with zoom and pan, takes drops, keeps undo.

The document is a QImage; every change to it goes through the undo stack.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QBuffer, QIODevice, QMimeData, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QUndoCommand,
    QUndoStack,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from desktop_app.qimage import to_array, to_qimage
from genart_core.api import GenerationInfo
from genart_core.imaging import ImageLoadError, load_image, resize, to_rgb

log = logging.getLogger(__name__)

MIN_ZOOM, MAX_ZOOM = 0.02, 32.0


class _ReplaceImage(QUndoCommand):
    def __init__(self, canvas: "Canvas", image: QImage, info: GenerationInfo | None, text: str) -> None:
        super().__init__(text)
        self._canvas = canvas
        self._new = (image, info)
        self._old = (canvas._image, canvas._info)

    def redo(self) -> None:
        self._canvas._show(*self._new)

    def undo(self) -> None:
        self._canvas._show(*self._old)


def image_source_from_mime(mime: QMimeData) -> str | bytes | None:
    """A local file path, or encoded image bytes, from dropped or pasted data."""
    if mime.hasUrls():
        for url in mime.urls():
            if url.isLocalFile():
                return url.toLocalFile()
    if mime.hasImage():
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            data = QByteArray()
            buffer = QBuffer(data)
            buffer.open(QIODevice.OpenModeFlag.WriteOnly)
            image.save(buffer, "PNG")
            return bytes(data.data())
    return None


class Canvas(QWidget):
    """Zoom with the wheel, pan with the middle button or space + drag; drop images to open them."""

    image_changed = Signal()
    load_failed = Signal(str)  # a message for a person
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(320, 240)
        self.undo_stack = QUndoStack(self)
        self._image = QImage()
        self._info: GenerationInfo | None = None
        self._zoom = 1.0
        self._offset = QPointF(0, 0)  # widget position of the image's top-left corner
        self._pan_anchor: QPointF | None = None
        self._space_held = False
        self._fit_pending = True
        self._preview = QImage()  # a job's live preview, drawn over the document until cleared

    # -- document ---------------------------------------------------------------------------
    @property
    def has_image(self) -> bool:
        return not self._image.isNull()

    @property
    def generation_info(self) -> GenerationInfo | None:
        """How the current image was made, if an AI job made it."""
        return self._info

    def image_array(self) -> np.ndarray:
        return to_array(self._image) if self.has_image else np.zeros((0, 0, 3), np.uint8)

    def qimage(self) -> QImage:
        return self._image

    def set_image(self, array: np.ndarray, text: str = "Replace image", info: GenerationInfo | None = None) -> None:
        """Replace the document (undoable)."""
        self._fit_pending = not self.has_image or self._image.size() != to_qimage(array).size()
        self.undo_stack.push(_ReplaceImage(self, to_qimage(array), info, text))

    def selection_rect(self) -> tuple[int, int, int, int] | None:
        """The selected region as (x, y, width, height) in image pixels, or None for everything."""
        return None

    def inpaint_mask(self) -> np.ndarray | None:
        """H×W uint8, 255 where the user painted the inpainting mask; None when nothing is masked."""
        return None

    def add_result(
        self,
        array: np.ndarray,
        info: GenerationInfo | None,
        name: str,
        region: tuple[int, int, int, int] | None = None,
    ) -> None:
        """Put an AI result on the canvas (undoable): the whole image, or pasted into ``region``."""
        if region is None or not self.has_image:
            self.set_image(array, name, info)
            return
        x, y, width, height = region
        document = self.image_array()
        document[y : y + height, x : x + width] = resize(to_rgb(array), width, height)
        self.set_image(document, name, info)

    def open_file(self, source: str | Path | bytes) -> bool:
        """Load a file or encoded bytes; on failure emit load_failed and keep the canvas as it was."""
        try:
            array = load_image(source)
        except ImageLoadError as exc:
            self.load_failed.emit(str(exc))
            return False
        name = "dropped image" if isinstance(source, bytes) else Path(source).name
        self.set_image(array, f"Open {name}")
        return True

    def set_preview(self, preview: QImage | None) -> None:
        """Show a job's preview stretched over the document (or the view); None clears it."""
        self._preview = preview if preview is not None else QImage()
        self.update()

    def _show(self, image: QImage, info: GenerationInfo | None) -> None:
        self._image, self._info = image, info
        if self._fit_pending:
            self.zoom_to_fit()
            self._fit_pending = False
        self.image_changed.emit()
        self.update()

    # -- view -------------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self._zoom

    def zoom_to_fit(self) -> None:
        if not self.has_image:
            return
        margin = 16
        scale = min((self.width() - margin) / self._image.width(), (self.height() - margin) / self._image.height())
        self._set_zoom(max(MIN_ZOOM, min(scale, MAX_ZOOM)))
        self._center()

    def zoom_actual_size(self) -> None:
        self._set_zoom(1.0)
        self._center()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        anchor = anchor or QPointF(self.width() / 2, self.height() / 2)
        image_point = (anchor - self._offset) / self._zoom
        self._set_zoom(max(MIN_ZOOM, min(self._zoom * factor, MAX_ZOOM)))
        self._offset = anchor - image_point * self._zoom
        self.update()

    def _set_zoom(self, zoom: float) -> None:
        if zoom != self._zoom:
            self._zoom = zoom
            self.zoom_changed.emit(zoom)

    def _center(self) -> None:
        self._offset = QPointF(
            (self.width() - self._image.width() * self._zoom) / 2,
            (self.height() - self._image.height() * self._zoom) / 2,
        )
        self.update()

    def image_rect(self) -> QRectF:
        """Where the image is drawn, in widget coordinates."""
        return QRectF(self._offset, self._image.size().toSizeF() * self._zoom)

    # -- painting and input -----------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(48, 48, 52))
        if not self._preview.isNull():
            self._paint_preview(painter)
            return
        if not self.has_image:
            painter.setPen(QColor(170, 170, 176))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Drop an image here, or press Ctrl+O to open one")
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._zoom < 1.0)
        # Draw only the exposed part: at high zoom on a big image this keeps repaints cheap.
        target = self.image_rect().intersected(QRectF(event.rect()))
        source = QRectF((target.topLeft() - self._offset) / self._zoom, target.size() / self._zoom)
        painter.drawImage(target, self._image, source)

    def _paint_preview(self, painter: QPainter) -> None:
        if self.has_image:
            target = self.image_rect()
        else:
            side = min(self.width(), self.height()) - 32
            scale = side / max(self._preview.width(), self._preview.height())
            size = self._preview.size().toSizeF() * scale
            target = QRectF(QPointF((self.width() - size.width()) / 2, (self.height() - size.height()) / 2), size)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(target, self._preview)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.has_image and self._fit_pending:
            self.zoom_to_fit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(1.25**steps, event.position())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = True
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            self.unsetCursor()
        super().keyReleaseEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.MiddleButton or (self._space_held and event.button() == Qt.MouseButton.LeftButton):
            self._pan_anchor = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_anchor is not None:
            self._offset += event.position() - self._pan_anchor
            self._pan_anchor = event.position()
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_anchor is not None:
            self._pan_anchor = None
            self.setCursor(Qt.CursorShape.OpenHandCursor if self._space_held else Qt.CursorShape.ArrowCursor)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        source = image_source_from_mime(event.mimeData())
        if source is None:
            self.load_failed.emit("Only image files or image data can be dropped on the canvas.")
            return
        event.acceptProposedAction()
        self.open_file(source)
