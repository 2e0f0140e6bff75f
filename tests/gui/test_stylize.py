"""Style transfer in the app: picking styles, the panel's settings, Stylise, previews, Cancel, undo."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from desktop_app.main_window import MainWindow
from desktop_app.style_picker import StylePicker
from genart_core.pipelines import style_transfer as st
from genart_core.requests.style import ColorMode, Preset
from tests.core.vgg_helpers import save_tiny_vgg, scene, stripes, write


@pytest.fixture
def window(qtbot, tmp_path):
    main = MainWindow()
    qtbot.addWidget(main)
    main.resize(1000, 700)
    main.show()
    qtbot.waitExposed(main)
    main.stylize_panel.weights_source = str(save_tiny_vgg(tmp_path))  # no 80 MB network in GUI tests
    main.stylize_panel.size.setValue(64)
    main.stylize_panel.preset.setCurrentIndex(0)
    # These tests time the optimisation path alone: no instant preview loading its networks beside it.
    main.instant_panel.enabled.setChecked(False)
    yield main
    main.close()


def _select(picker: StylePicker, *names: str) -> None:
    picker.list.clearSelection()
    for index in range(picker.list.count()):
        item = picker.list.item(index)
        if item.text() in names:
            item.setSelected(True)


def test_panel_follows_the_picker_and_blends_two_styles(window):
    panel = window.stylize_panel
    _select(window.style_picker)
    assert not panel.stylize_button.isEnabled()
    _select(window.style_picker, "Mosaic")
    assert panel.stylize_button.isEnabled() and not panel.blend_row.isVisibleTo(panel)
    assert [(s.name, s.weight) for s in panel.style_sources()] == [("Mosaic", 1.0)]
    _select(window.style_picker, "Mosaic", "Cubist")
    assert panel.blend_row.isVisibleTo(panel)
    panel.blend.setValue(80)
    # The slider runs from the first listed style (left) to the second (right).
    assert [round(s.weight, 2) for s in panel.style_sources()] == [0.2, 0.8]
    assert {s.name for s in panel.style_sources()} == {"Mosaic", "Cubist"}
    panel.colours.setCurrentIndex(1)
    panel.strength.setValue(2.0)
    panel.seed.setValue(99)
    request = panel.settings().request(scene())
    assert request.preserve_colors == ColorMode.LUMINANCE and request.strength == 2.0
    assert request.seed == 99 and request.size == 64 and request.preset == Preset.PREVIEW


def test_stylise_shows_previews_and_lands_undoably_on_the_canvas(window, qtbot):
    photo = scene()
    window.canvas.set_image(photo)
    _select(window.style_picker, "Stained glass")
    previews = []
    window.controller.progress.connect(lambda _job, p: previews.append(p.preview is not None))
    with qtbot.waitSignal(window.controller.finished, timeout=60_000):
        qtbot.mouseClick(window.stylize_panel.stylize_button, Qt.MouseButton.LeftButton)
    assert any(previews)
    result = window.canvas.image_array()
    # A 64 px result of the 96×72 photo, placed over the whole document as a new layer.
    assert result.shape == photo.shape and np.abs(result.astype(int) - photo).mean() > 5
    info = window.canvas.generation_info
    assert info.prompt == "style transfer: Stained glass" and info.model == "vgg19-tiny_vgg"
    assert info.extra["Preset"] == "preview"
    window.canvas.undo_stack.undo()
    assert np.array_equal(window.canvas.image_array(), photo)


def test_cancel_returns_quickly(window, qtbot, monkeypatch):
    monkeypatch.setitem(st.PRESETS, Preset.PREVIEW, st.Plan(scales=(1.0,), iterations=(100_000,), preview_every=1))
    window.canvas.set_image(scene())
    _select(window.style_picker, "Mosaic")
    with qtbot.waitSignal(window.controller.progress, timeout=60_000):
        qtbot.mouseClick(window.stylize_panel.stylize_button, Qt.MouseButton.LeftButton)
    assert window.stylize_panel.cancel_button.isEnabled()
    with qtbot.waitSignal(window.controller.cancelled, timeout=1_000):
        qtbot.mouseClick(window.stylize_panel.cancel_button, Qt.MouseButton.LeftButton)
    assert np.array_equal(window.canvas.image_array(), scene())


def test_stop_and_keep_puts_the_picture_so_far_on_the_canvas(window, qtbot, monkeypatch):
    monkeypatch.setitem(st.PRESETS, Preset.PREVIEW, st.Plan(scales=(1.0,), iterations=(100_000,), preview_every=1))
    window.canvas.set_image(scene())
    _select(window.style_picker, "Mosaic")
    # Once it stylises: while VGG loads there is nothing to keep yet, and Stop and keep cancels.
    stylising = lambda _job, progress: progress.phase.startswith("Stylising")
    with qtbot.waitSignal(window.controller.progress, timeout=60_000, check_params_cb=stylising):
        qtbot.mouseClick(window.stylize_panel.stylize_button, Qt.MouseButton.LeftButton)
    assert window.stop_button.isVisible()
    window.activateWindow()
    qtbot.waitActive(window)
    with qtbot.waitSignal(window.controller.finished, timeout=5_000) as finished:
        qtbot.keyClick(window, Qt.Key.Key_Escape, Qt.KeyboardModifier.ShiftModifier)  # Stop and keep
    result = finished.args[1]
    assert result.stopped.startswith("at step ") and result.stopped.endswith("/100000")
    assert window.status_label.text() == f"Stopped {result.stopped} — kept"
    kept = window.canvas.image_array()
    assert kept.shape == scene().shape and not np.array_equal(kept, scene())  # a new layer over the photo
    window.canvas.undo_stack.undo()
    assert np.array_equal(window.canvas.image_array(), scene())


def test_stylise_without_a_photo_explains(window):
    _select(window.style_picker, "Mosaic")
    window.stylize_panel.stylize_button.click()
    assert "photo" in window.last_error_box.text()


def test_added_style_stays_in_the_gallery_after_a_restart(qtbot, tmp_path):
    picker = StylePicker()
    qtbot.addWidget(picker)
    assert picker.add_from(str(write(tmp_path / "Night Sky.png", stripes())))
    reopened = StylePicker()
    qtbot.addWidget(reopened)
    names = [s.name for s in reopened.styles()]
    assert "Night sky" in names and not reopened.list.item(names.index("Night sky")).icon().isNull()


def test_remove_is_off_for_built_in_styles_and_says_why(window, qtbot, tmp_path):
    picker = window.style_picker
    _select(picker, "Mosaic")
    assert not picker.remove_button.isEnabled() and "cannot be removed" in picker.remove_button.toolTip()
    with qtbot.waitSignal(picker.notice) as notice:
        picker.remove_selected()  # however it is reached, a built-in style stays
    assert "Mosaic" in notice.args[0] and "cannot be removed" in window.status_label.text()
    assert "Mosaic" in [style.name for style in picker.styles()]
    assert picker.add_from(str(write(tmp_path / "mine.png", stripes())))
    assert picker.remove_button.isEnabled()
    count = picker.list.count()
    picker.remove_button.click()
    assert picker.list.count() == count - 1


def test_at_first_start_the_gallery_the_hint_points_at_is_in_view(window, qtbot):
    qtbot.waitUntil(lambda: not window.style_picker.visibleRegion().isEmpty())
    assert window.layers_panel.visibleRegion().isEmpty()  # Layers is the tab behind it
    assert "Styles tab" in window.stylize_panel.chosen.text()
