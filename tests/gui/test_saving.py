"""Nothing a user made is lost or overwritten by surprise: Save on an opened photo, opening over
unsaved work, the save target across undo, odd metadata, read-only disks and long names. The
questions are the app's real message boxes, answered by clicking their buttons."""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from unittest.mock import create_autospec

import numpy as np
import pytest
from PIL import Image, PngImagePlugin
from PySide6.QtCore import QPointF, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog

from desktop_app.document_files import DEFAULT_QUALITY
from desktop_app.main_window import MainWindow
from desktop_app.settings import int_setting, settings
from genart_core.api import GenerationInfo
from genart_core.artwork import read_generation_info
from genart_core.imaging import load_image
from genart_core.ora import read_ora
from tests.gui.dnd import drop_file
from tests.gui.questions import answer_questions
from tests.images import gradient

TITLE = " — GenArt Studio"


@pytest.fixture
def asking(qtbot):
    """A shown main window whose questions a "user" answers (offscreen they are off by default).
    Not handed to qtbot, which would close it before this fixture could turn the questions off."""
    main = MainWindow()
    main.show()
    qtbot.waitExposed(main)
    main.files.ask_questions = True
    yield main
    main.files.ask_questions = False
    main.close()
    main.deleteLater()


def _photo(path: Path, shade: int = 0) -> Path:
    Image.fromarray((gradient(64, 48).astype(int) + shade).clip(0, 255).astype(np.uint8)).save(path, quality=90)
    return path


def _paint(canvas) -> None:
    canvas.brush.colour, canvas.brush.size = (250, 20, 20), 8
    canvas.begin_stroke(QPointF(4, 4))
    canvas.continue_stroke(QPointF(60, 44))
    canvas.end_stroke()


def _fake_save_dialog(monkeypatch, answer: Path):
    fake = create_autospec(QFileDialog.getSaveFileName, return_value=(str(answer), "OpenRaster document, keeps layers (*.ora)"))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake)
    return fake


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp"])
def test_save_on_an_opened_photo_asks_and_cancel_keeps_the_photo(asking, tmp_path, suffix):
    photo = _photo(tmp_path / f"photo{suffix}")
    original = photo.read_bytes()
    assert asking.files.open_path(str(photo))
    _paint(asking.canvas)
    asked = answer_questions("Cancel")
    asking.save_action.trigger()  # Ctrl+S
    assert photo.read_bytes() == original
    assert "replaces the original file" in asked[0] and asking.canvas.is_modified
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_file()) == [photo.name]


def test_save_as_ora_keeps_the_photo_and_the_layers(asking, tmp_path, monkeypatch):
    photo = _photo(tmp_path / "photo.jpg")
    original = photo.read_bytes()
    asking.files.open_path(str(photo))
    _paint(asking.canvas)
    dialog = _fake_save_dialog(monkeypatch, tmp_path / "photo.ora")
    answer_questions("Save as .ora…")
    assert asking.files.save()
    assert photo.read_bytes() == original
    assert Path(dialog.call_args.args[2]) == tmp_path / "photo.ora"  # offered beside the photo
    assert [layer.name for layer in read_ora(tmp_path / "photo.ora").layers] == ["Image", "Paint"]
    assert asking.canvas.document_path == tmp_path / "photo.ora"
    assert asking.windowTitle() == "photo.ora" + TITLE
    _paint(asking.canvas)
    unexpected = answer_questions("Cancel")  # an .ora is saved without a question
    assert asking.files.save() and unexpected == []
    unexpected.stop()


def test_export_flattened_replaces_the_photo_only_when_chosen_and_asks_once(asking, tmp_path):
    photo = _photo(tmp_path / "photo.png")
    asking.files.open_path(str(photo))
    _paint(asking.canvas)
    answer_questions("Export flattened")
    assert asking.files.save()
    assert np.array_equal(load_image(photo), asking.canvas.image_array())
    _paint(asking.canvas)
    unexpected = answer_questions("Cancel")
    assert asking.files.save() and unexpected == []  # asked once for this file
    unexpected.stop()


