"""Layers: AI results as their own layers, compositing, the layers panel, flatten."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from desktop_app.canvas import Canvas
from desktop_app.layers_panel import LayersPanel
from genart_core.api import GenerationInfo
from genart_core.layers import composite


@pytest.fixture
def canvas(qtbot):
    widget = Canvas()
    qtbot.addWidget(widget)
    rng = np.random.default_rng(3)
    widget.set_image(rng.integers(0, 256, (60, 80, 3), dtype=np.uint8), "Start")
    return widget


def test_a_result_becomes_its_own_undoable_layer(canvas):
    original = canvas.image_array()
    info = GenerationInfo(prompt="stylised", seed=3)
    canvas.add_result(np.zeros((60, 80, 3), np.uint8), info, "Style")
    assert [layer.name for layer in canvas.document.layers] == ["Image", "Paint", "Style"]
    assert (canvas.image_array() == 0).all() and canvas.generation_info is info
    canvas.undo_stack.undo()
    assert np.array_equal(canvas.image_array(), original)
    canvas.undo_stack.redo()
    assert (canvas.image_array() == 0).all()


def test_a_smaller_result_of_the_same_shape_is_scaled_onto_the_document(canvas):
    canvas.add_result(np.full((30, 40, 3), 7, np.uint8), None, "Half size")
    assert len(canvas.document.layers) == 3 and (canvas.image_array() == 7).all()


def test_a_result_of_another_shape_starts_a_new_document(canvas):
    canvas.add_result(np.full((50, 50, 3), 9, np.uint8), None, "Square")
    assert canvas.image_array().shape == (50, 50, 3)
    canvas.undo_stack.undo()
    assert canvas.image_array().shape == (60, 80, 3)


def test_a_region_result_is_blended_in_without_a_seam(canvas):
    original = canvas.image_array().astype(int)
    canvas.add_result(np.full((20, 30, 3), 255, np.uint8), None, "Patch", region=(20, 20, 30, 20))
    image = canvas.image_array().astype(int)
    outside = np.ones((60, 80), bool)
    outside[20:40, 20:50] = False
    assert np.array_equal(image[outside], original[outside])
    assert (image[30, 35] == 255).all()  # the middle is the result
    # Towards the edge the result fades into the original: no hard step at the border.
    row = image[30, 20:35, 0] - original[30, 20:35, 0]
    expected_full = 255 - original[30, 20:35, 0]
    weights = row / np.maximum(expected_full, 1)
    assert weights[0] < 0.2 and weights[-1] > 0.95
    assert (np.diff(weights[expected_full > 40]) > -0.05).all()  # ramps up monotonically


def test_the_canvas_composite_matches_the_core_composite(canvas):
    canvas.add_result(np.full((60, 80, 3), (250, 10, 10), np.uint8), None, "Red")
    canvas.add_result(np.full((60, 80, 3), (10, 10, 250), np.uint8), None, "Blue", region=(10, 10, 40, 30))
    red, blue = canvas.document.layers[2], canvas.document.layers[3]
    canvas.set_layer_property(red, "opacity", 0.4)
    canvas.set_layer_property(blue, "opacity", 0.7)
    shown = canvas.image_array().astype(int)
    expected = composite(canvas.core_layers(), 80, 60).astype(int)
    assert np.abs(shown - expected).max() <= 2
    canvas.set_layer_property(red, "visible", False)
    canvas.set_layer_property(blue, "visible", False)
    canvas.undo_stack.undo()
    canvas.undo_stack.undo()
    assert np.abs(canvas.image_array().astype(int) - shown).max() == 0


def test_the_panel_shows_the_stack_and_edits_it_undoably(canvas, qtbot):
    panel = LayersPanel(canvas)
    qtbot.addWidget(panel)
    original = canvas.image_array()
    canvas.add_result(np.zeros((60, 80, 3), np.uint8), None, "Dark")
    assert [panel.list.item(row).text() for row in range(panel.list.count())] == ["Dark", "Paint", "Image"]
    assert panel.list.currentRow() == 0
    panel.opacity.setValue(40)
    panel.opacity.setValue(50)  # one slider drag is one undo step
    assert canvas.document.layers[2].opacity == 0.5
    blended = canvas.image_array().astype(int)
    assert np.abs(blended - original.astype(int) * 0.5).max() <= 2
    panel.list.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert np.array_equal(canvas.image_array(), original)
    canvas.undo_stack.undo()  # visibility
    canvas.undo_stack.undo()  # opacity, both slider moves at once
    assert canvas.document.layers[2].opacity == 1.0 and (canvas.image_array() == 0).all()


def test_flatten_and_layer_order(canvas):
    canvas.add_result(np.zeros((60, 80, 3), np.uint8), None, "Dark")
    dark = canvas.document.layers[2]
    canvas.move_layer(dark, 0)  # under the photo: hidden by it
    assert canvas.document.layers[0] is dark
    picture = canvas.image_array()
    canvas.flatten()
    assert [layer.kind for layer in canvas.document.layers] == ["image", "paint"]
    assert np.array_equal(canvas.image_array(), picture)
    canvas.undo_stack.undo()
    assert len(canvas.document.layers) == 3


def _paint_dot(canvas: Canvas, colour=(0, 200, 0)) -> None:
    canvas.brush.colour = colour
    canvas.begin_stroke(QPointF(40, 30))
    canvas.end_stroke()


def test_a_result_not_made_from_the_canvas_goes_under_the_paint_layer(canvas):
    canvas.add_result(np.zeros((60, 80, 3), np.uint8), None, "Generated", made_from_canvas=False)
    assert [layer.name for layer in canvas.document.layers] == ["Image", "Generated", "Paint"]
    assert canvas.document.active.name == "Paint"  # the brush stays on the paint layer…
    _paint_dot(canvas)
    assert tuple(canvas.image_array()[30, 40]) == (0, 200, 0)  # …whose strokes are seen over the result
    canvas.undo_stack.undo()
    canvas.undo_stack.undo()
    assert [layer.name for layer in canvas.document.layers] == ["Image", "Paint"]
    canvas.undo_stack.redo()
    assert canvas.document.active.name == "Paint"  # redo keeps the brush where it was too


def test_a_result_made_from_the_canvas_goes_on_top_and_takes_the_brush(canvas):
    canvas.add_result(np.zeros((60, 80, 3), np.uint8), None, "Stylised", made_from_canvas=True)
    assert canvas.document.layers[-1].name == "Stylised" and canvas.document.active.name == "Stylised"
    _paint_dot(canvas)
    assert tuple(canvas.image_array()[30, 40]) == (0, 200, 0)


def test_painting_on_a_hidden_layer_shows_it_and_says_so(canvas, qtbot):
    canvas.add_result(np.zeros((60, 80, 3), np.uint8), None, "Dark")
    dark = canvas.document.active
    canvas.set_layer_property(dark, "visible", False)
    with qtbot.waitSignal(canvas.notice) as notice:
        _paint_dot(canvas)
    assert "“Dark” was hidden" in notice.args[0]
    assert dark.visible and tuple(canvas.image_array()[30, 40]) == (0, 200, 0)
    canvas.undo_stack.undo()  # the stroke
    canvas.undo_stack.undo()  # showing the layer
    assert not dark.visible


def test_the_layers_panel_marks_the_layer_that_takes_strokes(canvas, qtbot):
    panel = LayersPanel(canvas)
    qtbot.addWidget(panel)
    assert "Paint" in panel.target_label.text()
    bold = [panel.list.item(row).text() for row in range(panel.list.count()) if panel.list.item(row).font().bold()]
    assert bold == ["Paint"]
    panel.list.setCurrentRow(1)  # "Image"
    bold = [panel.list.item(row).text() for row in range(panel.list.count()) if panel.list.item(row).font().bold()]
    assert bold == ["Image"] and "Image" in panel.target_label.text()
