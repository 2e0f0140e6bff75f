"""The foundation, driven through the real widgets: drops, jobs on the worker thread, Cancel, save."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QImage

from desktop_app.main_window import MainWindow
from desktop_app.qimage import to_array, to_qimage
from genart_core.artwork import read_generation_info
from genart_core.requests.selftest import SelfTestRequest
from tests.gui.dnd import drop, file_mime
from tests.images import gradient, write_huge_png_header, write_png, write_truncated_png


def test_dropping_an_image_file_shows_it_on_the_canvas(window, tmp_path):
    array = gradient(64, 48)
    drop(window.canvas, file_mime(write_png(tmp_path / "photo.png", array)))
    assert np.array_equal(window.canvas.image_array(), array)
    window.canvas.undo_stack.undo()
    assert not window.canvas.has_image


def test_dropping_image_data_from_another_app(window):
    mime = QMimeData()
    mime.setImageData(to_qimage(gradient(30, 20)))
    drop(window.canvas, mime)
    assert window.canvas.image_array().shape == (20, 30, 3)


def _write_text(path, text):
    path.write_text(text)
    return path


def _make_folder(path):
    path.mkdir()
    return path


@pytest.mark.parametrize("make_bad", ["text", "truncated", "huge", "folder"])
def test_bad_drops_show_a_message_and_keep_the_canvas(window, tmp_path, make_bad):
    original = gradient(64, 48)
    drop(window.canvas, file_mime(write_png(tmp_path / "good.png", original)))
    bad = {
        "text": lambda: _write_text(tmp_path / "notes.png", "not an image"),
        "truncated": lambda: write_truncated_png(tmp_path / "cut.png"),
        "huge": lambda: write_huge_png_header(tmp_path / "huge.png"),
        "folder": lambda: _make_folder(tmp_path / "a folder"),
    }[make_bad]()
    drop(window.canvas, file_mime(bad))
    assert np.array_equal(window.canvas.image_array(), original)
    box = window.last_error_box
    assert box is not None and box.isVisible()
    expected = {"text": "not an image", "truncated": "damaged", "huge": "too large", "folder": "is a folder"}[make_bad]
    assert expected in box.text()
    assert window.isVisible()


def test_a_job_runs_on_the_worker_with_progress_and_a_preview(window, qtbot):
    previews = []
    window.controller.progress.connect(lambda _job, p: previews.append(p.preview is not None))
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as finished:
        job = window.submit(SelfTestRequest(width=96, height=64, steps=6, work_size=64, preview_every=2))
    assert finished.args[0] == job
    assert previews.count(True) >= 2
    assert window.canvas.image_array().shape == (64, 96, 3)
    assert window.status_label.text() == "Done"


def test_cancel_stops_a_running_job_within_a_second(window, qtbot):
    with qtbot.waitSignal(window.controller.progress, timeout=60_000):
        window.submit(SelfTestRequest(steps=400, work_size=384))
    assert window.cancel_button.isVisible()
    assert not window.stop_button.isVisible() and not window.stop_action.isEnabled()  # nothing to keep
    started = time.perf_counter()
    with qtbot.waitSignal(window.controller.cancelled, timeout=5_000):
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    assert time.perf_counter() - started < 1.0
    assert not window.controller.busy and not window.canvas.has_image
    assert window.status_label.text() == "Cancelled"


def start_long_diffusion(window, qtbot) -> None:
    """Generate 16 pictures of 200 steps with the offline model; returns once it denoises."""
    panel = window.prompt_panel  # the offline model is chosen by default
    panel.prompt.setPlainText("digit 3")
    panel.steps.setValue(200)
    panel.count.setValue(16)  # far more than can finish before a click
    for box in (panel.width_box, panel.height_box):
        box.setValue(64)
    denoising = lambda _job, progress: progress.phase.endswith("Denoising")  # a model loading has nothing to keep
    with qtbot.waitSignal(window.controller.progress, timeout=60_000, check_params_cb=denoising):
        panel.generate_button.click()


def test_stop_and_keep_ends_a_diffusion_job_with_the_picture_so_far(window, qtbot):
    start_long_diffusion(window, qtbot)
    assert window.stop_button.isVisible() and window.stop_action.isEnabled()
    with qtbot.waitSignal(window.controller.finished, timeout=10_000) as finished:
        qtbot.mouseClick(window.stop_button, Qt.MouseButton.LeftButton)
    result = finished.args[1]
    assert len(result.images) == 1 and result.stopped.startswith("at image 1/16, step ")
    assert window.status_label.text() == f"Stopped {result.stopped} — kept"
    assert np.array_equal(window.canvas.image_array(), result.images[0])  # the kept picture is on the canvas
    assert window.canvas.generation_info.extra["Stopped at step"] == result.stopped.rpartition(" ")[2]
    window.history_panel.wait_for_writes()
    qtbot.waitUntil(lambda: window.history_panel.list.count() == 1)
    assert not window.stop_button.isVisible() and not window.stop_action.isEnabled()


def test_save_as_writes_the_image_with_its_parameters(window, qtbot, tmp_path):
    with qtbot.waitSignal(window.controller.finished, timeout=60_000):
        window.submit(SelfTestRequest(width=64, height=64, steps=3, seed=77, work_size=16))
    target = tmp_path / "art.png"
    assert window.save_to(target)
    info = read_generation_info(target)
    assert info.seed == 77 and info.request["type"] == "SelfTestRequest"
    assert np.array_equal(to_array(QImage(str(target))), window.canvas.image_array())


def test_closing_while_a_job_runs_shuts_down_cleanly(qtbot):
    main = MainWindow()
    qtbot.addWidget(main)
    main.show()
    with qtbot.waitSignal(main.controller.progress, timeout=60_000):
        main.submit(SelfTestRequest(steps=400, work_size=384))
    started = time.perf_counter()
    main.close()
    assert time.perf_counter() - started < 2.0
    assert not main.controller._thread.isRunning()


def test_window_is_on_screen_before_torch_is_imported():
    script = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from desktop_app.main_window import MainWindow\n"
        "window = MainWindow(); window.show(); app.processEvents()\n"
        "print(window.isVisible(), 'torch' in sys.modules, 'diffusers' in sys.modules)\n"
        "window.close()\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["True", "False", "False"]


def test_geometry_and_dock_layout_persist_across_windows(qtbot):
    # The offscreen screen is 800×600 and restoring clamps the width to it, so the height is what we vary.
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.resize(first.width(), 503)
    first.style_dock.hide()
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    assert second.height() == 503
    assert second.style_dock.isHidden() and not second.prompt_dock.isHidden()
    second.close()


def test_edit_menu_pastes_and_copies_through_the_clipboard(window):
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QMenu

    actions = {action.text(): action for menu in window.menuBar().findChildren(QMenu) for action in menu.actions()}
    QGuiApplication.clipboard().setImage(to_qimage(np.full((12, 16, 3), (9, 8, 7), np.uint8)))
    actions["&Paste"].trigger()  # an empty canvas: the pasted picture becomes the document
    assert window.canvas.has_image and (window.canvas.image_array() == (9, 8, 7)).all()
    QGuiApplication.clipboard().clear()
    actions["&Copy"].trigger()
    assert np.array_equal(to_array(QGuiApplication.clipboard().image()), window.canvas.image_array())
