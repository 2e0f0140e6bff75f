"""Guards against a broken Qt binding: PySide6 6.12.0 leaked a reference to None per void call,
which aborts the whole app ("Fatal Python error: none_dealloc") after some minutes of use."""

from __future__ import annotations

import sys

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QLabel


def test_qt_calls_returning_nothing_do_not_leak_none(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    rect = QRect()
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("x")
        rect.setWidth(3)
    # Other threads may hold or drop a few references meanwhile; a leak would show as -4000.
    assert sys.getrefcount(None) - before > -100
