"""The long-lived QThread a worker QObject lives on (ARCHITECTURE.md, "Threads"), started and
stopped the same way for every controller that owns one (jobs, instant style)."""

from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, QThread

log = logging.getLogger(__name__)


def start_worker_thread(worker: QObject, name: str, shutdown: Callable[[], None]) -> QThread:
    """A started thread named ``name`` that ``worker`` now lives on and deletes it when it ends.
    ``shutdown`` (the owner's) runs when the application is about to quit, however it ends
    (window closed, app.quit(), session logout), so the thread is stopped before Qt tears down."""
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.finished.connect(worker.deleteLater)
    thread.start()
    application = QCoreApplication.instance()
    if application is not None:
        application.aboutToQuit.connect(shutdown)
    return thread


def stop_worker_thread(thread: QThread, timeout_ms: int) -> None:
    """Ask ``thread`` to end after its current job and wait for it. Never terminate(): it can
    leave torch's or onnxruntime's state corrupt."""
    thread.quit()
    if not thread.wait(timeout_ms):
        log.warning("The worker thread %s did not stop within %d ms", thread.objectName(), timeout_ms)
