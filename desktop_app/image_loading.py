"""Decode pictures off the GUI thread, with a busy indicator when it takes a while.

Opening a big photo or a layered .ora can take seconds. :func:`decode_off_gui_thread` runs the
decoding function on a worker thread and keeps the window's event loop turning, so the window
repaints instead of freezing. For the first moment (most files are done by then) user input is
held back, so nothing can start a second open or edit the canvas meanwhile; after that a modal
"Opening…" dialog with a busy bar and Cancel appears. The caller still gets the value (or the
exception) back in order, so call sites stay as simple as a direct call.

Cancel cannot interrupt Pillow mid-decode: the worker finishes on its own and its result is dropped.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable, TypeVar

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QProgressDialog, QWidget

from genart_core.api import GenArtError
from genart_core.image_limits import describe

log = logging.getLogger(__name__)

T = TypeVar("T")
Source = TypeVar("Source", str, Path, bytes)
BUSY_DIALOG_AFTER_MS = 400
FINISHED_POLL_MS = 10  # how often the GUI thread looks whether the worker is done


class DecodeCancelled(GenArtError):
    """The user pressed Cancel while a picture was being opened; nothing changed."""


def decode_off_gui_thread(parent: QWidget | None, function: Callable[[Source], T], source: Source) -> T:
    """``function(source)`` run on a worker thread; returns its value or raises what it raised."""
    what = describe(source) if not isinstance(source, bytes) else "the dropped image"
    outcome: dict[str, object] = {}
    finished = threading.Event()

    def work() -> None:
        # Touches no Qt object: the worker only sets the event, and the GUI thread polls it. A
        # QEventLoop referenced from here could be destroyed on this thread (when its last
        # reference goes with this closure) while the GUI thread still delivers events to it,
        # which crashed the app.
        try:
            outcome["value"] = function(source)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the GUI thread below
            outcome["error"] = exc
        finally:
            finished.set()

    threading.Thread(target=work, name="picture-decoding", daemon=True).start()
    if not finished.wait(0.02):  # small files: no event loop needed at all
        loop = QEventLoop()
        poll = QTimer()
        poll.timeout.connect(lambda: finished.is_set() and loop.quit())
        poll.start(FINISHED_POLL_MS)
        _wait_with_busy_indicator(parent, what, loop, finished)
        poll.stop()
    if not finished.is_set():
        raise DecodeCancelled(f"Opening {what} was cancelled; nothing changed.")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def _wait_with_busy_indicator(parent: QWidget | None, what: str, loop: QEventLoop, finished: threading.Event) -> None:
    # First phase: paint and run timers, but hold back clicks, keys and drops.
    show_dialog = QTimer()
    show_dialog.setSingleShot(True)
    show_dialog.timeout.connect(loop.quit)
    show_dialog.start(BUSY_DIALOG_AFTER_MS)
    loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    show_dialog.stop()
    if finished.is_set():
        return
    # Second phase: a modal busy dialog whose Cancel abandons the wait.
    dialog = QProgressDialog(f"Opening {what}…", "Cancel", 0, 0, parent)
    dialog.setWindowTitle("GenArt Studio")
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    dialog.canceled.connect(loop.quit)
    dialog.show()
    log.info("still decoding %s after %d ms; showing the busy dialog", what, BUSY_DIALOG_AFTER_MS)
    if not finished.is_set():
        loop.exec()
    dialog.close()
    dialog.deleteLater()
