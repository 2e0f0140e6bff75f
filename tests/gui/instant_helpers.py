"""Helpers for the instant-style GUI tests: choosing styles in the gallery, waiting for the instant
result, and mouse events on the canvas (the fixture ``instant_window`` is in conftest.py)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from desktop_app.main_window import MainWindow
from genart_core.requests.fast_style import FastStyleRequest
from tests.core.vgg_helpers import scene

WAIT_MS = 60_000  # a generous hang guard on a loaded machine, not a speed test


def select(window: MainWindow, *names: str) -> None:
    picker = window.style_picker
    picker.list.clearSelection()
    for index in range(picker.list.count()):
        item = picker.list.item(index)
        if item.text() in names:
            item.setSelected(True)


def preview_after(qtbot, window: MainWindow, action) -> tuple[FastStyleRequest, np.ndarray]:
    """Do ``action``; return the instant result that then reaches the canvas."""
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS) as blocker:
        action()
    _, request, result = blocker.args
    return request, result.images[0]


def photo_with_preview(qtbot, window: MainWindow, style: str = "Mosaic") -> np.ndarray:
    window.canvas.set_image(scene(96, 64))
    _, image = preview_after(qtbot, window, lambda: select(window, style))
    return image


def mouse(window: MainWindow, kind: QEvent.Type, point: tuple[float, float]) -> None:
    canvas = window.canvas
    position = canvas.image_rect().topLeft() + QPointF(*point) * canvas.zoom
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else Qt.MouseButton.LeftButton
    event = QMouseEvent(kind, position, canvas.mapToGlobal(position), Qt.MouseButton.LeftButton, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(canvas, event)
