"""The prompt panel's Hires fix group: into requests, kept between sessions, restored by Reproduce,
and a real hires job from the panel to the canvas and back through the history."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop_app.prompt_panel import DiffusionRequestBuilder, PromptPanel
from genart_core.api import GenerationInfo
from genart_core.artwork import format_parameters, parse_parameters
from genart_core.requests.diffusion import ImageToImageRequest, TextToImageRequest
from tests.core.test_diffusion import SIZE, build_tiny_sd
from tests.gui.test_prompt_panel import FakeCanvas


@pytest.fixture
def panel(qtbot) -> PromptPanel:
    widget = PromptPanel()
    qtbot.addWidget(widget)
    widget.add_model("Offline", "offline:tiny-diffusion")
    widget.add_model("SD 1.5", "/models/sd15")
    widget.select_model("/models/sd15")
    widget.hires.set_upscalers([("genart-sr (bundled)", "genart-sr")])
    return widget


def _hires_on(panel: PromptPanel, scale: float = 1.5, denoise: float = 0.4, upscaler: str = "genart-sr") -> None:
    panel.hires.setChecked(True)
    panel.hires.scale.setValue(scale)
    panel.hires.denoise.setValue(denoise)
    panel.hires.upscaler.setCurrentIndex(panel.hires.upscaler.findData(upscaler))


def test_the_hires_fix_goes_into_text_to_image_requests_only(panel: PromptPanel) -> None:
    assert not panel.hires.isChecked() and panel.hires.denoise.value() == 0.35  # off, A1111's usual denoise
    assert panel.hires.upscaler.currentData() == "genart-sr"  # a learned upscaler before Lanczos
    build = DiffusionRequestBuilder(FakeCanvas(np.zeros((32, 32, 3), np.uint8)))
    assert build(panel.current_settings())[0].hires_scale == 1.0

    _hires_on(panel)
    request, region = build(panel.current_settings())
    assert isinstance(request, TextToImageRequest) and region is None
    assert (request.hires_scale, request.hires_denoise, request.hires_upscaler) == (1.5, 0.4, "genart-sr")

    panel.use_canvas.setChecked(True)  # image-to-image: Image ▸ Upscale enlarges those
    assert not panel.hires.isEnabled()
    request, _ = build(panel.current_settings())
    assert isinstance(request, ImageToImageRequest) and request.hires_scale == 1.0
    panel.use_canvas.setChecked(False)
    panel.select_model("offline:tiny-diffusion")  # the offline model's pictures go through the upscaler anyway
    assert not panel.hires.isEnabled() and build(panel.current_settings())[0].hires_scale == 1.0
    panel.select_model("/models/sd15")
    assert panel.hires.isEnabled() and panel.hires.isChecked()


def test_reproduce_restores_the_hires_fix_from_our_request(panel: PromptPanel) -> None:
    request = TextToImageRequest(model="/models/sd15", hires_scale=2.0, hires_denoise=0.5, hires_upscaler="lanczos").to_dict()
    assert panel.apply_info(GenerationInfo(prompt="a cat", width=512, height=512, request=request)) == []
    choice = panel.current_settings()
    assert (choice.hires, choice.hires_scale, choice.hires_denoise, choice.hires_upscaler) == (True, 2.0, 0.5, "lanczos")
    assert (choice.width, choice.height) == (512, 512)  # the base size, which the hires fix enlarges

    plain = TextToImageRequest(model="/models/sd15").to_dict()
    panel.apply_info(GenerationInfo(prompt="a cat", request=plain))
    assert panel.current_settings().hires is False  # a picture made without it is remade without it


def test_reproduce_reads_a1111_hires_parameters(panel: PromptPanel) -> None:
    text = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 3, Size: 512x512, Hires upscale: 1.75, Hires upscaler: genart-sr, Denoising strength: 0.45"
    assert panel.apply_info(parse_parameters(text)) == []
    choice = panel.current_settings()
    assert (choice.hires, choice.hires_scale, choice.hires_denoise, choice.hires_upscaler) == (True, 1.75, 0.45, "genart-sr")

    notes = panel.apply_info(parse_parameters(text.replace("genart-sr", "4x-UltraSharp")))
    assert notes == ["the hires upscaler “4x-UltraSharp” is not installed (Lanczos is chosen)"]
    assert panel.current_settings().hires_upscaler == "lanczos"
    # Damaged values leave the defaults, clamped into range.
    panel.apply_info(parse_parameters(text.replace("1.75", "1e9").replace("0.45", "NaN")))
    assert (panel.hires.scale.value(), panel.hires.denoise.value()) == (4.0, 0.45)


def test_the_hires_choices_are_kept_for_the_next_start(qtbot, panel: PromptPanel) -> None:
    _hires_on(panel, scale=2.0, denoise=0.3, upscaler="lanczos")
    with qtbot.waitSignal(panel.generate_requested):
        panel.generate_button.click()
    later = PromptPanel()
    qtbot.addWidget(later)
    later.add_model("SD 1.5", "/models/sd15")
    later.restore_choices()
    choice = later.current_settings()
    assert (choice.hires, choice.hires_scale, choice.hires_denoise, choice.hires_upscaler) == (True, 2.0, 0.3, "lanczos")


def test_a_hires_job_from_the_panel_lands_enlarged_and_reproduces(qtbot, window, tmp_path: Path) -> None:
    model = str(build_tiny_sd(tmp_path / "tiny-sd"))
    window.add_prompt_model("Tiny SD", model, DiffusionRequestBuilder(window.canvas))
    panel = window.prompt_panel
    panel.select_model(model)
    panel.prompt.setPlainText("a cat")
    panel.steps.setValue(2)
    panel.width_box.setValue(SIZE)
    panel.height_box.setValue(SIZE)
    _hires_on(panel, scale=2.0, denoise=0.5, upscaler="lanczos")
    phases: list[str] = []
    window.controller.progress.connect(lambda _job, progress: phases.append(progress.phase))
    with qtbot.waitSignal(window.controller.finished, timeout=120_000):
        panel.generate_button.click()

    assert window.canvas.image_array().shape == (2 * SIZE, 2 * SIZE, 3)
    assert any(phase.startswith("Hires pass") for phase in phases)
    info = window.canvas.generation_info
    assert "Hires upscale: 2.0, Hires upscaler: Lanczos" in format_parameters(info)
    panel.hires.setChecked(False)
    window.apply_info(info)  # Reproduce
    assert panel.current_settings().hires and panel.hires.scale.value() == 2.0
