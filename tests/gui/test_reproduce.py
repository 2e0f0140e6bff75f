"""Reproduce and opened artworks: each family's panel takes back its own settings, checked and clamped."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from PySide6.QtCore import QMimeData

from desktop_app import settings
from desktop_app.widget_values import MAX_PROMPT_CHARACTERS
from genart_core.api import GenerationInfo
from genart_core.engine import Engine
from genart_core.artwork import save_artwork
from genart_core.requests.generative import GanDecodeRequest, GanInterpolateRequest, GanSampleRequest
from genart_core.requests.style import ColorMode, Preset, StyleSource, StyleTransferRequest
from tests.gui.test_generate_panel import JOB_TIMEOUT, _export


def _style_transfer_info() -> GenerationInfo:
    request = StyleTransferRequest(
        content=np.zeros((8, 8, 3), np.uint8),
        styles=(StyleSource("Mosaic", "/somewhere/mosaic.png", 0.3), StyleSource("Cubist", "/somewhere/cubist.png", 0.7)),
        preset=Preset.BEST, size=256, seed=7, strength=1.7, preserve_colors=ColorMode.MATCH,
    )
    return GenerationInfo(prompt="style transfer: Mosaic, Cubist", steps=93, seed=7, width=64, height=48, model="vgg19-oxford", request=request.to_dict())


def _reproduce(window, qtbot, info: GenerationInfo, name: str) -> None:
    window.history_panel.record(np.full((48, 64, 3), 90, np.uint8), info, name)
    window.history_panel.wait_for_writes()
    qtbot.waitUntil(lambda: window.history_panel.list.count() >= 1)
    window.history_panel.list.setCurrentRow(0)
    window.history_panel.reproduce_button.click()


def _assert_style_panel_restored(window) -> None:
    panel = window.stylize_panel
    assert sorted(style.name for style in window.style_picker.selected_styles()) == ["Cubist", "Mosaic"]
    assert {source.name: round(source.weight, 2) for source in panel.style_sources()} == {"Mosaic": 0.3, "Cubist": 0.7}
    chosen = panel.settings()
    assert (chosen.preset, chosen.size, chosen.seed, chosen.strength) == (Preset.BEST, 256, 7, 1.7)
    assert chosen.preserve_colors == ColorMode.MATCH


def test_reproducing_a_style_transfer_restores_the_style_panel_not_the_prompt(window, qtbot):
    prompt = window.prompt_panel
    before = prompt.current_settings()
    _reproduce(window, qtbot, _style_transfer_info(), "Mosaic, Cubist")
    _assert_style_panel_restored(window)
    assert window.stylize_dock.isVisible()
    assert "Style Transfer panel" in window.status_label.text()
    assert prompt.current_settings() == before  # no "style transfer: …" prompt, no 93 steps
    window.close()  # the prompt panel remembers its choices on close
    remembered = settings.prompt_choices()
    assert "style transfer" not in remembered.get("prompt", "") and remembered.get("steps") != 93


def test_opening_a_saved_style_transfer_restores_the_style_panel(window, tmp_path):
    path = save_artwork(tmp_path / "stylised.png", np.full((48, 64, 3), 120, np.uint8), _style_transfer_info())
    before = window.prompt_panel.current_settings()
    assert window.canvas.open_file(path)
    _assert_style_panel_restored(window)
    assert window.prompt_panel.current_settings() == before


def test_a_style_missing_from_the_gallery_is_named(window, qtbot):
    info = _style_transfer_info()
    info.request["styles"][0]["name"] = "Lost painting"
    _reproduce(window, qtbot, info, "Lost")
    assert [style.name for style in window.style_picker.selected_styles()] == ["Cubist"]
    assert "Lost painting" in window.status_label.text()


def test_reproducing_a_gan_result_restores_the_generate_panel(window, qtbot):
    _export("gan", "tiny-gan")
    _export("gan", "other-gan")
    panel = window.generate_panel
    panel.refresh_models(select="other-gan")
    code = [0.5, -1.0, 0.25, 0.0, 1.5, -0.75]
    request = GanDecodeRequest(model="", latents=(tuple(code),)).to_dict()
    request["model"] = next(panel.model_combo.itemData(i)[1] for i in range(panel.model_combo.count()) if "tiny-gan" in panel.model_combo.itemText(i))
    prompt_before = window.prompt_panel.current_settings()
    _reproduce(window, qtbot, GenerationInfo(width=28, height=28, model="tiny-gan", extra={"kind": "gan"}, request=request), "tiny-gan")
    assert "tiny-gan" in panel.model_combo.currentText() and window.generate_dock.isVisible()
    assert np.allclose(panel.slider_code(), code)
    qtbot.waitUntil(lambda: panel._current is not None, timeout=JOB_TIMEOUT)  # the restored code is decoded
    panel.put_on_canvas()
    assert window.canvas.has_image and window.prompt_panel.current_settings() == prompt_before


def test_gan_sample_and_interpolation_settings_are_restored(window, qtbot):
    _export("gan", "tiny-gan")
    panel = window.generate_panel
    panel.refresh_models()
    sample = GanSampleRequest(model="tiny-gan", count=12, seed=321).to_dict()
    window.apply_info(GenerationInfo(seed=321, model="tiny-gan", extra={"index": 3}, request=sample))
    assert (panel.seed_field.value(), panel.count_spin.value()) == (321, 12)
    qtbot.waitUntil(lambda: panel.grid_view.count() == 12 and not panel.jobs, timeout=JOB_TIMEOUT)  # drawn again…
    assert panel.grid_view.currentRow() == 3  # …with the reproduced sample picked
    strip = GanInterpolateRequest(model="tiny-gan", start=(1.0,) * 6, end=(-1.0,) * 6, steps=5).to_dict()
    window.apply_info(GenerationInfo(model="tiny-gan", request=strip))
    assert panel.steps_spin.value() == 5
    assert [float(code[0]) for code in panel._ends] == [1.0, -1.0]


def test_out_of_range_and_wrongly_typed_values_are_clamped_or_ignored(window):
    panel = window.prompt_panel
    seed, guidance = panel.seed.value(), panel.guidance.value()
    info = GenerationInfo(
        prompt="x" * 2_000_000, negative_prompt=12345, steps=99_999_999_999, cfg_scale=math.nan,  # type: ignore[arg-type]
        seed="seven", width=-4, height=1e300, request={"type": "TextToImageRequest", "strength": math.inf, "scheduler": ["odd"]},  # type: ignore[arg-type]
    )
    started = time.monotonic()
    window.apply_info(info)
    assert time.monotonic() - started < 10  # a hang guard: a 2 MB prompt used to freeze the box for minutes
    assert len(panel.prompt.toPlainText()) == MAX_PROMPT_CHARACTERS and panel.notice.isVisibleTo(panel)
    assert panel.negative.toPlainText() == ""
    assert panel.steps.value() == panel.steps.maximum()
    assert (panel.seed.value(), panel.guidance.value()) == (seed, guidance)  # NaN and text keep the default
    assert (panel.width_box.value(), panel.height_box.value()) == (panel.width_box.minimum(), panel.width_box.maximum())
    assert panel.strength.value() == panel.strength.maximum()


def test_remembered_settings_out_of_range_are_clamped(qtbot):
    # Numbers the settings layer accepts but a widget cannot show are clamped by the panel; numbers
    # no widget could ever show (1e11, NaN, text) are reset to the default by the settings layer.
    settings.remember_prompt_choices({"steps": 5_000, "seed": 2**62, "prompt": "p" * 50_000, "count": "many"})
    from desktop_app.main_window import MainWindow

    main = MainWindow()
    qtbot.addWidget(main)
    panel = main.prompt_panel
    assert panel.steps.value() == panel.steps.maximum()
    assert panel.seed.value() == panel.seed.spin.maximum() and panel.count.value() == 1
    assert len(panel.prompt.toPlainText()) == MAX_PROMPT_CHARACTERS
    main.close()

    settings.remember_prompt_choices({})
    plain = MainWindow()
    qtbot.addWidget(plain)
    defaults = [box.value() for box in (plain.prompt_panel.steps, plain.prompt_panel.guidance, plain.prompt_panel.strength)]
    plain.close()
    settings.remember_prompt_choices({"steps": 1e11, "guidance": float("nan"), "strength": -3})
    again = MainWindow()
    qtbot.addWidget(again)
    assert [box.value() for box in (again.prompt_panel.steps, again.prompt_panel.guidance, again.prompt_panel.strength)] == defaults
    again.close()


def test_a_huge_paste_is_cut_to_the_limit_with_a_message(window, qtbot):
    box = window.prompt_panel.prompt
    box.set_text("a castle, ")
    box.moveCursor(box.textCursor().MoveOperation.End)
    data = QMimeData()
    data.setText("y" * 2_000_000)
    with qtbot.waitSignal(box.truncated):
        box.insertFromMimeData(data)
    text = box.toPlainText()
    assert len(text) == MAX_PROMPT_CHARACTERS and text.startswith("a castle, y")
    assert window.prompt_panel.notice.isVisibleTo(window.prompt_panel)
    box.set_text("a castle")
    assert not window.prompt_panel.notice.isVisibleTo(window.prompt_panel)  # the notice goes once the prompt is short again


def test_settings_of_a_kind_no_panel_makes_change_nothing(window):
    before = window.prompt_panel.current_settings()
    window.apply_info(GenerationInfo(prompt="trained", request={"type": "TrainRequest", "epochs": 3}))
    assert window.prompt_panel.current_settings() == before
    assert "No panel can restore" in window.status_label.text()


def test_a_style_transfer_saved_as_jpeg_restores_the_style_panel_from_its_text(window, tmp_path):
    # A JPEG with the parameters text only (another tool's, or a request too big for EXIF): the
    # family is told by its fields.
    info = _style_transfer_info()
    info.request = None
    info.extra = {"Strength": 1.7, "Preserve colours": "match", "Preset": "best", "Init": "content", "Style weights": {"Mosaic": 0.3, "Cubist": 0.7}}
    info.width, info.height = 256, 192
    path = save_artwork(tmp_path / "stylised.jpg", np.full((48, 64, 3), 120, np.uint8), info)
    before = window.prompt_panel.current_settings()
    assert window.canvas.open_file(path)
    _assert_style_panel_restored(window)
    assert window.prompt_panel.current_settings() == before  # not "style transfer: …" with 93 steps


@pytest.mark.parametrize("suffix", [".jpg", ".webp"])
def test_a_gan_sample_saved_as_jpeg_or_webp_restores_the_generate_panel_when_opened(window, qtbot, tmp_path, suffix):
    # The request travels in EXIF MakerNote beside the parameters text (an empty prompt, no "Steps:").
    _export("gan", "tiny-gan")
    _export("gan", "other-gan")
    window.generate_panel.refresh_models(select="other-gan")
    result = Engine().run(GanSampleRequest(model="tiny-gan", count=3, seed=77))
    path = save_artwork(tmp_path / f"sample{suffix}", result.images[2], result.infos[2])
    before = window.prompt_panel.current_settings()
    assert window.files.open_path(str(path))
    panel = window.generate_panel
    assert panel.seed_field.value() == 77 and "tiny-gan" in panel.model_combo.currentText()
    assert "Settings restored in the Generate" in window.status_label.text()
    assert window.prompt_panel.current_settings() == before
    qtbot.waitUntil(lambda: panel.grid_view.count() >= 3 and not panel.jobs, timeout=JOB_TIMEOUT)  # drawn again…
    assert panel.grid_view.currentRow() == 2  # …with the saved sample picked
