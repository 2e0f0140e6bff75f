"""Runs core jobs off the GUI thread: one worker on one long-lived QThread, fed by a queue.

The controller lives on the GUI thread and keeps the queue: submit() returns a Job that waits
its turn; one job runs on the worker at a time and the next starts when it ends. A new job never
cancels another, except one that declares the same ``replaces`` key (slider previews: only the
newest position matters). Cancel and Stop & Keep set the running job's token directly from the
GUI thread (a queued slot would not run while the worker is busy); a waiting job is simply taken
out of the queue. The worker's signals reach the controller's slots queued, on the GUI thread;
progress of a job asked to end is dropped.
"""

from __future__ import annotations

import logging
import traceback

from PySide6.QtCore import QObject, Signal, Slot

from desktop_app.compute import ComputeChoice, make_engine
from desktop_app.job_names import describe_job
from desktop_app.jobs import Destination, Job, JobState
from desktop_app.worker_thread import lower_this_threads_priority, start_worker_thread, stop_worker_thread
from genart_core.api import Cancelled, CancelToken, GenArtError, Progress, Request, Result
from genart_core.remote_engine import ServerUnreachable

log = logging.getLogger(__name__)


class _Worker(QObject):
    """Lives on the worker thread. Owns the Engine, so loaded models stay on that thread."""

    ready = Signal(str)  # a one-line description of the compute device
    progress = Signal(int, object)  # job id, Progress
    finished = Signal(int, object)  # job id, Result
    failed = Signal(int, str, bool)  # job id, message for a person, whether its server could not be reached or went away
    cancelled = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        # One engine per place jobs run (this computer, a server), so switching back and forth
        # keeps loaded models.
        self._engines: dict[ComputeChoice, object] = {}

    def _engine_for(self, compute: ComputeChoice):
        if compute not in self._engines:
            if not self._engines:  # the first engine, made on this thread: below the GUI thread from now on
                lower_this_threads_priority()
            engine, message = make_engine(compute)
            self._engines[compute] = engine
            self.ready.emit(message)
        return self._engines[compute]

    @Slot(object)
    def warm_up(self, compute: ComputeChoice) -> None:
        """Import torch and friends (or reach the server) here, after the window is on screen (they take seconds)."""
        try:
            self._engine_for(compute)
        except Exception as exc:  # a broken install must show up as a message, not a crash
            log.exception("Could not load the compute engine")
            self.ready.emit(f"The compute engine could not load: {exc}")

    @Slot(int, object, object, object)
    def run_job(self, job_id: int, request: Request, token: CancelToken, compute: ComputeChoice) -> None:
        if token.cancelled:
            self.cancelled.emit(job_id)
            return
        try:
            result = self._engine_for(compute).run(request, lambda p: self.progress.emit(job_id, p), token)
        except Cancelled:
            self.cancelled.emit(job_id)
        except ServerUnreachable as exc:
            self.failed.emit(job_id, str(exc), True)
        except GenArtError as exc:
            self.failed.emit(job_id, str(exc), False)
        except MemoryError:
            self.failed.emit(job_id, "Not enough memory for this job. Try a smaller size or fewer images.", False)
        except Exception as exc:
            log.error("Job %d failed:\n%s", job_id, traceback.format_exc())
            self.failed.emit(job_id, f"The job failed: {type(exc).__name__}: {exc}", False)
        else:
            self.finished.emit(job_id, result)


