"""The replicas that run jobs: each holds one core Engine (so loaded models stay between jobs)
and streams a job's progress back to the ingress as it happens.

Cancel and Stop & Keep reach a job through a small ``CancelBoard`` actor: the ingress writes what
was asked for, and the replica running the job (whichever of several it is) reads it a few times
a second and sets the job's CancelToken, which the pipeline polls through its RunContext.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
from typing import Any, Iterator

import numpy as np
import ray
from ray import serve

from genart_core.api import Cancelled, CancelToken, GenArtError, Progress, Request
from genart_core.engine import Engine
from genart_core.server.path_policy import job_folder, with_attached_images

log = logging.getLogger(__name__)

# How often a running job looks for a Cancel or Stop & Keep: well inside the 1 s a person waits.
CANCEL_POLL_SECONDS = 0.1


@ray.remote(num_cpus=0)
class CancelBoard:
    """What was asked of each running job: "cancel", "stop" (Stop & Keep), or nothing."""

    def __init__(self) -> None:
        self._asked: dict[str, str] = {}

    def ask(self, job_id: str, what: str) -> None:
        # A Cancel after Stop & Keep still throws the work away; a Stop after Cancel changes nothing.
        if self._asked.get(job_id) != "cancel":
            self._asked[job_id] = what

    def asked(self, job_id: str) -> str:
        return self._asked.get(job_id, "")

    def forget(self, job_id: str) -> None:
        self._asked.pop(job_id, None)


# One job at a time per replica, as the engine is built for (its models and torch threads are
# shared); more jobs wait in Serve's queue. Short graceful shutdown: see GenArtIngress.
@serve.deployment(name="EngineWorker", max_ongoing_requests=1, graceful_shutdown_timeout_s=1)
class EngineWorker:
    def __init__(self) -> None:
        self.engine = Engine()

    def info(self) -> dict[str, Any]:
        """The device and the models this replica can use (for GET /v1/info)."""
        from genart_core import device, sd_models
        from genart_core.weights import available_models

        return {
            "device": device.describe(),
            "models": [{"kind": m.kind, "name": m.name, "status": m.status} for m in available_models()],
            "diffusion_models": [{"key": s.key, "label": s.label, "kind": s.kind} for s in sd_models.list_models()],
        }

    def run(self, job_id: str, request: Request, images: dict[str, np.ndarray], board: Any) -> Iterator[tuple[str, Any]]:
        """Yields ("progress", (Progress, made_at)) while the job runs, then one of ("result", Result),
        ("cancelled", None) or ("failed", message)."""
        events: queue.Queue = queue.Queue()
        token = CancelToken()
        # Only jobs with attached images need a folder (a replica stopped mid-job cannot remove it).
        folder = job_folder() if images else None

        def report(progress: Progress) -> None:
            events.put(("progress", (progress, time.time())))

        def work() -> None:
            try:
                prepared = with_attached_images(request, images, folder)
                events.put(("result", self.engine.run(prepared, report, token)))
            except Cancelled:
                events.put(("cancelled", None))
            except GenArtError as exc:
                events.put(("failed", str(exc)))
            except Exception as exc:  # the replica must outlive any job
                log.exception("Job %s failed", job_id)
                events.put(("failed", f"The job failed on the server ({type(exc).__name__}: {exc})."))

        def watch_for_cancel() -> None:
            # On its own thread, so the board's round trips never hold back a progress event.
            while not ended.wait(CANCEL_POLL_SECONDS):
                try:
                    asked = ray.get(board.asked.remote(job_id))
                except ray.exceptions.RayError:
                    asked = "cancel"  # the board went with the ingress: no one waits for this job
                if asked == "cancel":
                    token.cancel()
                elif asked == "stop":
                    token.stop_and_keep()

        ended = threading.Event()
        thread = threading.Thread(target=work, name=f"job-{job_id}", daemon=True)
        watcher = threading.Thread(target=watch_for_cancel, name=f"job-{job_id}-cancel", daemon=True)
        thread.start()
        watcher.start()
        try:
            while True:
                kind, value = events.get()
                yield kind, value
                if kind != "progress":
                    return
        finally:
            # Also reached when the ingress went away and the stream was dropped: no one to report to.
            token.cancel()
            ended.set()
            thread.join(timeout=5)
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
