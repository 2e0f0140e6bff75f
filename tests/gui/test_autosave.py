"""Autosave and recovery after a crash."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from desktop_app.autosave import Autosaver, autosave_folder, find_recoverable, recover
from desktop_app.canvas import Canvas


@pytest.fixture
def canvas(qtbot):
    widget = Canvas()
    qtbot.addWidget(widget)
    widget.set_image(np.full((40, 50, 3), 120, np.uint8))
    widget.brush.colour = (255, 0, 0)
    widget.begin_stroke(QPointF(5, 20))
    widget.continue_stroke(QPointF(45, 20))
    widget.end_stroke()
    return widget


def test_work_is_recovered_after_a_simulated_crash(canvas, qtbot):
    saver = Autosaver(canvas, interval_ms=60_000)
    saver.tick()  # what the one-minute timer does
    saver._writer.shutdown(wait=True)
    assert saver.path.is_file()
    assert find_recoverable() == []  # this session is still alive: nothing to offer
    picture, names = canvas.image_array(), [layer.name for layer in canvas.document.layers]
    saver._lock.unlock()  # the process "dies": its lock goes stale, its autosave stays
    saver._lock = type(saver._lock)(str(saver.path.with_suffix(".lock")))
    (found,) = find_recoverable()
    assert found == saver.path

    fresh = Canvas()
    qtbot.addWidget(fresh)
    assert recover(fresh, found)
    assert np.array_equal(fresh.image_array(), picture)
    assert [layer.name for layer in fresh.document.layers] == names
    assert fresh.is_modified  # recovered work is unsaved work
    assert not found.exists() and find_recoverable() == []


def test_a_clean_exit_leaves_nothing_to_recover(canvas):
    saver = Autosaver(canvas)
    saver.save_now().result()
    assert saver.path.is_file()
    saver.shutdown()
    assert list(autosave_folder().iterdir()) == []


def test_nothing_is_written_when_nothing_changed(canvas):
    canvas.undo_stack.setClean()
    saver = Autosaver(canvas)
    saver.tick()
    saver._writer.shutdown(wait=True)
    assert not saver.path.exists()
    saver.shutdown()


def test_a_damaged_autosave_gives_a_message(canvas, qtbot):
    bad = autosave_folder() / "session-1-1.ora"
    bad.write_bytes(b"garbage")
    with qtbot.waitSignal(canvas.load_failed) as failed:
        assert not recover(canvas, bad)
    assert "could not be recovered" in failed.args[0]
