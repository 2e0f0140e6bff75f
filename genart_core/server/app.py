"""The GenArt server as a Ray Serve application: an HTTP ingress holding the job table, in front
of ``EngineWorker`` replicas that run the jobs (replicas and GPUs are deployment options).

HTTP API (every route but /v1/health needs ``Authorization: Bearer <token>``):
  GET  /v1/health                  {"ok": true}
  GET  /v1/info                    version, the workers' device and models
  POST /v1/jobs                    {"request": {"type", "fields"}, "files": {path: image}} -> {"job": id}
  GET  /v1/jobs/{id}/events?after=N   JSON lines: progress (with a PNG preview), "alive" every
                                   half second, then one of finished / failed (message) / cancelled
  POST /v1/jobs/{id}/cancel        throw the work away
  POST /v1/jobs/{id}/stop          Stop & Keep: end early, keep what there is
  GET  /v1/jobs/{id}/result        images (PNG) with their generation parameters
"""

# No `from __future__ import annotations` here: FastAPI reads the route methods' annotations at
# run time to tell the HTTP request object from query parameters.
import asyncio
import hmac
import logging
import time
from pathlib import Path
from typing import Any, AsyncIterator

from fastapi import FastAPI, HTTPException, Request as HttpRequest
from fastapi.responses import StreamingResponse
from ray import serve
from ray.serve.handle import DeploymentHandle

from genart_core import __version__
from genart_core.api import GenArtError
from genart_core.server import path_policy, protocol
from genart_core.server.jobs import Job, JobTable
from genart_core.server.worker import CancelBoard, EngineWorker
from genart_core.validate import parse_json

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 0.5
INFO_WAIT_SECONDS = 3.0
FIRST_INFO_WAIT_SECONDS = 30.0
# No unauthenticated /docs or /openapi.json: the README documents the API.
api = FastAPI(title="GenArt server", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)


