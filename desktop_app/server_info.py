"""Asks a GenArt server about itself (GET /v1/info) without ever blocking the GUI thread.

The question runs on a daemon thread (an unreachable host can take the whole timeout, and a
closing app must not wait for it); the GUI thread polls the answer with a timer, so the thread
touches no Qt object.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer

from desktop_app.compute import ComputeChoice, server_client

# A replica's first answer waits for it to import torch and look at its device (the server gives
# it 30 s); an address that does not answer at all fails sooner, when the connection times out.
INFO_TIMEOUT_SECONDS = 35.0
_POLL_MS = 50


def ask_server_info(choice: ComputeChoice) -> Future:
    """A Future of the server's /v1/info answer (a dict), or of the GenArtError saying why not."""
    answer: Future = Future()
    timeout = INFO_TIMEOUT_SECONDS

    def ask() -> None:
        try:
            answer.set_result(server_client(choice, timeout).info())
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread through the Future
            answer.set_exception(exc)

    threading.Thread(target=ask, name="server-info", daemon=True).start()
    return answer


def call_when_done(answer: Future, owner: QObject, callback: Callable[[Future], Any]) -> QTimer:
    """Call ``callback(answer)`` on the GUI thread once ``answer`` is done; nothing is called if
    ``owner`` (which owns the polling timer) is deleted first."""
    timer = QTimer(owner)
    timer.setInterval(_POLL_MS)

    def poll() -> None:
        if answer.done():
            timer.stop()
            timer.deleteLater()
            callback(answer)

    timer.timeout.connect(poll)
    timer.start()
    return timer
