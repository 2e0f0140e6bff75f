"""The history dock: every result is recorded, reopened, reproduced; A1111 PNGs restore the prompt panel."""

from __future__ import annotations

import numpy as np
from PIL import Image, PngImagePlugin

from desktop_app.jobs import Job
from genart_core.api import GenerationInfo, Result
from genart_core.history import HistoryStore
from genart_core.requests.selftest import SelfTestRequest
from tests.gui.dnd import drop_file


def test_every_image_of_every_job_is_recorded(window, qtbot):
    with qtbot.waitSignal(window.controller.finished, timeout=60_000):
        window.submit(SelfTestRequest(width=48, height=32, steps=2, seed=5, work_size=16))
    pair = Result(
        images=[np.full((32, 48, 3), 10, np.uint8), np.full((32, 48, 3), 20, np.uint8)],
        infos=[GenerationInfo(prompt="one", seed=1, model="m"), GenerationInfo(prompt="two", seed=2, model="m")],
    )
    window._on_finished(Job(SelfTestRequest(), "Running the self-test…"), pair)  # a canvas job's end, as the controller reports it
    window.history_panel.wait_for_writes()
    qtbot.waitUntil(lambda: window.history_panel.list.count() == 3)
    entries = HistoryStore().entries()  # on disk, in the user data folder
    assert sorted(entry.info.seed for entry in entries) == [1, 2, 5]
    assert len(window.canvas.document.layers) == 3  # the job's first image also went to the canvas


def test_double_click_opens_and_reproduce_restores_the_prompt_panel(window, qtbot):
    info = GenerationInfo(prompt="a lighthouse at dusk", negative_prompt="blurry", steps=17, cfg_scale=5.5, seed=1234, width=384, height=256)
    window.history_panel.record(np.full((24, 36, 3), 77, np.uint8), info, "Lighthouse")
    window.history_panel.wait_for_writes()
    qtbot.waitUntil(lambda: window.history_panel.list.count() == 1)
    item = window.history_panel.list.item(0)
    window.history_panel.list.itemDoubleClicked.emit(item)
    assert (window.canvas.image_array() == 77).all() and window.canvas.generation_info.seed == 1234
    window.history_panel.list.setCurrentItem(item)
    window.history_panel.reproduce_button.click()
    panel = window.prompt_panel
    assert panel.prompt.toPlainText() == "a lighthouse at dusk" and panel.negative.toPlainText() == "blurry"
    assert (panel.seed.value(), panel.steps.value(), panel.guidance.value()) == (1234, 17, 5.5)
    assert (panel.width_box.value(), panel.height_box.value()) == (384, 256)


def test_an_entry_whose_file_vanished_gives_a_message_and_leaves_the_list(window, qtbot):
    window.history_panel.record(np.zeros((8, 8, 3), np.uint8), None, "Doomed")
    window.history_panel.wait_for_writes()
    qtbot.waitUntil(lambda: window.history_panel.list.count() == 1)
    window.history_panel.list.setCurrentRow(0)
    window.history_panel.current_entry().image_path.unlink()
    with qtbot.waitSignal(window.history_panel.failed) as failed:
        window.history_panel.open_current()
    assert "gone or damaged" in failed.args[0]
    assert window.history_panel.list.count() == 0 and not window.canvas.has_image
    assert window.isVisible()


def test_dropping_an_automatic1111_png_restores_the_prompt_panel(window, tmp_path):
    parameters = (
        "masterpiece, a castle on a hill, (sunset:1.2)\n"
        "Negative prompt: lowres, bad anatomy\n"
        "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 3141592, Size: 512x768, "
        "Model hash: abc123, Model: dreamshaper_8"
    )
    text = PngImagePlugin.PngInfo()
    text.add_text("parameters", parameters)
    path = tmp_path / "00042-3141592.png"
    Image.fromarray(np.full((12, 8, 3), 128, np.uint8)).save(path, pnginfo=text)
    drop_file(window.canvas, path)
    panel = window.prompt_panel
    assert panel.prompt.toPlainText() == "masterpiece, a castle on a hill, (sunset:1.2)"
    assert panel.negative.toPlainText() == "lowres, bad anatomy"
    assert (panel.seed.value(), panel.steps.value(), panel.guidance.value()) == (3141592, 28, 6.5)
    assert (panel.width_box.value(), panel.height_box.value()) == (512, 768)
    assert window.canvas.generation_info.model == "dreamshaper_8"