def test_opening_over_unsaved_work_asks_and_cancel_keeps_everything(asking, tmp_path):
    first, second = _photo(tmp_path / "first.png"), _photo(tmp_path / "second.png", shade=60)
    asking.files.open_path(str(first))
    _paint(asking.canvas)
    picture = asking.canvas.image_array()
    asked = answer_questions("Cancel")
    assert not asking.files.open_path(str(second))
    asked_on_drop = answer_questions("Cancel")
    drop_file(asking.canvas, second)
    assert "not saved" in asked[0] and "not saved" in asked_on_drop[0]
    assert np.array_equal(asking.canvas.image_array(), picture)
    assert asking.canvas.document_path == first and asking.windowTitle() == "first.png*" + TITLE

    answer_questions("Discard")
    drop_file(asking.canvas, second)
    assert np.array_equal(asking.canvas.image_array(), load_image(second))
    assert asking.canvas.document_path == second
    assert asking.windowTitle() == "second.png" + TITLE  # no "*" right after opening


def test_save_before_opening_saves_the_old_document_to_its_own_file(asking, tmp_path):
    work = tmp_path / "work.ora"
    asking.canvas.set_image(gradient(64, 48))
    assert asking.save_to(work)
    _paint(asking.canvas)
    painted = asking.canvas.image_array()
    answer_questions("Save")
    assert asking.files.open_path(str(_photo(tmp_path / "other.png", shade=90)))
    assert np.abs(read_ora(work).flatten().astype(int) - painted.astype(int)).max() <= 1
    assert asking.canvas.document_path == tmp_path / "other.png"


def test_undo_after_opening_gives_the_old_document_its_own_file_back(asking, tmp_path):
    work, photo = tmp_path / "work.ora", _photo(tmp_path / "photo.png", shade=40)
    asking.canvas.set_image(gradient(64, 48))
    _paint(asking.canvas)
    assert asking.save_to(work)
    photo_bytes = photo.read_bytes()
    assert asking.files.open_path(str(photo))
    assert asking.windowTitle() == "photo.png" + TITLE
    asking.canvas.undo_stack.undo()  # the work is back on the canvas: so is its file
    assert asking.canvas.document_path == work and asking.windowTitle().startswith("work.ora")
    asking.canvas.undo_stack.redo()
    assert asking.canvas.document_path == photo and asking.windowTitle() == "photo.png" + TITLE
    asking.canvas.undo_stack.undo()
    _paint(asking.canvas)
    assert asking.files.save()  # writes the work, not the photo
    assert photo.read_bytes() == photo_bytes
    assert np.abs(read_ora(work).flatten().astype(int) - asking.canvas.image_array().astype(int)).max() <= 1


def test_an_ai_result_that_starts_a_new_document_is_untitled(window, tmp_path):
    window.canvas.set_image(gradient(64, 48))
    assert window.save_to(tmp_path / "wide.ora")
    window.canvas.add_result(gradient(20, 60), None, "Tall result")  # another shape: a new document
    assert window.canvas.document_path is None and window.windowTitle().startswith("Untitled")


