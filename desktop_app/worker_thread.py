"""The long-lived QThread a worker QObject lives on (ARCHITECTURE.md, "Threads"), started and
stopped the same way for every controller that owns one (jobs, instant style)."""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, QThread

log = logging.getLogger(__name__)

# How much lower than the GUI thread the job worker's thread runs (Linux nice steps): Stylise, Learn
# this style and diffusion keep torch's threads busy for minutes, and at +5 the scheduler gives the
# GUI thread ~3× their weight; it needs little CPU, so the job loses almost nothing. The instant
# worker keeps the GUI thread's priority (instant_worker._InstantWorker._engine_here says why), so
# a click's instant result also goes before a running job: with Learn this style running, 0.18–0.27 s
# from click to canvas against 0.57–0.62 s with both workers lowered (bench/instant_gui.py, section 3).
WORKER_NICENESS = 5


def lower_this_threads_priority() -> None:
    """Lower the calling thread's priority by WORKER_NICENESS. Linux keeps a nice value per thread,
    and threads created afterwards from this one (onnxruntime's session pools, torch's OpenMP team)
    inherit it. Elsewhere, where a thread id is no process id, nothing changes."""
    if not sys.platform.startswith("linux") or WORKER_NICENESS <= 0:
        return
    thread_id = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, thread_id, min(19, os.getpriority(os.PRIO_PROCESS, thread_id) + WORKER_NICENESS))
    except OSError as exc:  # a sandbox may refuse; the worker then runs at the GUI's priority
        log.info("Could not lower the priority of the worker thread: %s", exc)


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