class InferenceController(QObject):
    """The GUI's handle on background work and its queue. All signals are emitted on the GUI
    thread; each job also emits its own (desktop_app/jobs.py) just before the controller's."""

    engine_ready = Signal(str)
    job_started = Signal(object)  # Job
    progress = Signal(object, object)  # Job, Progress (only while it is not asked to end)
    finished = Signal(object, object)  # Job, Result
    failed = Signal(object, str)  # Job, message (job.server_lost: its server could not be reached or went away)
    cancelled = Signal(object)  # Job
    busy_changed = Signal(bool)  # a job runs or waits
    queue_changed = Signal()  # a job was added, started, ended, asked to end or moved

    _run_on_worker = Signal(int, object, object, object)
    _warm_up_worker = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._waiting: list[Job] = []
        self._running: Job | None = None
        self._compute = ComputeChoice()  # where jobs run unless submit() says otherwise
        self._worker = _Worker()
        self._thread = start_worker_thread(self._worker, "genart-inference", self.shutdown)
        self._run_on_worker.connect(self._worker.run_job)
        self._warm_up_worker.connect(self._worker.warm_up)
        self._worker.ready.connect(self._on_ready)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.cancelled.connect(self._on_cancelled)

    def warm_up(self) -> None:
        """Start loading torch (or reaching the server) on the worker thread; engine_ready says when it is done."""
        self._warm_up_worker.emit(self._compute)

    def use_compute(self, choice: ComputeChoice) -> None:
        """Jobs submitted after this call run where ``choice`` says; jobs already queued or running
        stay where they were sent."""
        self._compute = choice

    @property
    def busy(self) -> bool:
        return self._running is not None or bool(self._waiting)

    @property
    def current_job(self) -> Job | None:
        return self._running

    @property
    def waiting_jobs(self) -> tuple[Job, ...]:
        """The jobs waiting their turn, the next one first."""
        return tuple(self._waiting)

    def submit(
        self,
        request: Request,
        *,
        name: str | None = None,
        destination: Destination = Destination.CANVAS,
        region: tuple[int, int, int, int] | None = None,
        replaces: str | None = None,
        compute: ComputeChoice | None = None,
    ) -> Job:
        """Queue ``request``; it runs when the jobs before it have ended, where ``compute`` says
        (default: the current choice). A job with a ``replaces`` key cancels the earlier job with
        the same key (waiting or running), and only that one."""
        job = Job(request, name or describe_job(request, str), destination, region, replaces, compute or self._compute)
        job.cancel_requested.connect(self.cancel_job)
        was_busy = self.busy
        if replaces is not None:
            for older in [self._running, *self._waiting]:
                if older is not None and older.replaces == replaces:
                    self.cancel_job(older)
        self._waiting.append(job)
        self._start_next()
        self.queue_changed.emit()
        if not was_busy:
            self.busy_changed.emit(True)
        return job

    @Slot(object)
    def cancel_job(self, job: Job) -> None:
        """A waiting job leaves the queue now; a running one is asked to end (its cancelled signal
        follows when the worker has stopped)."""
        if job in self._waiting:
            self._waiting.remove(job)
            self._end(job, JobState.CANCELLED)
        elif job is self._running and not job.token.cancelled:
            job.token.cancel()
            self.queue_changed.emit()

    @Slot()
    def cancel_current(self) -> None:
        """Cancel the running job only; the waiting ones stay in the queue."""
        if self._running is not None:
            self.cancel_job(self._running)

    @Slot()
    def cancel_all(self) -> None:
        """Empty the queue and cancel the running job."""
        for job in [*self._waiting, self._running]:
            if job is not None:
                self.cancel_job(job)

    @Slot()
    def stop_and_keep(self) -> None:
        """End the running job early; it finishes with what it has (a job that cannot keep a
        partial result is cancelled). Waiting jobs are not touched."""
        if self._running is not None:
            self._running.token.stop_and_keep()
            self.queue_changed.emit()

    def move(self, job: Job, offset: int) -> None:
        """Move a waiting job ``offset`` places towards the front (negative) or back of the queue."""
        if job not in self._waiting:
            return
        index = self._waiting.index(job)
        target = max(0, min(len(self._waiting) - 1, index + offset))
        if target != index:
            self._waiting.insert(target, self._waiting.pop(index))
            self.queue_changed.emit()

    @Slot()
    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Cancel everything and stop the thread. Never terminate(): it can corrupt torch's state."""
        self.cancel_all()
        stop_worker_thread(self._thread, timeout_ms)

    def _start_next(self) -> None:
        if self._running is not None or not self._waiting:
            return
        job = self._running = self._waiting.pop(0)
        job.state = JobState.RUNNING
        self._run_on_worker.emit(job.id, job.request, job.token, job.compute)
        job.started.emit(job)
        self.job_started.emit(job)

    def _end(self, job: Job, state: JobState, outcome: object = None) -> None:
        """Record how ``job`` ended, tell its listeners, then start the next job. The listeners
        hear of the end before the next start, so a status bar reads in the order things happen;
        the window's generic word ("Done") comes before the job's own listeners, so a panel's more
        specific message ("Learned …", "the upscaled picture is in the History panel") stands."""
        job.state = state
        if job is self._running:
            self._running = None
        if state is JobState.FINISHED:
            job.result = outcome
            self.finished.emit(job, outcome)
            job.finished.emit(job, outcome)
        elif state is JobState.FAILED:
            job.error = outcome
            self.failed.emit(job, outcome)
            job.failed.emit(job, outcome)
        else:
            self.cancelled.emit(job)
            job.cancelled.emit(job)
        self._start_next()
        self.queue_changed.emit()
        if not self.busy:
            self.busy_changed.emit(False)

    def _running_job(self, job_id: int) -> Job | None:
        """The running job the worker reports on; None for a report about any other (none expected)."""
        if self._running is not None and self._running.id == job_id:
            return self._running
        log.warning("The worker reported on job %d, which is not the running job", job_id)
        return None

    @Slot(str)
    def _on_ready(self, message: str) -> None:
        self.engine_ready.emit(message)

    @Slot(int, object)
    def _on_progress(self, job_id: int, progress: Progress) -> None:
        job = self._running
        if job is not None and job.id == job_id and not job.token.cancelled:
            job.last_progress = progress
            job.progress.emit(job, progress)
            self.progress.emit(job, progress)

    @Slot(int, object)
    def _on_finished(self, job_id: int, result: Result) -> None:
        job = self._running_job(job_id)
        if job is not None:
            self._end(job, JobState.FINISHED, result)

    @Slot(int, str, bool)
    def _on_failed(self, job_id: int, message: str, server_lost: bool) -> None:
        job = self._running_job(job_id)
        if job is not None:
            job.server_lost = server_lost
            self._end(job, JobState.FAILED, message)

    @Slot(int)
    def _on_cancelled(self, job_id: int) -> None:
        job = self._running_job(job_id)
        if job is not None:
            self._end(job, JobState.CANCELLED)
