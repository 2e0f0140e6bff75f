"""Runs instant-style jobs off the GUI thread, on a thread of their own.

Why not the InferenceController: it runs one job at a time and warms up torch, so an instant
result would wait behind a two-minute Stylise or a style being learned, and behind torch's
import at start. Instant jobs need neither torch nor the big queue: onnxruntime sessions load
here (warm_up) and stay in this worker's Engine cache; once the app has loaded torch, warm_up runs
again and loads our torch module where it is the faster runtime (desktop_app/start_order.py).

Slider moves and live strokes send many requests; only the newest matters. The runner keeps at
most one job on the worker and one preview waiting: a new preview replaces the waiting one (never
the running one, which finishes in a blink), and results of replaced previews are dropped. Kept
requests (Apply) are never replaced and always answered. No other job is cancelled from here.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import time
import traceback

from PySide6.QtCore import QObject, Signal, Slot

from desktop_app.worker_thread import start_worker_thread, stop_worker_thread
from genart_core.api import GenArtError, Result
from genart_core.requests.fast_style import FastStyleRequest

log = logging.getLogger(__name__)


class _InstantWorker(QObject):
    """Lives on the instant thread; owns its Engine, so the onnxruntime sessions stay loaded."""

    finished = Signal(int, object, float)  # request id, Result, seconds on the worker
    failed = Signal(int, str)  # request id, message for a person
    warmed = Signal(str)  # "" when the networks loaded, else what went wrong

    def __init__(self) -> None:
        super().__init__()
        self._engine = None
        # What a request for "auto" runs on here: the runtime of the newest warm-up. Not
        # resolve_backend at each request: once torch's import ends, the app's job worker goes on
        # warming up (torch._dynamo's import, ~1.7 s, holds the interpreter lock for much of it),
        # and our torch module, which needs the lock between operators, took 0.7-1.7 s a pass
        # beside it where onnxruntime, which releases it for the whole run, took 0.2-0.6 s. The
        # app warms this worker up again once the job worker is ready (start_order.py).
        self._auto = "onnxruntime"

    def _engine_here(self):
        """The worker's Engine, made on the worker thread at its first job (or warm-up).

        Unlike the job worker, this thread keeps the GUI thread's priority: a lower one (nice +5)
        lost the CPU to every other program too, not only to the GUI thread. With two busy
        processes beside the app on the 2-core CPU, Live's stroke end -> restyled canvas took
        0.71/1.33 s lowered against 0.34/0.36 s not, and launch -> first instant result 12.3/14.1 s
        against 6.2/7.0 s; with one, 6.6/7.1 s against 3.6/4.2 s at launch, Live level. The GUI
        thread's stalls did not grow (median of per-stroke longest stalls 4–8 ms against 4–18 ms;
        bench/instant_gui.py): onnxruntime's pool no longer spins between operators
        (onnx_runtime.session), and the job worker, whose torch threads do run for minutes, stays
        below the GUI thread and below this one."""
        if self._engine is None:
            from genart_core.engine import Engine  # imports no torch

            self._engine = Engine()
        return self._engine

    @Slot()
    def warm_up(self) -> None:
        """Load the networks of the runtime "auto" picks now, before they are needed (a fraction of
        a second), and run requests for "auto" on it from now on."""
        try:
            from genart_core.api import CancelToken
            from genart_core.engine import RunContext
            from genart_core.pipelines.fast_style import networks_for, resolve_backend

            backend = resolve_backend("auto")
            networks_for(RunContext(self._engine_here(), lambda _p: None, CancelToken()), backend)
            self._auto = backend
            self.warmed.emit("")
        except GenArtError as exc:
            self.warmed.emit(str(exc))
        except Exception as exc:  # a broken install shows up as a message, never a crash
            log.exception("The instant style networks could not load")
            self.warmed.emit(f"The instant style networks could not load: {type(exc).__name__}: {exc}")

    @Slot(int, object)
    def run_job(self, request_id: int, request: FastStyleRequest) -> None:
        started = time.perf_counter()
        if request.backend == "auto":
            request = dataclasses.replace(request, backend=self._auto)
        try:
            result = self._engine_here().run(request)
        except GenArtError as exc:
            self.failed.emit(request_id, str(exc))
        except MemoryError:
            self.failed.emit(request_id, "Not enough memory for the instant style at this size.")
        except Exception as exc:
            log.error("Instant style job failed:\n%s", traceback.format_exc())
            self.failed.emit(request_id, f"The instant style failed: {type(exc).__name__}: {exc}")
        else:
            self.finished.emit(request_id, result, time.perf_counter() - started)


class InstantStyleRunner(QObject):
    """The GUI-thread handle on the instant worker; all its signals arrive on the GUI thread."""

    result_ready = Signal(int, object, object)  # request id, FastStyleRequest, Result (newest preview or kept)
    failed = Signal(int, str)  # request id, message
    warmed = Signal(str)

    _run_on_worker = Signal(int, object)
    _warm_up_worker = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._running: tuple[int, FastStyleRequest] | None = None
        self._waiting: tuple[int, FastStyleRequest] | None = None  # the newest preview not started yet
        self._kept: list[tuple[int, FastStyleRequest]] = []  # kept requests not started yet
        self._kept_ids: set[int] = set()
        self._newest = 0
        self.last_seconds = 0.0  # the newest finished job's time on the worker (bench, status bar)
        self._worker = _InstantWorker()
        self._thread = start_worker_thread(self._worker, "genart-instant-style", self.shutdown)
        self._run_on_worker.connect(self._worker.run_job)
        self._warm_up_worker.connect(self._worker.warm_up)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.warmed.connect(self.warmed)

    def warm_up(self) -> None:
        self._warm_up_worker.emit()

    @property
    def busy(self) -> bool:
        return self._running is not None

    def submit(self, request: FastStyleRequest, kept: bool = False) -> int:
        """Run ``request`` as soon as the worker is free. A preview (``kept=False``) replaces the
        preview still waiting; a kept request waits its turn and is always answered."""
        request_id = next(self._ids)
        if kept:
            self._kept_ids.add(request_id)
        else:
            self._newest = request_id
        if self._running is None:
            self._start(request_id, request)
        elif kept:
            self._kept.append((request_id, request))
        else:
            self._waiting = (request_id, request)
        return request_id

    def forget(self) -> None:
        """Drop the waiting preview and the results of every preview made so far (the preview was discarded)."""
        self._waiting = None
        self._newest = next(self._ids)

    def _start(self, request_id: int, request: FastStyleRequest) -> None:
        self._running = (request_id, request)
        self._run_on_worker.emit(request_id, request)

    def _next(self) -> tuple[int, FastStyleRequest] | None:
        """The job that just ended; starts the next one (kept requests first)."""
        ended, self._running = self._running, None
        if self._kept:
            self._start(*self._kept.pop(0))
        elif self._waiting is not None:
            waiting, self._waiting = self._waiting, None
            self._start(*waiting)
        return ended

    def _wanted(self, request_id: int) -> bool:
        if request_id in self._kept_ids:
            self._kept_ids.discard(request_id)
            return True
        return request_id == self._newest

    @Slot(int, object, float)
    def _on_finished(self, request_id: int, result: Result, seconds: float) -> None:
        ended = self._next()
        if ended is not None and self._wanted(request_id):
            self.last_seconds = seconds
            self.result_ready.emit(request_id, ended[1], result)

    @Slot(int, str)
    def _on_failed(self, request_id: int, message: str) -> None:
        self._next()
        if self._wanted(request_id):
            self.failed.emit(request_id, message)

    @Slot()
    def shutdown(self, timeout_ms: int = 5_000) -> None:
        """Instant jobs are short: let the running one end, then stop the thread (never terminate())."""
        self._waiting = None
        stop_worker_thread(self._thread, timeout_ms)
