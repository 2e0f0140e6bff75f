"""Painting on the canvas: strokes, undo/redo, selection, fill, eyedropper, mask, clipboard, memory cap."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QMouseEvent
from PySide6.QtWidgets import QApplication

from desktop_app.canvas import Canvas, Tool
from desktop_app.canvas.clipboard import copy_picture, paste_picture
from desktop_app.qimage import to_array, to_qimage


@pytest.fixture
def canvas(qtbot):
    widget = Canvas()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    widget.set_image(np.full((100, 160, 3), 200, np.uint8), "Start")
    widget.zoom_actual_size()
    return widget


def _mouse(canvas: Canvas, kind: QEvent.Type, image_point: tuple[float, float], button=Qt.MouseButton.LeftButton) -> None:
    """A real mouse event at an image point (through the canvas's zoom and pan)."""
    position = canvas.image_rect().topLeft() + QPointF(*image_point) * canvas.zoom
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    event = QMouseEvent(kind, position, canvas.mapToGlobal(position), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(canvas, event)


def drag(canvas: Canvas, points: list[tuple[float, float]], button=Qt.MouseButton.LeftButton) -> None:
    _mouse(canvas, QEvent.Type.MouseButtonPress, points[0], button)
    for point in points[1:]:
        _mouse(canvas, QEvent.Type.MouseMove, point, button)
    _mouse(canvas, QEvent.Type.MouseButtonRelease, points[-1], button)


def test_a_brush_stroke_paints_the_expected_pixels(canvas):
    canvas.brush.colour, canvas.brush.size, canvas.brush.hardness, canvas.brush.opacity = (255, 0, 0), 10, 1.0, 1.0
    drag(canvas, [(20, 50), (60, 50), (100, 50)])
    image = canvas.image_array()
    assert (image[50, 20:101] == (255, 0, 0)).all()  # along the line: pure brush colour
    assert (image[44:57, 40] == (255, 0, 0)).sum(axis=1).tolist().count(3) >= 9  # about 10 px wide
    assert (image[30, :] == 200).all() and (image[70, :] == 200).all()  # away from it: untouched
    assert canvas.document.active.name == "Paint"  # painted on the paint layer, not the photo
    assert (canvas.document.layers[0].pixels[50, 50] == canvas.document.layers[0].pixels[0, 0]).all()


def test_opacity_holds_within_a_stroke_that_crosses_itself(canvas):
    canvas.brush.colour, canvas.brush.size, canvas.brush.hardness, canvas.brush.opacity = (0, 0, 0), 12, 1.0, 0.5
    drag(canvas, [(20, 50), (100, 50), (20, 50), (100, 50)])
    assert tuple(canvas.image_array()[50, 60]) == pytest.approx((100, 100, 100), abs=2)


def test_the_eraser_removes_paint(canvas):
    canvas.brush.colour, canvas.brush.size, canvas.brush.hardness = (0, 0, 255), 20, 1.0
    drag(canvas, [(30, 30), (90, 30)])
    canvas.set_tool(Tool.ERASER)
    canvas.brush.size = 30  # a little wider, so the anti-aliased rim goes too
    drag(canvas, [(30, 30), (90, 30)])
    assert (canvas.image_array() == 200).all()


def test_undo_and_redo_round_trip_exactly(canvas):
    canvas.brush.colour, canvas.brush.hardness, canvas.brush.opacity = (10, 200, 30), 0.3, 0.7
    states = [canvas.image_array()]
    for y in (20, 40, 60):
        drag(canvas, [(10, y), (80, y + 15), (150, y)])
        states.append(canvas.image_array())
    canvas.set_tool(Tool.FILL)
    _mouse(canvas, QEvent.Type.MouseButtonPress, (5, 95))
    states.append(canvas.image_array())
    assert all(not np.array_equal(a, b) for a, b in zip(states, states[1:]))
    for expected in reversed(states[:-1]):
        canvas.undo_stack.undo()
        assert np.array_equal(canvas.image_array(), expected)
    for expected in states[1:]:
        canvas.undo_stack.redo()
        assert np.array_equal(canvas.image_array(), expected)


def test_undo_keeps_only_the_changed_tiles_and_spills_past_its_memory_cap(qtbot):
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.set_image(np.full((1024, 1024, 3), 90, np.uint8))
    canvas.undo_memory.limit = 64 * 1024  # tiny, to force spilling to disk
    canvas.brush.size, canvas.brush.colour = 8, (255, 255, 0)
    states = [canvas.image_array()]
    for y in (100, 300, 500, 700):
        canvas.begin_stroke(QPointF(100, y))
        canvas.continue_stroke(QPointF(300, y))
        canvas.end_stroke()
        states.append(canvas.image_array())
    stroke = canvas.undo_stack.command(canvas.undo_stack.count() - 1)
    assert stroke._payload.nbytes <= 2 * 6 * 64 * 64 * 4  # a few tiles before+after, not a 4 MB layer copy
    assert canvas.undo_memory.resident_bytes() <= canvas.undo_memory.limit + stroke._payload.nbytes
    for expected in reversed(states[:-1]):
        canvas.undo_stack.undo()
        assert np.array_equal(canvas.image_array(), expected)
    canvas.undo_stack.redo()
    assert np.array_equal(canvas.image_array(), states[1])


def test_a_selection_limits_painting_and_fill(canvas):
    canvas.set_tool(Tool.SELECT)
    drag(canvas, [(40, 20), (80, 60)])
    assert canvas.selection_rect() == (40, 20, 40, 40)
    canvas.set_tool(Tool.BRUSH)
    canvas.brush.colour, canvas.brush.size, canvas.brush.hardness = (0, 0, 0), 10, 1.0
    drag(canvas, [(10, 40), (150, 40)])
    canvas.set_tool(Tool.FILL)
    canvas.brush.colour = (0, 255, 0)
    _mouse(canvas, QEvent.Type.MouseButtonPress, (45, 25))
    image = canvas.image_array()
    outside = np.ones(image.shape[:2], bool)
    outside[20:60, 40:80] = False
    assert (image[outside] == 200).all()  # nothing changed outside the selection
    assert (image[40, 41:79] == 0).all() and (image[25, 45] == (0, 255, 0)).all()
    canvas.set_tool(Tool.SELECT)
    drag(canvas, [(5, 5), (5, 5)])  # a click deselects
    assert canvas.selection_rect() is None


def test_the_eyedropper_picks_the_colour_under_it(canvas, qtbot):
    canvas.add_result(np.full((100, 160, 3), (12, 34, 56), np.uint8), None, "flat")
    canvas.set_tool(Tool.EYEDROPPER)
    with qtbot.waitSignal(canvas.colour_picked):
        _mouse(canvas, QEvent.Type.MouseButtonPress, (10, 10))
    assert canvas.brush.colour == (12, 34, 56)


def test_the_mask_is_an_overlay_not_part_of_the_picture(canvas):
    canvas.set_tool(Tool.MASK)
    assert canvas.inpaint_mask() is None
    drag(canvas, [(50, 50), (60, 50)])
    mask = canvas.inpaint_mask()
    assert mask.shape == (100, 160) and mask[50, 55] == 255 and mask[10, 10] == 0
    assert (canvas.image_array() == 200).all()
    drag(canvas, [(50, 50), (60, 50)], Qt.MouseButton.RightButton)  # the right button erases it
    assert canvas.inpaint_mask() is None
    canvas.undo_stack.undo()
    assert canvas.inpaint_mask()[50, 55] == 255
    canvas.add_result(np.zeros((40, 40, 3), np.uint8), None, "inpainted", (40, 30, 40, 40))
    assert canvas.inpaint_mask() is None  # cleared after use


def test_copy_and_paste_through_the_clipboard(canvas):
    canvas.brush.colour = (255, 0, 255)
    drag(canvas, [(10, 10), (30, 10)])
    assert copy_picture(canvas)
    copied = to_array(QGuiApplication.clipboard().image())
    assert np.array_equal(copied, canvas.image_array())
    QGuiApplication.clipboard().setImage(to_qimage(np.full((10, 20, 3), (1, 2, 3), np.uint8)))
    layers_before = len(canvas.document.layers)
    assert paste_picture(canvas)
    assert len(canvas.document.layers) == layers_before + 1
    assert (canvas.image_array()[:10, :20] == (1, 2, 3)).all()
    QGuiApplication.clipboard().setText("not an image")
    assert not paste_picture(canvas)


def test_zoom_and_pan(canvas):
    canvas.zoom_to_fit()
    fitted = canvas.zoom
    assert canvas.image_rect().width() <= canvas.width()
    canvas.zoom_actual_size()
    assert canvas.zoom == 1.0
    before = canvas.image_rect().topLeft()
    _mouse(canvas, QEvent.Type.MouseButtonPress, (10, 10), Qt.MouseButton.MiddleButton)
    _mouse(canvas, QEvent.Type.MouseMove, (30, 25), Qt.MouseButton.MiddleButton)
    _mouse(canvas, QEvent.Type.MouseButtonRelease, (30, 25), Qt.MouseButton.MiddleButton)
    assert canvas.image_rect().topLeft() - before == QPointF(20, 15)
    assert fitted != 1.0 or canvas.zoom == 1.0
    assert isinstance(canvas.qimage(), QImage) and canvas.rect().contains(QPoint(1, 1))
