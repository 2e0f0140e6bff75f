"""Real drag-and-drop events, delivered to a widget as the window system would."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget


def file_mime(path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    return mime


def drop(widget: QWidget, mime: QMimeData) -> None:
    """Drag-enter (which must be accepted) then drop, at the widget's centre."""
    position = QPointF(widget.width() / 2, widget.height() / 2)
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    # QDragEnterEvent takes an integer QPoint on PySide6 ≤ 6.11; QDropEvent takes a QPointF.
    enter = QDragEnterEvent(position.toPoint(), Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted(), f"{type(widget).__name__} refused the drag"
    QApplication.sendEvent(widget, QDropEvent(position, Qt.DropAction.CopyAction, mime, buttons, modifiers))


def drop_file(widget: QWidget, path) -> None:
    drop(widget, file_mime(path))
