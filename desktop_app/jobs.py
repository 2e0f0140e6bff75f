"""A job of the app's queue: one request, where its result goes, its state and its own signals.

The InferenceController (desktop_app/inference.py) makes a Job for each submitted request and
drives its state; panels keep the Job they care about and listen to its signals, instead of
keeping tables of job ids. Everything here lives on the GUI thread: the worker never sees a Job,
only its id, request and cancel token.
"""

from __future__ import annotations

import enum
import itertools
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot

from desktop_app.compute import ComputeChoice
from genart_core.api import CancelToken, Progress, Request, Result
from genart_core.requests import generative
from genart_core.requests.diffusion import TextToImageRequest
from genart_core.requests.fast_style import LearnStyleRequest, RefineRequest
from genart_core.requests.selftest import SelfTestRequest
from genart_core.requests.style import StyleTransferRequest


class JobKind(enum.Enum):
    DIFFUSION = "diffusion"
    STYLE_TRANSFER = "style transfer"
    REFINE = "refine"
    LEARN_STYLE = "learn style"
    SAMPLE = "GAN/VAE sample"
    DECODE = "GAN/VAE slider"
    INTERPOLATE = "GAN/VAE strip"
    RECONSTRUCT = "VAE reconstruction"
    TRAINING = "training"
    SELF_TEST = "self-test"
    OTHER = "other"


# Checked in order: the first class a request is an instance of names its kind.
_KINDS: tuple[tuple[type, JobKind], ...] = (
    (TextToImageRequest, JobKind.DIFFUSION),
    (StyleTransferRequest, JobKind.STYLE_TRANSFER),
    (RefineRequest, JobKind.REFINE),
    (LearnStyleRequest, JobKind.LEARN_STYLE),
    (generative.SampleRequest, JobKind.SAMPLE),
    (generative.DecodeRequest, JobKind.DECODE),
    (generative.InterpolateRequest, JobKind.INTERPOLATE),
    (generative.VaeReconstructRequest, JobKind.RECONSTRUCT),
    (generative.TrainRequest, JobKind.TRAINING),
    (SelfTestRequest, JobKind.SELF_TEST),
)


def kind_of(request: Request) -> JobKind:
    return next((kind for request_type, kind in _KINDS if isinstance(request, request_type)), JobKind.OTHER)


class JobState(enum.Enum):
    QUEUED = "Waiting"
    RUNNING = "Running"
    FINISHED = "Finished"
    FAILED = "Failed"
    CANCELLED = "Cancelled"


class Destination(enum.Enum):
    CANVAS = "canvas"  # the first image becomes a layer (in ``region``) and every image goes to the history
    PANEL = "panel"  # the panel that submitted it shows the result; nothing reaches the canvas by itself


_ids = itertools.count(1)


class Job(QObject):
    """Each signal carries the job itself first, so one slot can serve several jobs. A job is
    queued before submit() returns it, so there is no "queued" signal of its own to miss: it starts
    in the QUEUED state, and the controller's queue_changed tells the Queue panel."""

    started = Signal(object)  # Job
    progress = Signal(object, object)  # Job, Progress
    finished = Signal(object, object)  # Job, Result
    failed = Signal(object, str)  # Job, message for a person
    cancelled = Signal(object)  # Job
    cancel_requested = Signal(object)  # Job; the controller that queued it answers

    def __init__(
        self,
        request: Request,
        name: str,
        destination: Destination = Destination.CANVAS,
        region: tuple[int, int, int, int] | None = None,
        replaces: str | None = None,
        compute: ComputeChoice | None = None,
    ) -> None:
        super().__init__()
        self.id = next(_ids)  # for logs; jobs are compared by identity
        self.request = request
        self.kind = kind_of(request)
        self.name = name
        self.destination = destination
        self.region = region
        # Jobs with the same key replace one another (a slider's newest position wins); None: never replaced.
        self.replaces = replaces
        self.compute = compute or ComputeChoice()  # where it runs: this computer or a server
        self.server_lost = False  # it failed because its server could not be reached or went away
        # A panel that shows this job's result itself sets this: called with the job that runs the
        # same request again (on this computer, after its server was lost), so the panel follows it.
        self.follow_rerun: Callable[[Job], None] | None = None
        self.state = JobState.QUEUED
        self.token = CancelToken()
        self.last_progress: Progress | None = None
        self.result: Result | None = None
        self.error = ""

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind.value} {self.state.name}>"

    @property
    def active(self) -> bool:
        """Queued or running: it has not ended yet."""
        return self.state in (JobState.QUEUED, JobState.RUNNING)

    @Slot()
    def cancel(self) -> None:
        """Cancel this job only, waiting or running."""
        if self.active:
            self.cancel_requested.emit(self)


class JobGroup(QObject):
    """The jobs one panel started that have not ended yet, so its Cancel button cancels its own
    jobs and nothing else."""

    active_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: list[Job] = []

    def add(self, job: Job) -> None:
        if not job.active:
            return
        was_active = bool(self._jobs)
        self._jobs.append(job)
        for ended in (job.finished, job.failed, job.cancelled):
            ended.connect(self._forget)
        if not was_active:
            self.active_changed.emit(True)

    @Slot()
    def cancel_all(self) -> None:
        for job in list(self._jobs):
            job.cancel()

    @Slot(object)
    def _forget(self, job: Job, *_outcome: object) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
            if not self._jobs:
                self.active_changed.emit(False)
