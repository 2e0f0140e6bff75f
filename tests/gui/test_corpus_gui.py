"""The hostile corpus through the real window: canvas drop, File ▸ Open and the style picker drop.

Every ``ok_*`` file must open (or become a style) with no message; every ``bad_*`` one must leave
the canvas and the gallery as they were and show a message (the non-blocking error box) — and no
exception may escape into Qt, which pytest-qt would report as a failure of the test.
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressDialog, QPushButton

from desktop_app import image_loading
from desktop_app.image_loading import DecodeCancelled, decode_off_gui_thread
from scripts.make_corpus import CORPUS, make_fifo
from tests.gui.dnd import drop_file

pytestmark = pytest.mark.skipif(os.name == "nt", reason="the corpus's named pipe needs POSIX")

@pytest.fixture
def corpus(tmp_path):
    """The corpus files, plus a named pipe where the system has them."""
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    make_fifo(folder)
    return sorted(folder.iterdir())


def _messages(window) -> list[str]:
    seen: list[str] = []
    window.canvas.load_failed.connect(seen.append)
    window.style_picker.add_failed.connect(seen.append)
    return seen


def _check(window, path, seen: list[str], accepted: bool) -> str | None:
    """What went wrong with this file, or None."""
    if path.name.startswith("ok_"):
        if seen or not accepted:
            return f"{path.name}: refused ({seen})"
        return None
    if accepted or not seen:
        return f"{path.name}: expected a message, got none"
    box = window.last_error_box
    if box is None or box.text() != seen[-1] or "Traceback" in box.text():
        return f"{path.name}: the message box does not show the message"
    return None


def test_dropping_every_corpus_file_on_the_canvas(window, corpus):
    seen = _messages(window)
    problems = []
    for path in corpus:
        seen.clear()
        before = window.canvas.document.layers[:] if window.canvas.has_image else None
        drop_file(window.canvas, path)
        after = window.canvas.document.layers[:] if window.canvas.has_image else None
        problems.append(_check(window, path, seen, after is not None and after != before))
        if path.name.startswith("bad_"):
            assert after == before, f"{path.name} changed the canvas"
    assert [problem for problem in problems if problem] == []
    assert window.isVisible()


def test_file_open_on_every_corpus_file(window, corpus):
    seen = _messages(window)
    problems = []
    for path in corpus:
        seen.clear()
        problems.append(_check(window, path, seen, window.files.open_path(str(path))))
    assert [problem for problem in problems if problem] == []


def test_dropping_every_corpus_picture_on_the_style_picker(window, corpus):
    seen = _messages(window)
    picker = window.style_picker
    problems = []
    for path in corpus:
        if path.name.endswith(".ora"):
            continue  # the style picker takes pictures, not layered documents
        seen.clear()
        count = len(picker.styles())
        drop_file(picker, path)
        problems.append(_check(window, path, seen, len(picker.styles()) == count + 1))
    assert [problem for problem in problems if problem] == []


# Pictures whose generation parameters once broke the app when opened (a 100,000-deep `genart`
# chunk, a number as the prompt, Steps: 99999999999): what is usable reaches the prompt panel, the
# rest is dropped, and the panel's other settings stay as they were.
ODD_METADATA = {
    "ok_genart_deeply_nested.png": None,  # the chunk is unreadable: nothing is restored
    "ok_genart_wrong_types.png": "5",
    "ok_parameters_huge_steps.png": "a fox",
}


@pytest.mark.parametrize("name, prompt", ODD_METADATA.items())
def test_pictures_with_odd_metadata_open_and_restore_only_what_is_usable(window, qtbot, name, prompt):
    panel = window.prompt_panel
    panel.prompt.set_text("before")
    steps, seed = panel.steps.value(), panel.seed.value()
    with qtbot.capture_exceptions() as raised:
        assert window.files.open_path(str(CORPUS / name))
    assert raised == []
    assert window.canvas.has_image
    assert panel.prompt.toPlainText() == (prompt if prompt is not None else "before")
    assert (panel.steps.value(), panel.seed.value()) == (steps, seed)


def test_a_slow_decode_keeps_the_window_turning_shows_a_busy_dialog_and_can_be_cancelled(window, monkeypatch):
    monkeypatch.setattr(image_loading, "BUSY_DIALOG_AFTER_MS", 100)
    release = threading.Event()
    ticks: list[int] = []
    ticker = QTimer()
    ticker.timeout.connect(lambda: ticks.append(1))
    ticker.start(20)
    dialogs: list[str] = []

    def press_cancel() -> None:
        shown = [dialog for dialog in window.findChildren(QProgressDialog) if dialog.isVisible()]
        # Cancel once timers have fired a few times meanwhile: if the decode blocked the event
        # loop, they never would, nor would this, and the decode would end uncancelled.
        if shown and len(ticks) >= 3:
            dialogs.append(shown[0].labelText())
            shown[0].findChild(QPushButton).click()  # as the user would
        else:
            QTimer.singleShot(50, press_cancel)

    QTimer.singleShot(150, press_cancel)
    try:
        with pytest.raises(DecodeCancelled, match="cancelled"):
            decode_off_gui_thread(window, lambda source: release.wait(30), "slow.png")
    finally:
        release.set()
        ticker.stop()
    assert dialogs == ["Opening “slow.png”…"]
    assert len(ticks) >= 3  # timers (and painting) ran while the worker decoded


def test_the_decoded_value_and_errors_come_back_in_order(window):
    assert decode_off_gui_thread(window, str.upper, "photo.png") == "PHOTO.PNG"
    with pytest.raises(ZeroDivisionError):
        decode_off_gui_thread(window, lambda source: 1 / 0, "photo.png")