# Event streams last as long as their jobs, so waiting for them on shutdown (Serve's default
# graceful period is 20 s) would only delay the moment clients learn the server is gone.
@serve.deployment(name="GenArtIngress", num_replicas=1, ray_actor_options={"num_cpus": 0}, graceful_shutdown_timeout_s=1)
@serve.ingress(api)
class GenArtIngress:
    """One replica: the job table must be in one place for a job's later calls to find it."""

    def __init__(self, worker: DeploymentHandle, token: str, allow_paths: str | None, limits: protocol.Limits) -> None:
        self.worker = worker
        self.token = token.encode()
        self.allow_paths = Path(allow_paths) if allow_paths else None
        self.limits = limits
        self.jobs = JobTable()
        self.board = CancelBoard.remote()
        self.worker_info: dict[str, Any] = {}  # the last answer of a worker to info()
        self.following: set[asyncio.Task] = set()

    def _authorise(self, http: HttpRequest) -> None:
        scheme, _, given = http.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), self.token):
            raise HTTPException(401, "A valid token is needed: send the header 'Authorization: Bearer <token>' "
                                "with the token the server printed when it started.", headers={"WWW-Authenticate": "Bearer"})

    def _job(self, http: HttpRequest, job_id: str) -> Job:
        self._authorise(http)
        job = self.jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"There is no job {job_id[:40]!r} on this server (finished jobs are kept for a while only).")
        return job

    @api.get("/v1/health")
    async def health(self) -> dict[str, Any]:
        return {"ok": True}

    @api.get("/v1/info")
    async def info(self, http: HttpRequest) -> dict[str, Any]:
        self._authorise(http)
        try:
            # Every replica may be busy with a job for minutes: then the last answer will do.
            # The first answer takes a while (the replica imports torch and measures its device).
            wait = INFO_WAIT_SECONDS if self.worker_info else FIRST_INFO_WAIT_SECONDS
            self.worker_info = {**await asyncio.wait_for(self.worker.info.remote(), wait), "busy": False}
        except asyncio.TimeoutError:
            if not self.worker_info:
                raise HTTPException(503, "Every engine replica is busy with a job; ask again when one is free.") from None
            self.worker_info["busy"] = True
        return {"server": "GenArt", "version": __version__, "running_jobs": len(self.jobs.running()), **self.worker_info}

    async def _read_body(self, http: HttpRequest) -> bytes:
        limit = self.limits.max_body_bytes
        declared = http.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise HTTPException(400, f"The request is {int(declared):,} bytes; this server takes at most {limit:,}. Send smaller images.")
        body = bytearray()
        async for chunk in http.stream():  # a client that lied about its length is cut off here
            body += chunk
            if len(body) > limit:
                raise HTTPException(400, f"The request is larger than {limit:,} bytes; this server takes no more. Send smaller images.")
        return bytes(body)

    @api.post("/v1/jobs")
    async def submit(self, http: HttpRequest) -> dict[str, str]:
        self._authorise(http)
        body = await self._read_body(http)
        try:
            payload = parse_json(body, "The request", max_bytes=self.limits.max_body_bytes)
            if not isinstance(payload, dict) or set(payload) - {"request", "files"}:
                raise protocol.ProtocolError('The body should be an object {"request": {...}, "files": {...}}.')
            # Decoding PNGs takes a while for big images: off the event loop, so streams keep flowing.
            request = await asyncio.to_thread(protocol.decode_request, payload.get("request"), self.limits)
            images = await asyncio.to_thread(protocol.decode_files, payload.get("files"), self.limits)
            path_policy.check_paths(request, images, self.allow_paths)
        except GenArtError as exc:
            raise HTTPException(400, str(exc)) from None
        job = self.jobs.new(type(request).__name__)
        stream = self.worker.options(stream=True).run.remote(job.id, request, images, self.board)
        # The loop keeps only a weak reference to a task: hold it until the job ends.
        task = asyncio.get_running_loop().create_task(self._follow(job, stream))
        self.following.add(task)
        task.add_done_callback(self.following.discard)
        log.info("Job %s: %s", job.id, job.kind)
        return {"job": job.id}

    async def _follow(self, job: Job, stream: Any) -> None:
        """Turns the worker's stream into the job's events (and its result)."""
        try:
            async for kind, value in stream:
                if kind == "progress":
                    progress, made_at = value
                    event = await asyncio.to_thread(protocol.encode_progress, progress, made_at)
                    job.add({**event, "stored_at": time.time()})  # for bench/remote.py's delay breakdown
                elif kind == "result":
                    job.result = await asyncio.to_thread(protocol.encode_result, value)
                    job.add({"event": "finished"})
                elif kind == "cancelled":
                    job.add({"event": "cancelled"})
                else:
                    job.add({"event": "failed", "message": value})
        except GenArtError as exc:  # a result the protocol cannot carry
            job.add({"event": "failed", "message": str(exc)})
        except Exception as exc:  # a worker that died mid-job fails the job, not the server
            log.exception("Job %s lost its worker", job.id)
            job.add({"event": "failed", "message": f"The server stopped while running the job: its worker ended ({type(exc).__name__})."})
        finally:
            if not job.end:
                job.add({"event": "failed", "message": "The worker ended the job without a result."})
            self.jobs.retire(job)
            self.board.forget.remote(job.id)

    @api.get("/v1/jobs/{job_id}/events")
    async def events(self, job_id: str, http: HttpRequest, after: int = -1) -> StreamingResponse:
        job = self._job(http, job_id)

        async def lines() -> AsyncIterator[str]:
            seen = after
            while True:
                changed = job.changed
                new = job.lines_after(seen)
                if new:
                    seen = job.next_seq - 1  # no await since lines_after: nothing was added between
                    yield "".join(new)
                    continue
                if job.end:
                    return
                try:
                    await asyncio.wait_for(changed.wait(), HEARTBEAT_SECONDS)
                except asyncio.TimeoutError:
                    # Lets a client tell a slow step from a server that went away.
                    yield f'{{"event": "alive", "at": {time.time()}}}\n'

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @api.post("/v1/jobs/{job_id}/cancel")
    async def cancel(self, job_id: str, http: HttpRequest) -> dict[str, bool]:
        job = self._job(http, job_id)
        if not job.end:
            await self.board.ask.remote(job.id, "cancel")
        return {"ok": True}

    @api.post("/v1/jobs/{job_id}/stop")
    async def stop(self, job_id: str, http: HttpRequest) -> dict[str, bool]:
        job = self._job(http, job_id)
        if not job.end:
            await self.board.ask.remote(job.id, "stop")
        return {"ok": True}

    @api.get("/v1/jobs/{job_id}/result")
    async def result(self, job_id: str, http: HttpRequest) -> dict[str, Any]:
        job = self._job(http, job_id)
        if job.result is None:
            state = job.end or "still running"
            raise HTTPException(409, f"Job {job_id} has no result ({state}).")
        return job.result


def build_app(token: str, replicas: int = 1, gpus_per_replica: float = 0.0, allow_paths: str | None = None,
              limits: protocol.Limits | None = None) -> Any:
    """The Serve application; scaling and GPU placement are the worker deployment's options."""
    worker = EngineWorker.options(num_replicas=replicas, ray_actor_options={"num_gpus": gpus_per_replica})
    return GenArtIngress.bind(worker.bind(), token, allow_paths, limits or protocol.Limits())
