"""Refine and Learn this style from the instant style panel: ordinary jobs of the window's job
controller (progress, Cancel), their results on the canvas and in the gallery."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.main_window import MainWindow
from genart_core.requests.fast_style import LearnStyleRequest, RefineRequest
from tests.core.vgg_helpers import scene, stripes, write
from tests.gui.instant_helpers import WAIT_MS, photo_with_preview, select


@pytest.fixture
def window(instant_window):
    return instant_window


def test_refine_runs_as_a_job_from_the_instant_result_and_can_be_cancelled(window, qtbot):
    photo_with_preview(qtbot, window)
    window.instant_panel.iterations.setValue(200)
    with qtbot.waitSignal(window.controller.progress, timeout=WAIT_MS):
        window.instant_panel.refine.click()
    assert window.cancel_button.isVisible() and window.stop_button.isVisible()  # Stop & Keep: Refine can keep its picture
    with qtbot.waitSignal(window.controller.cancelled, timeout=WAIT_MS):
        window.cancel_button.click()


def test_refine_result_becomes_a_layer(window, qtbot):
    photo_with_preview(qtbot, window)
    window.instant_panel.iterations.setValue(2)
    layers = len(window.canvas.document.layers)
    with qtbot.waitSignal(window.controller.job_started, timeout=WAIT_MS) as started:
        window.instant_panel.refine.click()
    request = started.args[0].request
    assert isinstance(request, RefineRequest) and request.instant.styles[0].name == "Mosaic"
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        pass
    results = [layer for layer in window.canvas.document.layers if layer.kind == "result"]
    assert len(window.canvas.document.layers) == layers + 1 and len(results) == 1
    assert results[0].info.request["type"] == "RefineRequest" and results[0].info.request["instant"]["styles"][0]["name"] == "Mosaic"


def _add_user_style(window: MainWindow, tmp_path: Path) -> str:
    assert window.style_picker.add_from(str(write(tmp_path / "Zigzag.png", stripes(96))))
    return "Zigzag"


def test_learn_this_style_runs_as_a_job_and_the_style_then_shows_as_learned(window, qtbot, tmp_path):
    window.instant_panel.enabled.setChecked(False)
    name = _add_user_style(window, tmp_path)
    window.canvas.set_image(scene(96, 64))
    select(window, name)
    assert not window.style_picker.is_learned(name)
    # The boxes start at the requests' own defaults: one default each, for the GUI, CLI and scripts.
    assert window.instant_panel.learn_steps.value() == LearnStyleRequest.steps
    assert window.instant_panel.iterations.value() == RefineRequest.iterations
    window.instant_panel.learn_steps.setValue(5)
    with qtbot.waitSignal(window.controller.job_started, timeout=WAIT_MS) as started:
        window.instant_panel.learn.click()
    request = started.args[0].request
    assert isinstance(request, LearnStyleRequest) and request.style_name == name
    assert request.canvas.shape[:2] == (64, 96)  # the style is learned for the picture on the canvas
    assert request.canvas_share == LearnStyleRequest.canvas_share  # "this picture and others"
    with qtbot.waitSignal(window.controller.finished, timeout=240_000):
        pass
    assert window.style_picker.is_learned(name)
    assert f"Learned “{name}”" in window.status_label.text()  # not the window's generic "Done"
    assert [style.name for style in window.style_picker.selected_styles()] == [name]
    assert window.instant_style.sources()[0].kind == "learned"


def test_learning_for_this_picture_only_with_an_empty_canvas_says_so_and_starts_nothing(window, qtbot, tmp_path):
    window.instant_panel.enabled.setChecked(False)
    select(window, _add_user_style(window, tmp_path))
    window.instant_panel.learn_for.setCurrentIndex(window.instant_panel.learn_for.findText("this picture only"))
    started = []
    window.controller.job_started.connect(started.append)
    window.instant_panel.learn.click()
    assert "Put a picture on the canvas" in window.status_label.text()
    assert not started and window.instant_style.learn_job is None


def test_learning_can_be_cancelled_and_keeps_nothing(window, qtbot, tmp_path):
    window.instant_panel.enabled.setChecked(False)
    name = _add_user_style(window, tmp_path)
    window.canvas.set_image(scene(96, 64))
    select(window, name)
    window.instant_panel.learn_steps.setValue(500)
    window.instant_panel.learn_for.setCurrentIndex(window.instant_panel.learn_for.findText("this picture only"))
    with qtbot.waitSignal(window.controller.progress, timeout=240_000, check_params_cb=lambda _j, p: p.phase == "Learning style"):
        window.instant_panel.learn.click()
    assert window.instant_style.learn_job.request.canvas_share == 1.0
    with qtbot.waitSignal(window.controller.cancelled, timeout=WAIT_MS):
        window.cancel_action.trigger()
    window.style_picker.reload()
    assert not window.style_picker.is_learned(name) and window.instant_style.learn_job is None
