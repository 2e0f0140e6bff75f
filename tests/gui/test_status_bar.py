"""The status bar speaks to people: what a job does in words, and no error left standing once dismissed."""

from __future__ import annotations

import numpy as np

from desktop_app.job_names import describe_job
from genart_core.requests.diffusion import ImageToImageRequest, TextToImageRequest
from genart_core.requests.fast_style import LearnStyleRequest
from genart_core.requests.generative import GanSampleRequest, VaeDecodeRequest
from genart_core.requests.selftest import SelfTestRequest
from genart_core.requests.style import StyleSource, StyleTransferRequest
from genart_core.requests.upscale import UpscaleRequest


def test_jobs_are_described_in_words():
    labels = {"runwayml/stable-diffusion-v1-5": "Stable Diffusion 1.5"}.get
    assert describe_job(TextToImageRequest(model="runwayml/stable-diffusion-v1-5"), lambda key: labels(key, key)) == "Generating with Stable Diffusion 1.5…"
    picture = np.zeros((8, 8, 3), np.uint8)
    assert describe_job(ImageToImageRequest(model="m", init_image=picture), str).startswith("Repainting the picture with m")
    assert describe_job(TextToImageRequest(model="m", hires_scale=1.5), str) == "Generating with m, hires fix 1.5×…"
    assert describe_job(UpscaleRequest(image=picture, scale=4, model="/models/4x-UltraSharp.safetensors"), str) == "Upscaling 4× with 4x-UltraSharp.safetensors…"
    styles = (StyleSource("Mosaic", "mosaic.png"), StyleSource("Cubist", "cubist.png"))
    assert describe_job(StyleTransferRequest(content=picture, styles=styles), str) == "Stylising in Mosaic, Cubist…"
    assert describe_job(GanSampleRequest(model="/models/faces", count=16), str) == "Sampling 16 pictures from the GAN “faces”…"
    assert "VAE" in describe_job(VaeDecodeRequest(model="digits"), str)
    assert describe_job(LearnStyleRequest(style_name="Zigzag", style_path="zigzag.png"), str) == "Learning the style “Zigzag”…"
    for request in (TextToImageRequest(), GanSampleRequest(), SelfTestRequest()):
        assert "Request" not in describe_job(request, str)


def test_a_starting_job_is_named_with_its_model_as_listed(window, qtbot):
    said: list[str] = []
    # Connected after the window's own slot, so it reads what the window has just written.
    window.controller.job_started.connect(lambda *_: said.append(window.status_label.text()))
    window.prompt_panel.prompt.setPlainText("digit 4")
    window.prompt_panel.steps.setValue(1)
    window.prompt_panel.generate_button.click()
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=120_000)
    assert said == [f"Generating with {window.prompt_panel.model.currentText()}…"]


def test_an_error_leaves_the_status_bar_when_its_box_is_closed(window, qtbot):
    window.show_error("The file is damaged.\nDetails…")
    assert window.status_label.text() == "The file is damaged."
    window.last_error_box.close()
    assert window.status_label.text() != "The file is damaged."
    assert window.last_error_box is None


def test_the_next_job_closes_an_old_error(window, qtbot):
    window.show_error("Something went wrong earlier.")
    box = window.last_error_box
    with qtbot.waitSignal(window.controller.finished, timeout=60_000):
        window.submit(SelfTestRequest(width=32, height=32, steps=2, work_size=16))
    assert not box.isVisible() and "went wrong" not in window.status_label.text()


def test_a_second_error_replaces_the_first_in_the_status_bar(window):
    window.show_error("First problem.")
    window.show_error("Second problem.")
    assert window.status_label.text() == "Second problem." and window.last_error_box.isVisible()