def test_flatten_keeps_the_documents_file(window, tmp_path):
    window.canvas.set_image(gradient(64, 48))
    _paint(window.canvas)
    assert window.save_to(tmp_path / "work.ora")
    window.canvas.flatten()
    window.canvas.undo_stack.undo()
    window.canvas.undo_stack.redo()
    assert window.canvas.document_path == tmp_path / "work.ora"


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_the_app_start_removes_what_a_killed_session_left(qtbot, tmp_path):
    documents = tmp_path / "documents"
    documents.mkdir()
    child = subprocess.Popen([sys.executable, "-c", _KILLED_MID_SAVE, str(documents / "big.ora")], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "half-way"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert len(list(documents.glob(".big.ora.*.part"))) == 1
    main = MainWindow()
    qtbot.addWidget(main)
    main.leftovers_removal.join(timeout=30)
    assert list(documents.iterdir()) == []


_KILLED_MID_SAVE = """
import sys, time
from genart_core.atomic import atomic_write
with atomic_write(sys.argv[1]) as stream:
    stream.write(b"x" * 100_000)
    stream.flush()
    print("half-way", flush=True)
    time.sleep(60)
"""


def _png_with_hostile_chunk(path: Path) -> Path:
    text = PngImagePlugin.PngInfo()
    text.add_itxt("genart", json.dumps({"prompt": ["not", "text"], "extra": "oops", "request": [1, 2], "steps": 1e11, "seed": 3}))
    text.add_text("parameters", "x\nSteps: 99999999999, Seed: 3, Style: {" * 3)
    Image.fromarray(gradient(64, 48)).save(path, pnginfo=text)
    return path


def test_a_hostile_genart_chunk_never_stops_save_export_or_autosave(window, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        assert window.files.open_path(str(_png_with_hostile_chunk(tmp_path / "odd.png")))
    assert any("Dropped" in record.message for record in caplog.records)
    info = window.canvas.generation_info
    assert info.seed == 3 and info.extra == {} and info.request == {} and info.steps is None
    _paint(window.canvas)
    assert window.save_to(tmp_path / "odd.ora")
    assert window.files.save_to(tmp_path / "odd-export.jpg", keep_as_document=False, quality=80)
    window.autosaver.save_now().result()
    assert read_ora(window.autosaver.path).layers[0].info.seed == 3
    assert read_generation_info(tmp_path / "odd-export.jpg").seed == 3


def test_autosaves_keep_each_layers_full_request(window):
    info = GenerationInfo(prompt="a whale", seed=7, extra={"Style weights": {"a": 0.5}}, request={"type": "TextToImageRequest", "steps": 4})
    window.canvas.set_image(gradient(64, 48))
    window.canvas.add_result(gradient(64, 48), info, "Whale")
    window.autosaver.save_now().result()
    restored = read_ora(window.autosaver.path).layers[-1].info
    assert restored.request == info.request and restored.extra == info.extra


def test_closing_on_a_read_only_disk_logs_and_closes(qtbot, caplog, monkeypatch):
    main = MainWindow()
    qtbot.addWidget(main)
    main.canvas.set_image(gradient(64, 48))
    _paint(main.canvas)
    main.autosaver.save_now().result()
    real_unlink = Path.unlink

    def read_only(path: Path, missing_ok: bool = False) -> None:
        if main.autosaver.folder in path.parents:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        real_unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", read_only)
    with caplog.at_level(logging.WARNING):
        assert main.close()  # pytest-qt fails the test on an exception raised in closeEvent
    assert any("Read-only" in record.getMessage() for record in caplog.records)
    assert main.autosaver.path.is_file()  # left for the next start, which can offer it


@pytest.mark.parametrize("length", [241, 255])
def test_names_of_up_to_255_bytes_save(window, tmp_path, length):
    window.canvas.set_image(gradient(64, 48))
    name = "ü" * ((length - 4) // 2) + "x" * ((length - 4) % 2) + ".ora"
    assert len(os.fsencode(name)) == length
    assert window.save_to(tmp_path / name)
    assert window.windowTitle() == name + TITLE
    assert read_ora(tmp_path / name).layers[0].pixels.shape == (48, 64, 4)


def test_a_name_without_extension_gets_a_message_naming_ora(window, tmp_path, qtbot):
    window.canvas.set_image(gradient(64, 48))
    with qtbot.waitSignal(window.files.failed) as failed:
        assert not window.save_to(tmp_path / "picture")
    assert ".ora" in failed.args[0] and ".png" in failed.args[0]
    assert not (tmp_path / "picture").exists()


@pytest.mark.parametrize("stored", ["lots", 1e300, -5, ""])
def test_a_remembered_quality_that_is_not_a_usable_number_does_not_stop_save_or_export(window, qtbot, tmp_path, stored):
    settings().setValue("export/quality", stored)
    window.canvas.set_image(gradient(64, 48))
    assert window.files.save_to(tmp_path / "saved.jpg", keep_as_document=False)
    assert Image.open(tmp_path / "saved.jpg").size == (64, 48)
    offered: list[int] = []

    def answer_quality_box() -> None:
        box = next((widget for widget in QApplication.topLevelWidgets() if isinstance(widget, QInputDialog) and widget.isVisible()), None)
        if box is None:
            QTimer.singleShot(10, answer_quality_box)
            return
        offered.append(box.intValue())
        box.accept()

    QTimer.singleShot(10, answer_quality_box)
    assert window.files._save_chosen(tmp_path / "chosen.webp", keep_as_document=False)
    assert offered == [DEFAULT_QUALITY] and (tmp_path / "chosen.webp").is_file()
    assert settings().value("export/quality") not in (stored, None)  # the chosen, valid number replaces the damaged one
    assert int_setting("export/quality", 1, 1, 100) == DEFAULT_QUALITY
