"""The canvas's answers to the mouse, tablet, keyboard, wheel and drops: which tool does what, pan
with the middle button or space + drag, brush size with [ and ], and the brush outline under the
pointer. The Canvas in widget.py holds the document and does the painting these handlers ask for
(begin_stroke, fill_at, pick_colour, open_file, zoom_by, …) and the state they read."""

from __future__ import annotations

import enum

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeyEvent, QMouseEvent, QTabletEvent, QWheelEvent
from PySide6.QtWidgets import QWidget

from desktop_app.canvas.mime import image_source_from_mime


class Tool(enum.Enum):
    BRUSH = "brush"
    ERASER = "eraser"
    EYEDROPPER = "eyedropper"
    FILL = "fill"
    SELECT = "select"
    MASK = "mask"  # paints the inpainting mask, which is not part of the picture


class CanvasInput(QWidget):
    """Input handling of :class:`desktop_app.canvas.widget.Canvas` (its base class)."""

    def _update_hover(self, position: QPointF | None) -> None:
        radius = self.brush.size / 2 * self._view.zoom + 3
        for point in (self._hover, position):
            if point is not None:
                self.update(QRectF(point.x() - radius, point.y() - radius, 2 * radius, 2 * radius).toAlignedRect())
        self._hover = position

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
        elif event.key() == Qt.Key.Key_BracketLeft:
            self.brush.size = max(1.0, self.brush.size / 1.2)
            self.update()
        elif event.key() == Qt.Key.Key_BracketRight:
            self.brush.size = min(1000.0, self.brush.size * 1.2)
            self.update()
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            self.unsetCursor()
        super().keyReleaseEvent(event)

    def tabletEvent(self, event: QTabletEvent) -> None:  # noqa: N802
        # Remember the pressure and let Qt turn the event into the mouse event we handle.
        self._tablet_pressure = event.pressure() if event.type() != QTabletEvent.Type.TabletRelease else None
        event.ignore()

    def _pressure(self) -> float:
        return 1.0 if self._tablet_pressure is None else max(0.0, min(1.0, self._tablet_pressure))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (self._space_held and button == Qt.MouseButton.LeftButton):
            self._pan_anchor = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if not self.has_image or (self._preview.shown and not self._preview.lets_paint):  # no painting under a job's preview
            return
        point = self.image_point(event.position())
        x, y = int(point.x()), int(point.y())
        tool = self._tool
        if event.modifiers() & Qt.KeyboardModifier.AltModifier and tool in (Tool.BRUSH, Tool.FILL):
            tool = Tool.EYEDROPPER
        if tool is Tool.MASK and button in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            self.begin_stroke(point, self._pressure(), erase_mask=button == Qt.MouseButton.RightButton)
        elif button != Qt.MouseButton.LeftButton:
            return
        elif tool in (Tool.BRUSH, Tool.ERASER):
            self.begin_stroke(point, self._pressure())
        elif tool is Tool.EYEDROPPER:
            self.pick_colour(x, y)
        elif tool is Tool.FILL:
            self.fill_at(x, y)
        elif tool is Tool.SELECT:
            self._select_anchor = point

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_anchor is not None:
            delta = event.position() - self._pan_anchor
            self._pan_anchor = event.position()
            self.pan_by(delta.x(), delta.y())
            return
        self._update_hover(event.position())
        point = self.image_point(event.position())
        if self._stroke is not None:
            self.continue_stroke(point, self._pressure())
        elif self._select_anchor is not None:
            anchor = self._select_anchor
            rect = QRectF(anchor, point).normalized().toAlignedRect()
            self.set_selection((rect.x(), rect.y(), rect.width(), rect.height()))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_anchor is not None:
            self._pan_anchor = None
            self.setCursor(Qt.CursorShape.OpenHandCursor if self._space_held else Qt.CursorShape.ArrowCursor)
            return
        if self._stroke is not None:
            self.end_stroke()
        elif self._select_anchor is not None:
            moved = (self.image_point(event.position()) - self._select_anchor).manhattanLength() * self._view.zoom
            if moved < 3:  # a click, not a drag: select nothing
                self.clear_selection()
            self._select_anchor = None

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._update_hover(None)
        super().leaveEvent(event)

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
