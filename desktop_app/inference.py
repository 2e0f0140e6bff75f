"""Runs core jobs off the GUI thread: one worker on one long-lived QThread, driven by a controller.

The controller lives on the GUI thread. Submitting cancels the job it replaces; Cancel (and Stop
and keep) sets the job's token directly (a queued slot would not run while the worker is busy).
The worker's signals reach the controller's slots queued, on the GUI thread; progress of stale
jobs is dropped.
"""

from __future__ import annotations

import itertools
import logging
import traceback

from PySide6.QtCore import QObject, Signal, Slot

from desktop_app.compute import ComputeChoice, make_engine
from desktop_app.worker_thread import start_worker_thread, stop_worker_thread
from genart_core.api import Cancelled, CancelToken, GenArtError, Progress, Request, Result
from genart_core.remote_engine import ServerError

log = logging.getLogger(__name__)


class _Worker(QObject):
    """Lives on the worker thread. Owns the Engine, so loaded models stay on that thread."""

    ready = Signal(str)  # a one-line description of the compute device
    progress = Signal(int, object)  # job id, Progress
    finished = Signal(int, object)  # job id, Result
    failed = Signal(int, str)  # job id, message for a person
    cancelled = Signal(int)
    server_lost = Signal(int)  # job id; sent just before failed when the job's server failed it or went away

    def __init__(self) -> None:
        super().__init__()
        self._engine = None
        self._compute = ComputeChoice()
        # One engine per place a job ran, so switching back and forth keeps loaded models.
        self._engines: dict[ComputeChoice, tuple[object, str]] = {}  # engine, its ready message

    @Slot()
    def warm_up(self) -> None:
        """Import torch and friends here, after the window is on screen (they take seconds)."""
        try:
            if self._compute not in self._engines:
                self._engines[self._compute] = make_engine(self._compute)
            self._engine, message = self._engines[self._compute]
            self.ready.emit(message)
        except Exception as exc:  # a broken install must show up as a message, not a crash
            log.exception("Could not load the compute engine")
            self.ready.emit(f"The compute engine could not load: {exc}")

    @Slot(int, object, object)
    def run_job(self, job_id: int, request: Request, token: CancelToken) -> None:
        if token.cancelled:
            self.cancelled.emit(job_id)
            return
        try:
            if self._engine is None:
                self.warm_up()
            result = self._engine.run(request, lambda p: self.progress.emit(job_id, p), token)
        except Cancelled:
            self.cancelled.emit(job_id)
        except ServerError as exc:
            self.server_lost.emit(job_id)
            self.failed.emit(job_id, str(exc))
        except GenArtError as exc:
            self.failed.emit(job_id, str(exc))
        except MemoryError:
            self.failed.emit(job_id, "Not enough memory for this job. Try a smaller size or fewer images.")
        except Exception as exc:
            log.error("Job %d failed:\n%s", job_id, traceback.format_exc())
            self.failed.emit(job_id, f"The job failed: {type(exc).__name__}: {exc}")
        else:
            self.finished.emit(job_id, result)

    @Slot(object)
    def use_compute(self, choice: ComputeChoice) -> None:
        """Jobs after this one run where ``choice`` says (the engine is made by the next job or warm-up)."""
        self._compute = choice
        self._engine = None


class InferenceController(QObject):
    """The GUI's handle on background work. All signals are emitted on the GUI thread."""

    engine_ready = Signal(str)
    job_started = Signal(int, object)  # job id, Request
    progress = Signal(int, object)  # job id, Progress (only for the current job)
    finished = Signal(int, object)  # job id, Result
    failed = Signal(int, str)
    cancelled = Signal(int)
    busy_changed = Signal(bool)
    server_lost = Signal(int)  # job id: its server failed it or went away; failed follows

    _run_on_worker = Signal(int, object, object)
    _warm_up_worker = Signal()
    _use_compute_on_worker = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._tokens: dict[int, CancelToken] = {}  # submitted jobs that have not ended yet
        self._current: int | None = None
        self._worker = _Worker()
        self._thread = start_worker_thread(self._worker, "genart-inference", self.shutdown)
        self._run_on_worker.connect(self._worker.run_job)
        self._warm_up_worker.connect(self._worker.warm_up)
        self._worker.ready.connect(self._on_ready)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.cancelled.connect(self._on_cancelled)
        self._use_compute_on_worker.connect(self._worker.use_compute)
        self._worker.server_lost.connect(self.server_lost)

    def warm_up(self) -> None:
        """Start loading torch on the worker thread; engine_ready says when it is done."""
        self._warm_up_worker.emit()

    def use_compute(self, choice: ComputeChoice) -> None:
        """Jobs submitted after this call run where ``choice`` says; a running job stays where it is.
        (The worker takes requests in the order they were sent, so this orders with submit().)"""
        self._use_compute_on_worker.emit(choice)

    @property
    def busy(self) -> bool:
        return bool(self._tokens)

    @property
    def current_job(self) -> int | None:
        return self._current

    def submit(self, request: Request) -> int:
        """Queue ``request``; a job still running is cancelled, since the new one replaces it."""
        for token in self._tokens.values():
            token.cancel()
        job_id = next(self._ids)
        token = CancelToken()
        was_busy = self.busy
        self._tokens[job_id] = token
        self._current = job_id
        self._run_on_worker.emit(job_id, request, token)
        self.job_started.emit(job_id, request)
        if not was_busy:
            self.busy_changed.emit(True)
        return job_id

    @Slot()
    def cancel(self) -> None:
        for token in self._tokens.values():
            token.cancel()

    @Slot()
    def stop_and_keep(self) -> None:
        """End the current job early; it finishes with what it has (a job that cannot keep a
        partial result is cancelled). Jobs it replaced were cancelled already."""
        if self._current is not None:
            self._tokens[self._current].stop_and_keep()

    @Slot()
    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Cancel everything and stop the thread. Never terminate(): it can corrupt torch's state."""
        self.cancel()
        stop_worker_thread(self._thread, timeout_ms)

    def _end(self, job_id: int) -> None:
        self._tokens.pop(job_id, None)
        if job_id == self._current:
            self._current = None
        if not self.busy:
            self.busy_changed.emit(False)

    @Slot(str)
    def _on_ready(self, message: str) -> None:
        self.engine_ready.emit(message)

    @Slot(int, object)
    def _on_progress(self, job_id: int, progress: Progress) -> None:
        if job_id == self._current and not self._tokens[job_id].cancelled:
            self.progress.emit(job_id, progress)

    @Slot(int, object)
    def _on_finished(self, job_id: int, result: Result) -> None:
        self._end(job_id)
        self.finished.emit(job_id, result)

    @Slot(int, str)
    def _on_failed(self, job_id: int, message: str) -> None:
        self._end(job_id)
        self.failed.emit(job_id, message)

    @Slot(int)
    def _on_cancelled(self, job_id: int) -> None:
        self._end(job_id)
        self.cancelled.emit(job_id)
