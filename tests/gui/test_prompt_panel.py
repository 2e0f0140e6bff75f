"""The prompt panel: settings, diffusion requests from the canvas, the preview strip, Add model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop_app.jobs import Job
from desktop_app.model_dialog import ModelDialog
from desktop_app.prompt_panel import DiffusionRequestBuilder, PromptPanel
from genart_core.api import GenArtError, Progress
from genart_core.requests.diffusion import OFFLINE_GUIDANCE, ImageToImageRequest, InpaintRequest, Scheduler, TextToImageRequest
from genart_core.requests.selftest import SelfTestRequest
from tests.model_folders import diffusers_folder


class FakeCanvas:
    """What the builder reads from the canvas: picture, selection and mask."""

    def __init__(self, image=None, selection=None, mask=None) -> None:
        self.image, self.selection, self.mask = image, selection, mask

    @property
    def has_image(self) -> bool:
        return self.image is not None

    def image_array(self):
        return self.image

    def selection_rect(self):
        return self.selection

    def inpaint_mask(self):
        return self.mask


@pytest.fixture
def panel(qtbot) -> PromptPanel:
    widget = PromptPanel()
    qtbot.addWidget(widget)
    widget.add_model("Offline", "offline:tiny-diffusion")
    return widget


def test_settings_carry_scheduler_canvas_and_strength(panel: PromptPanel) -> None:
    panel.prompt.setPlainText("digit 7")
    panel.scheduler.setCurrentIndex(panel.scheduler.findData(Scheduler.DPMPP_2M_KARRAS.value))
    panel.use_canvas.setChecked(True)
    panel.strength.setValue(35)
    choice = panel.current_settings()
    assert (choice.prompt, choice.scheduler, choice.use_canvas, choice.strength) == ("digit 7", "dpmpp_2m_karras", True, 0.35)
    assert panel.strength_label.text() == "0.35"


def test_builder_makes_text_image_and_inpaint_requests(panel: PromptPanel) -> None:
    picture = np.zeros((40, 60, 3), np.uint8)
    picture[10:20, 20:40] = 200
    canvas = FakeCanvas(picture, selection=(20, 10, 20, 10))
    build = DiffusionRequestBuilder(canvas)

    request, region = build(panel.current_settings())
    assert type(request) is TextToImageRequest and region is None

    panel.use_canvas.setChecked(True)
    request, region = build(panel.current_settings())
    assert isinstance(request, ImageToImageRequest) and region == (20, 10, 20, 10)
    assert request.init_image.shape == (10, 20, 3) and (request.init_image == 200).all()

    canvas.mask = np.zeros((40, 60), np.uint8)
    canvas.mask[12:15, 22:30] = 255
    request, _ = build(panel.current_settings())
    assert isinstance(request, InpaintRequest) and request.mask.shape == (10, 20) and request.mask.any()


def test_masked_padding_goes_into_inpaint_requests_and_is_restored(panel: PromptPanel) -> None:
    from genart_core.api import GenerationInfo

    assert panel.mask_padding.value() == InpaintRequest.mask_padding
    mask = np.zeros((40, 60), np.uint8)
    mask[12:15, 22:30] = 255
    build = DiffusionRequestBuilder(FakeCanvas(np.zeros((40, 60, 3), np.uint8), mask=mask))
    panel.mask_padding.setValue(48)
    request, _ = build(panel.current_settings())
    assert isinstance(request, InpaintRequest) and request.mask_padding == 48
    panel.apply_info(GenerationInfo(request={"type": "InpaintRequest", "mask_padding": 64}))
    assert panel.mask_padding.value() == 64
    # Reproduce gets back any padding the core accepts, not one the box cut short.
    panel.apply_info(GenerationInfo(request={"type": "InpaintRequest", "mask_padding": 1500}))
    assert panel.mask_padding.value() == 1500
    panel.apply_info(GenerationInfo(extra={"Masked area padding": "24"}))  # A1111's field, read from parameters text
    assert panel.mask_padding.value() == 24
    panel.apply_info(GenerationInfo(extra={"Masked area padding": "lots"}))  # not a number: left as it was
    assert panel.mask_padding.value() == 24


def test_fast_decoder_is_off_for_the_offline_model_and_carried_into_requests(panel: PromptPanel) -> None:
    from genart_core.api import GenerationInfo

    build = DiffusionRequestBuilder(FakeCanvas())
    panel.fast_decoder.setChecked(True)
    assert not panel.fast_decoder.isEnabled()  # the offline model is chosen
    assert build(panel.current_settings())[0].fast_decoder is False
    panel.add_model("SD-Turbo", "stabilityai/sd-turbo")
    panel.select_model("stabilityai/sd-turbo")
    assert panel.fast_decoder.isEnabled()
    assert "10 MB" in panel.fast_decoder.toolTip()
    request, _ = build(panel.current_settings())
    assert request.fast_decoder is True and request.model == "stabilityai/sd-turbo"
    panel.apply_info(GenerationInfo(request={"model": "stabilityai/sd-turbo", "fast_decoder": False}))
    assert not panel.current_settings().fast_decoder


def test_use_canvas_without_a_picture_is_explained(panel: PromptPanel) -> None:
    panel.use_canvas.setChecked(True)
    with pytest.raises(GenArtError, match="canvas"):
        DiffusionRequestBuilder(FakeCanvas())(panel.current_settings())


def test_preview_strip_shows_the_denoising_steps_of_diffusion_jobs_only(panel: PromptPanel) -> None:
    preview = lambda step: Progress(step, 3, "Denoising", np.full((16, 16, 3), step * 60, np.uint8))  # noqa: E731
    diffusion = Job(TextToImageRequest(prompt="digit 7"), "Generating…")
    panel.start_previews(diffusion)
    for step in range(1, 4):
        diffusion.progress.emit(diffusion, preview(step))
    diffusion.progress.emit(diffusion, Progress(4, 4, "Denoising", None))
    assert panel.previews.count() == 3
    other = Job(SelfTestRequest(), "Running the self-test…")  # e.g. a style transfer: its previews go elsewhere
    panel.start_previews(other)
    other.progress.emit(other, preview(1))
    assert panel.previews.count() == 3
    panel.start_previews(Job(TextToImageRequest(prompt="digit 1"), "Generating…"))
    assert panel.previews.count() == 0


def test_model_dialog_adds_a_folder(qtbot, tmp_path: Path) -> None:
    folder = diffusers_folder(tmp_path / "my-sd")
    dialog = ModelDialog()
    qtbot.addWidget(dialog)
    dialog.source.setText(str(folder))
    with qtbot.waitSignal(dialog.model_added, timeout=10_000) as added:
        dialog.start()
    assert added.args[0] == str(folder.resolve())


def test_model_dialog_reports_no_network_plainly(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    dialog = ModelDialog()
    qtbot.addWidget(dialog)
    dialog.source.setText("stabilityai/sd-turbo")
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert "offline model" in dialog.status.text()


def test_generate_with_the_offline_model_fills_the_canvas_and_the_strip(qtbot) -> None:
    from desktop_app.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    panel = window.prompt_panel
    assert panel.current_settings().model_key == "offline:tiny-diffusion"  # chosen by default
    panel.prompt.setPlainText("digit 3")
    panel.steps.setValue(3)
    panel.width_box.setValue(64)
    panel.height_box.setValue(64)
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as finished:
        panel.generate_button.click()
    result = finished.args[1]
    assert result.infos[0].extra["Label"] == "digit 3"
    assert window.canvas.has_image
    assert panel.previews.count() == 3
    window.close()


def test_reproduce_restores_model_seed_steps_and_guidance(panel: PromptPanel) -> None:
    from genart_core.api import GenerationInfo

    panel.add_model("Some SD", "some/sd")
    info = GenerationInfo(prompt="digit 5", seed=77, steps=9, cfg_scale=2.5, request={"model": "some/sd", "scheduler": "ddim"})
    panel.apply_info(info)
    choice = panel.current_settings()
    assert (choice.model_key, choice.seed, choice.steps, choice.guidance, choice.scheduler) == ("some/sd", 77, 9, 2.5, "ddim")


def test_choosing_a_distilled_model_suggests_few_steps_and_no_guidance(panel: PromptPanel) -> None:
    panel.add_model("SD-Turbo", "stabilityai/sd-turbo")
    panel.add_model("SD 1.5", "/models/sd15")
    panel.select_model("stabilityai/sd-turbo")
    assert (panel.steps.value(), panel.guidance.value()) == (2, 0.0)
    panel.select_model("/models/sd15")
    assert (panel.steps.value(), panel.guidance.value()) == (20, 7.0)
    panel.select_model("offline:tiny-diffusion")
    assert (panel.steps.value(), panel.guidance.value()) == (25, OFFLINE_GUIDANCE)


def _next_start(qtbot) -> PromptPanel:
    """The panel as the next launch builds it: the built-in model listed, then the kept choices restored."""
    later = PromptPanel()
    qtbot.addWidget(later)
    later.add_model("Offline", "offline:tiny-diffusion")
    later.restore_choices()
    return later


def test_generate_keeps_the_choices_for_the_next_start(qtbot, panel: PromptPanel) -> None:
    panel.prompt.setPlainText("a brick texture")
    panel.negative.setPlainText("blurry")
    panel.seed.setValue(1234)
    panel.steps.setValue(33)
    panel.guidance.setValue(4.5)
    panel.width_box.setValue(256)
    panel.count.setValue(3)
    panel.scheduler.setCurrentIndex(panel.scheduler.findData(Scheduler.DDIM.value))
    panel.use_canvas.setChecked(True)
    panel.strength.setValue(40)
    with qtbot.waitSignal(panel.generate_requested):
        panel.generate_button.click()

    choice = _next_start(qtbot).current_settings()
    assert (choice.prompt, choice.negative_prompt, choice.seed, choice.steps, choice.guidance) == ("a brick texture", "blurry", 1234, 33, 4.5)
    assert (choice.width, choice.height, choice.count, choice.scheduler, choice.strength) == (256, 512, 3, "ddim", 0.4)
    assert choice.use_canvas is False  # about the picture of that day, not a preference


def test_a_remembered_model_listed_late_is_chosen_with_its_steps(qtbot, panel: PromptPanel) -> None:
    panel.add_model("SD-Turbo", "stabilityai/sd-turbo")
    panel.select_model("stabilityai/sd-turbo")
    panel.steps.setValue(4)
    panel.guidance.setValue(0.5)
    panel.remember_choices()

    later = _next_start(qtbot)
    assert later.current_settings().model_key == "offline:tiny-diffusion"  # not listed yet
    later.add_model("SD-Turbo", "stabilityai/sd-turbo")  # found in the hub cache after start-up
    choice = later.current_settings()
    assert (choice.model_key, choice.steps, choice.guidance) == ("stabilityai/sd-turbo", 4, 0.5)


def test_a_model_the_user_picks_wins_over_a_remembered_one_listed_late(qtbot, panel: PromptPanel) -> None:
    panel.add_model("SD-Turbo", "stabilityai/sd-turbo")
    panel.select_model("stabilityai/sd-turbo")
    panel.remember_choices()

    later = _next_start(qtbot)
    later.model.activated.emit(0)  # what a click on the built-in model in the list sends
    later.add_model("SD-Turbo", "stabilityai/sd-turbo")
    assert later.current_settings().model_key == "offline:tiny-diffusion"


@pytest.mark.parametrize("stored", ["{not json", '["a list"]', '{"steps": "many", "seed": true, "prompt": 7}'])
def test_damaged_kept_choices_leave_the_defaults(qtbot, stored: str) -> None:
    from desktop_app.settings import settings

    first_launch = _next_start(qtbot).current_settings()
    settings().setValue("prompt/choices", stored)
    assert _next_start(qtbot).current_settings() == first_launch


def test_closing_the_window_keeps_the_prompt(window) -> None:
    from desktop_app.settings import prompt_choices

    window.prompt_panel.prompt.setPlainText("digit 3")
    window.close()
    assert prompt_choices()["prompt"] == "digit 3"


def test_the_safety_checker_choice_is_carried_into_requests_and_kept(qtbot, panel: PromptPanel) -> None:
    build = DiffusionRequestBuilder(FakeCanvas())
    assert panel.safety_checker.isChecked() and build(panel.current_settings())[0].safety_checker is True
    panel.safety_checker.setChecked(False)
    assert build(panel.current_settings())[0].safety_checker is False
    panel.remember_choices()
    assert not _next_start(qtbot).safety_checker.isChecked()


def test_a_flagged_result_says_so_in_the_status_bar(window) -> None:
    from genart_core.api import GenerationInfo, Result
    from genart_core.pipelines.diffusion import SAFETY_FLAGGED, safety_note

    info = GenerationInfo(prompt="a cat", seed=1, extra={"Safety checker": SAFETY_FLAGGED})
    job = Job(TextToImageRequest(prompt="a cat"), "Generating…")  # ended as the controller would end it
    window._on_finished(job, Result([np.zeros((32, 32, 3), np.uint8)], [info], notes=[safety_note(1, 1)]))
    assert "safety checker flagged the image" in window.status_label.text()
    assert "Untick “Safety checker”" in window.status_label.text()


def test_the_hub_cache_is_scanned_off_the_gui_thread_and_its_models_listed(qtbot, window, monkeypatch):
    import threading

    from genart_core import sd_models

    scanned_on: list[str] = []

    def cached_models() -> list[sd_models.ModelSpec]:  # the real function's signature; the cache itself is the test's empty one
        scanned_on.append(threading.current_thread().name)
        return [sd_models.ModelSpec("org/cached-model", "Cached model", "hub")]

    monkeypatch.setattr(sd_models, "readable_cached_hub_models", cached_models)
    panel = window.prompt_panel
    panel.hub_cache_scan.start()
    qtbot.waitUntil(lambda: panel.model.findData("org/cached-model") >= 0, timeout=10_000)
    assert scanned_on and scanned_on[0] != threading.main_thread().name
