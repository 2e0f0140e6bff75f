"""Keyboard shortcuts: each key sequence is registered once, and Redo answers Ctrl+Shift+Z and Ctrl+Y.

On a real X server (QT_QPA_PLATFORM=xcb under xvfb-run) the platform binds Redo to Ctrl+Shift+Z,
where the old shortcut list registered it twice; offscreen, Redo is Ctrl+Y first."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence

from desktop_app.shortcuts import redo_shortcuts, unique_shortcuts


def test_a_sequence_that_is_also_the_platform_binding_is_listed_once(qapp):
    # X11 desktops bind Redo to Ctrl+Shift+Z: listing it beside the standard key used to register it twice.
    listed = unique_shortcuts("Ctrl+Shift+Z", QKeySequence("Ctrl+Shift+Z"), "Ctrl+Y", "Ctrl+Y")
    assert [sequence.toString() for sequence in listed] == ["Ctrl+Shift+Z", "Ctrl+Y"]
    texts = [sequence.toString() for sequence in redo_shortcuts()]
    assert len(texts) == len(set(texts)) and {"Ctrl+Shift+Z", "Ctrl+Y"} <= set(texts)


def test_no_two_actions_of_the_window_share_a_key(window):
    owners: dict[str, str] = {}
    for action in window.findChildren(type(window.redo_action)):
        for sequence in action.shortcuts():
            key = sequence.toString()
            assert key not in owners or owners[key] == action.text(), f"{key} is bound to {owners.get(key)} and {action.text()}"
            owners[key] = action.text()
    assert len(window.redo_action.shortcuts()) == len({s.toString() for s in window.redo_action.shortcuts()})


def _painted_stroke(window) -> None:
    window.canvas.set_image(np.full((40, 40, 3), 255, np.uint8))
    window.canvas.begin_stroke(QPointF(20, 20))
    window.canvas.end_stroke()


def test_ctrl_shift_z_typed_on_the_window_redoes(window, qtbot):
    window.files.ask_before_close = False  # on a real display closing would ask about the stroke
    _painted_stroke(window)
    stack = window.canvas.undo_stack
    painted = stack.index()
    window.activateWindow()  # shortcuts answer keys only in the active window (on a real X server too)
    qtbot.waitUntil(window.isActiveWindow)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert stack.index() == painted - 1  # undone by Ctrl+Z
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert stack.index() == painted  # redone by Ctrl+Shift+Z
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert stack.index() == painted  # and by Ctrl+Y
