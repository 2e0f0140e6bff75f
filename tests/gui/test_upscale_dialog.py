"""Image ▸ Upscale…: the real dialog and job on the real window, with a tiny seeded upscaler
installed in the (temporary) models folder."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.canvas import pixels as px
from desktop_app.canvas.document import CanvasLayer
from desktop_app.upscale_dialog import LANCZOS_ONLY, UpscaleDialog
from genart_core import paths
from tests.core.test_upscale import save_tiny_sr
from tests.images import gradient

WIDTH, HEIGHT = 48, 40


@pytest.fixture
def upscaler() -> str:
    save_tiny_sr(paths.models_dir() / "tiny-sr")
    return "tiny-sr"


@pytest.fixture
def painted(window):
    window.canvas.set_image(gradient(WIDTH, HEIGHT))
    return window


def _upscale(qtbot, window, scale: int = 2, model: str = "tiny-sr", source: str | None = None, detail: int = 100):
    """Open the dialog from the menu, choose, press Upscale; the finished result."""
    window.upscale_action.trigger()
    dialog = window.canvas_upscale.dialog
    assert dialog.isVisible()
    dialog.scale.setCurrentIndex(dialog.scale.findData(scale))
    dialog.model.setCurrentIndex(dialog.model.findData(model))
    dialog.detail.setValue(detail)
    if source is not None:
        dialog.source.setCurrentIndex(dialog.source.findData(source))
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as finished:
        dialog.upscale_button.click()
    assert not dialog.isVisible()
    return finished.args[1]


def test_upscaling_the_picture_enlarges_the_document_with_an_undoable_result_layer(qtbot, painted, upscaler) -> None:
    window, canvas = painted, painted.canvas
    before = [(layer.name, layer.kind) for layer in canvas.document.layers]
    previews: list[bool] = []
    window.controller.progress.connect(lambda _job, progress: previews.append(progress.preview is not None and canvas.has_preview))
    result = _upscale(qtbot, window)

    assert (canvas.document.width, canvas.document.height) == (2 * WIDTH, 2 * HEIGHT)
    top = canvas.document.layers[-1]
    assert top.kind == "result" and top.info.extra["Upscaler"] == "tiny-sr" and top.info.extra["Upscale"] == 2
    assert np.array_equal(canvas.image_array(), result.images[0])  # the upscaler's picture is what shows
    assert any(previews) and not canvas.has_preview  # previews on the canvas while it ran, gone after
    qtbot.waitUntil(lambda: bool(window.history_panel.store.entries()), timeout=10_000)  # written in the background
    assert window.history_panel.store.entries()[0].info.extra["Upscaler"] == "tiny-sr"
    canvas.undo_stack.undo()
    assert (canvas.document.width, canvas.document.height) == (WIDTH, HEIGHT)
    assert [(layer.name, layer.kind) for layer in canvas.document.layers] == before
    canvas.undo_stack.redo()
    assert (canvas.document.width, canvas.document.height) == (2 * WIDTH, 2 * HEIGHT)


def test_a_selection_is_upscaled_into_its_place_on_the_enlarged_picture(qtbot, painted, upscaler) -> None:
    canvas = painted.canvas
    canvas.set_selection((8, 8, 16, 16))
    result = _upscale(qtbot, painted)  # the selection is the source the dialog proposes

    assert result.images[0].shape == (32, 32, 3)
    alpha = px.to_rgba(canvas.document.layers[-1].pixels)[..., 3]
    assert alpha.shape == (2 * HEIGHT, 2 * WIDTH)
    assert alpha[24:40, 24:40].min() == 255  # inside, away from the feathered rim
    assert alpha[:16].max() == 0 and alpha[:, 50:].max() == 0


def test_the_active_layer_is_upscaled_with_its_transparency_above_itself(qtbot, painted, upscaler) -> None:
    canvas = painted.canvas
    stroke = np.zeros((HEIGHT, WIDTH, 4), np.uint8)
    stroke[10:30, 5:25] = (200, 30, 30, 255)
    layer = CanvasLayer("Stroke", px.from_rgba(stroke), "paint")
    canvas.add_layer(layer, "Add stroke")
    canvas.document.set_active(layer)
    _upscale(qtbot, painted, source="layer")

    names = [(item.name, item.visible) for item in canvas.document.layers]
    assert names[-2:] == [("Stroke", False), ("Upscaled 2× (tiny-sr)", True)]
    alpha = px.to_rgba(canvas.document.layers[-1].pixels)[..., 3]
    assert alpha[24:56, 14:46].min() > 200 and alpha[:16].max() < 40 and alpha[:, 56:].max() < 40


def test_lanczos_only_needs_no_upscaler(qtbot, painted) -> None:
    result = _upscale(qtbot, painted, scale=4, model=LANCZOS_ONLY)
    assert result.infos[0].extra["Upscaler"] == "Lanczos"
    assert (painted.canvas.document.width, painted.canvas.document.height) == (4 * WIDTH, 4 * HEIGHT)


def test_cancel_leaves_the_picture_as_it_was(qtbot, window, upscaler) -> None:
    window.canvas.set_image(gradient(600, 400))
    window.upscale_action.trigger()
    dialog = window.canvas_upscale.dialog
    dialog.model.setCurrentIndex(dialog.model.findData("tiny-sr"))
    window.controller.progress.connect(lambda _job, progress: progress.preview is not None and window.controller.cancel_current())
    with qtbot.waitSignal(window.controller.cancelled, timeout=60_000):
        dialog.upscale_button.click()
    assert (window.canvas.document.width, window.canvas.document.height) == (600, 400)
    assert len(window.canvas.document.layers) == 2 and not window.canvas.has_preview


def test_the_dialog_refuses_a_picture_too_large_to_enlarge(qtbot) -> None:
    dialog = UpscaleDialog()
    qtbot.addWidget(dialog)
    dialog.prepare(3000, 3000, None, None)
    dialog.scale.setCurrentIndex(dialog.scale.findData(4))
    assert not dialog.upscale_button.isEnabled() and "megapixels" in dialog.size_label.text()
    dialog.scale.setCurrentIndex(dialog.scale.findData(2))
    assert dialog.upscale_button.isEnabled() and dialog.size_label.text() == "The picture becomes 6000×6000 pixels."


def test_reproduce_of_an_upscaled_picture_sets_the_dialog_up_again(qtbot, painted, upscaler) -> None:
    result = _upscale(qtbot, painted, scale=2, detail=60)
    dialog = painted.canvas_upscale.dialog
    dialog.detail.setValue(100)
    dialog.scale.setCurrentIndex(dialog.scale.findData(4))
    painted.apply_info(result.infos[0])
    assert dialog.isVisible()
    assert dialog.choice() == type(dialog.choice())("picture", 2, 0.6, "tiny-sr")
    assert painted.status_label.text() == "Settings restored in the Upscale panel"


def test_a_flattened_export_of_an_upscaled_generation_keeps_its_prompt_and_seed(qtbot, window, upscaler, tmp_path) -> None:
    from desktop_app.document_files import write_document
    from genart_core.api import GenerationInfo
    from genart_core.artwork import read_generation_info

    made = GenerationInfo(prompt="digit 3", seed=5, steps=25, model="tiny-diffusion", width=WIDTH, height=HEIGHT)
    window.canvas.set_image(gradient(WIDTH, HEIGHT), info=made)
    _upscale(qtbot, window)
    info = read_generation_info(write_document(window.canvas, tmp_path / "export.png"))
    assert (info.prompt, info.seed, info.model) == ("digit 3", 5, "tiny-diffusion")
    assert info.extra["Upscaler"] == "tiny-sr" and (info.width, info.height) == (2 * WIDTH, 2 * HEIGHT)
    assert window.canvas.document.layers[-1].name == "Upscaled 2× (tiny-sr)"


def test_a_picture_that_changed_size_meanwhile_keeps_the_result_in_the_history_and_says_so(qtbot, painted, upscaler) -> None:
    window = painted
    changed: list[bool] = []

    def new_picture(_job, _progress) -> None:
        if not changed:
            changed.append(True)
            window.canvas.set_image(gradient(30, 20))

    window.controller.progress.connect(new_picture)
    _upscale(qtbot, window)
    assert changed and (window.canvas.document.width, window.canvas.document.height) == (30, 20)
    # The message stands, not the window's generic "Done".
    assert "the upscaled picture is in the History panel" in window.status_label.text()
