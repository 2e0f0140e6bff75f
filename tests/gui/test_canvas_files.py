"""Save, Save As, Export and reopen: pixels, layers and parameters survive; failures lose nothing."""

from __future__ import annotations

import errno

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from desktop_app.main_window import MainWindow
from desktop_app.recent_files import recent_files
from genart_core.api import GenerationInfo
from genart_core.artwork import read_generation_info
from genart_core.imaging import load_image
from tests.gui.questions import answer_questions
from tests.images import gradient

INFO = GenerationInfo(prompt="a blue whale", negative_prompt="text", steps=9, cfg_scale=4.0, seed=99, width=64, height=48, model="tiny")


@pytest.fixture
def window(qtbot):
    main = MainWindow()
    qtbot.addWidget(main)
    main.show()
    canvas = main.canvas
    canvas.set_image(gradient(64, 48), "Start")
    canvas.brush.colour, canvas.brush.size = (250, 250, 0), 6
    canvas.begin_stroke(QPointF(5, 5))
    canvas.continue_stroke(QPointF(50, 40))
    canvas.end_stroke()
    canvas.add_result(np.full((48, 64, 3), (0, 60, 200), np.uint8), INFO, "Whale", region=(8, 8, 32, 24))
    canvas.set_layer_property(canvas.document.layers[2], "opacity", 0.6)
    yield main
    main.close()


def test_ora_round_trip_keeps_layers_pixels_and_parameters(window, tmp_path):
    canvas = window.canvas
    picture, layers = canvas.image_array(), canvas.core_layers()
    path = tmp_path / "work.ora"
    assert window.save_to(path)
    assert canvas.document_path == path and not canvas.is_modified
    assert str(path.resolve()) == recent_files()[0]
    canvas.set_image(np.zeros((10, 10, 3), np.uint8))
    assert canvas.open_file(path)
    assert [layer.name for layer in canvas.document.layers] == ["Image", "Paint", "Whale"]
    assert canvas.document.layers[2].opacity == pytest.approx(0.6)
    for before, after in zip(layers, canvas.core_layers()):
        # Straight colour under partial alpha loses a little precision in premultiplied storage.
        assert np.abs(before.pixels.astype(int) - after.pixels.astype(int)).max() <= 2
        assert np.array_equal(before.pixels[..., 3], after.pixels[..., 3])
    assert np.abs(canvas.image_array().astype(int) - picture.astype(int)).max() <= 1
    assert canvas.generation_info.prompt == "a blue whale" and canvas.generation_info.seed == 99


@pytest.mark.parametrize("suffix, tolerance", [(".png", 0), (".jpg", 8), (".webp", 8)])
def test_export_flattens_with_parameters_and_keeps_the_document(window, tmp_path, suffix, tolerance):
    canvas = window.canvas
    path = tmp_path / f"export{suffix}"
    assert window.files.save_to(path, keep_as_document=False, quality=90)
    assert canvas.document_path is None and canvas.is_modified  # an export is not a save
    pixels = load_image(path)
    assert pixels.shape == (48, 64, 3)
    assert np.abs(pixels.astype(int) - canvas.image_array().astype(int)).mean() <= tolerance
    info = read_generation_info(path)
    assert info.prompt == "a blue whale" and info.seed == 99 and info.steps == 9


def test_a_full_disk_shows_a_message_and_loses_nothing(window, tmp_path, monkeypatch, qtbot):
    path = tmp_path / "old.ora"
    assert window.save_to(path)
    before = path.read_bytes()
    window.canvas.set_layer_property(window.canvas.document.layers[2], "visible", False)
    picture = window.canvas.image_array()

    def disk_full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("genart_core.atomic.os.replace", disk_full)
    with qtbot.waitSignal(window.files.failed) as failed:
        assert not window.save_to(path)
    assert "disk is full" in failed.args[0]
    assert "disk is full" in window.last_error_box.text()
    assert path.read_bytes() == before and window.canvas.is_modified
    assert np.array_equal(window.canvas.image_array(), picture)


def test_opening_a_damaged_document_keeps_the_canvas(window, tmp_path):
    picture = window.canvas.image_array()
    broken = tmp_path / "broken.ora"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip")
    assert not window.canvas.open_file(broken)
    assert "broken.ora" in window.last_error_box.text()
    assert np.array_equal(window.canvas.image_array(), picture) and window.isVisible()


def test_closing_with_unsaved_changes_asks_first(window):
    window.files.ask_questions = True
    asked = answer_questions("Cancel")
    assert not window.close()  # Cancel: the window stays, with its picture
    assert window.isVisible() and window.canvas.has_image
    asked_again = answer_questions("Discard")
    assert window.close()
    assert "not saved" in asked[0] and "not saved" in asked_again[0]
