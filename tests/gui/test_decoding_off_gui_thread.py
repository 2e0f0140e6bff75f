"""Every picture the window decodes goes through image_loading's off-thread loader, with the same
limits and messages as File ▸ Open: a pasted file, a file dropped on a Generate panel well, an
autosave being recovered, a History entry opened. The real decoders run; a wrapper only notes on
which thread they ran."""

from __future__ import annotations

import json
import threading

import numpy as np
from PIL import Image
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QProgressDialog, QPushButton

from desktop_app import autosave, generate_panel, image_loading
from desktop_app.autosave import Autosaver, find_recoverable, recover
from desktop_app.canvas import Canvas, clipboard
from desktop_app.canvas.clipboard import paste_picture
from scripts.make_corpus import CORPUS
from tests.gui.dnd import drop_file, file_mime
from tests.images import gradient

TOO_BIG = CORPUS / "bad_header_30000x30000.png"  # a valid header declaring 900 megapixels


def _note_threads(monkeypatch, owner, name: str) -> list[bool]:
    """Wrap ``owner.name`` so each call records whether it ran on the GUI thread, then runs the real one."""
    real = getattr(owner, name)
    on_gui_thread: list[bool] = []

    def noted(*args, **kwargs):
        on_gui_thread.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, noted)
    return on_gui_thread


def _picture_file(path, width=40, height=30):
    Image.fromarray(gradient(width, height)).save(path)
    return path


def test_a_pasted_file_is_decoded_off_the_gui_thread_and_refused_like_open(window, qtbot, monkeypatch, tmp_path):
    canvas = window.canvas
    canvas.set_image(gradient(64, 48))
    layers = len(canvas.document.layers)
    on_gui_thread = _note_threads(monkeypatch, clipboard, "load_image")
    QGuiApplication.clipboard().setMimeData(file_mime(_picture_file(tmp_path / "pasted.png")))
    assert paste_picture(canvas) and len(canvas.document.layers) == layers + 1
    QGuiApplication.clipboard().setMimeData(file_mime(TOO_BIG))
    with qtbot.waitSignal(canvas.load_failed) as failed:
        assert not paste_picture(canvas)
    assert TOO_BIG.name in failed.args[0] and "pixels" in failed.args[0]
    assert len(canvas.document.layers) == layers + 1
    assert on_gui_thread == [False, False]


def test_a_generate_panel_well_decodes_off_the_gui_thread_and_says_why_it_refuses(window, qtbot, monkeypatch, tmp_path):
    well = window.generate_panel.end_wells[0]
    on_gui_thread = _note_threads(monkeypatch, generate_panel, "load_image")
    drop_file(well, _picture_file(tmp_path / "end.png"))
    assert well.image is not None and well.image.shape[:2] == (30, 40)
    with qtbot.waitSignal(well.failed) as failed:
        drop_file(well, TOO_BIG)
    assert TOO_BIG.name in failed.args[0]
    assert well.image.shape[:2] == (30, 40)  # the earlier picture stays
    assert on_gui_thread == [False, False]


def test_an_autosave_is_recovered_off_the_gui_thread_and_a_damaged_record_is_ignored(qtbot, monkeypatch):
    crashed = Canvas()
    qtbot.addWidget(crashed)
    crashed.set_image(gradient(50, 40))
    saver = Autosaver(crashed, interval_ms=60_000)
    saver.save_now().result()
    saver._lock.unlock()  # the process "dies": its lock goes stale, its autosave stays
    (found,) = find_recoverable()
    found.with_suffix(".json").write_text(json.dumps({"saved": 1, "document": 5}))  # a number, not a file name
    on_gui_thread = _note_threads(monkeypatch, autosave, "read_ora")

    fresh = Canvas()
    qtbot.addWidget(fresh)
    assert recover(fresh, found)
    assert np.array_equal(fresh.image_array(), crashed.image_array())
    assert fresh.document_path is None and on_gui_thread == [False]


def test_a_history_entry_is_opened_off_the_gui_thread(window, qtbot, monkeypatch):
    panel = window.history_panel
    panel.record(np.full((8, 8, 3), 50, np.uint8), None, "Kept")
    panel.wait_for_writes()
    qtbot.waitUntil(lambda: panel.list.count() == 1)
    panel.list.setCurrentRow(0)
    on_gui_thread = _note_threads(monkeypatch, panel.store, "load_image")
    panel.open_current()
    assert window.canvas.has_image and on_gui_thread == [False]


def test_cancelling_a_slow_history_open_keeps_the_entry(window, qtbot, monkeypatch):
    panel = window.history_panel
    panel.record(np.full((8, 8, 3), 50, np.uint8), None, "Kept")
    panel.wait_for_writes()
    qtbot.waitUntil(lambda: panel.list.count() == 1)
    panel.list.setCurrentRow(0)
    monkeypatch.setattr(image_loading, "BUSY_DIALOG_AFTER_MS", 50)
    release = threading.Event()
    real = panel.store.load_image
    monkeypatch.setattr(panel.store, "load_image", lambda entry: (release.wait(30), real(entry))[1])  # a slow disk

    def press_cancel() -> None:
        shown = [dialog for dialog in window.findChildren(QProgressDialog) if dialog.isVisible()]
        if shown:
            shown[0].findChild(QPushButton).click()  # as the user would
        else:
            QTimer.singleShot(20, press_cancel)

    QTimer.singleShot(60, press_cancel)
    try:
        panel.open_current()
    finally:
        release.set()
    assert panel.list.count() == 1 and panel.current_entry().image_path.is_file()
    assert not window.canvas.has_image
