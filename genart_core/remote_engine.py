"""A client of the GenArt server with the same call as the local Engine:
``RemoteEngine(url, token).run(request, on_progress, cancel) -> Result``.

Standard library HTTP only (no ray, no requests), so the app and CLI use a server without
installing Ray. Every wait has a timeout: the server streams an "alive" line twice a second, so a
stream silent for ``stall_seconds`` means the server is gone, and the job fails with a message
saying so instead of hanging.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import urllib.parse
from typing import Any

from genart_core.api import Cancelled, CancelToken, GenArtError, ProgressCallback, Request, Result
from genart_core.server import path_policy, protocol
from genart_core.validate import parse_json

log = logging.getLogger(__name__)

# Results and previews coming back: larger than any honest one, small enough to bound memory.
MAX_ANSWER_BYTES = 512_000_000
MAX_IMAGE_PIXELS = 64_000_000


class ServerError(GenArtError):
    """The server could not be reached, refused a request, or went away; the message says which."""


class ServerUnreachable(ServerError):
    """The server could not be reached or stopped answering: the same job may run elsewhere
    (a refused request or a job that failed on the server would fail here too)."""


class RemoteEngine:
    def __init__(self, url: str, token: str, timeout: float = 30.0, stall_seconds: float = 10.0) -> None:
        parts = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise GenArtError(f"“{url}” is not a server address; use http://HOST:PORT.")
        self.url = f"{parts.scheme}://{parts.netloc}"
        self._parts = parts
        self._prefix = parts.path.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.stall_seconds = stall_seconds

    # ---- HTTP -----------------------------------------------------------------------------------

    def _connect(self, timeout: float) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
        return cls(self._parts.hostname, self._parts.port, timeout=timeout)

    def _open(self, method: str, path: str, body: bytes | None = None, timeout: float | None = None):
        connection = self._connect(timeout or self.timeout)
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, self._prefix + path, body=body, headers=headers)
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise ServerUnreachable(f"Could not reach the GenArt server at {self.url} ({_reason(exc)}). Is it running?") from None
        if response.status != 200:
            detail = _detail(response)
            connection.close()
            if response.status == 401:
                raise ServerError(f"The server at {self.url} refused the token: {detail}")
            raise ServerError(f"The server at {self.url} refused the request: {detail}")
        return connection, response

    def _call(self, method: str, path: str, body: bytes | None = None) -> Any:
        connection, response = self._open(method, path, body)
        try:
            data = response.read(MAX_ANSWER_BYTES + 1)
        except (OSError, http.client.HTTPException) as exc:
            raise ServerUnreachable(f"The server at {self.url} stopped answering ({_reason(exc)}).") from None
        finally:
            connection.close()
        return parse_json(data, f"The answer of {self.url}", max_bytes=MAX_ANSWER_BYTES, max_depth=64)

    # ---- the Engine call --------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """The server's version, device and models."""
        return self._call("GET", "/v1/info")

    def submit(self, request: Request) -> str:
        files = {path: protocol.encode_png(image) for path, image in path_policy.local_images(request).items()}
        body = json.dumps({"request": protocol.encode_request(request), "files": files}).encode()
        return self._call("POST", "/v1/jobs", body)["job"]

    def run(self, request: Request, on_progress: ProgressCallback | None = None, cancel: CancelToken | None = None) -> Result:
        cancel = cancel or CancelToken()
        cancel.raise_if_cancelled()
        job = self.submit(request)
        finished = threading.Event()
        watcher = threading.Thread(target=self._forward_cancel, args=(job, cancel, finished), daemon=True)
        watcher.start()
        try:
            end = self._follow(job, on_progress)
        except BaseException:
            # Ctrl+C, a failing progress callback, a lost stream: the job must not run on unwatched.
            self._cancel_quietly(job)
            raise
        finally:
            finished.set()
        if end["event"] == "cancelled":
            raise Cancelled()
        if end["event"] == "failed":
            raise ServerError(str(end.get("message") or "The job failed on the server."))
        return protocol.decode_result(self._call("GET", f"/v1/jobs/{job}/result"), MAX_IMAGE_PIXELS)

    def _cancel_quietly(self, job: str) -> None:
        try:
            self._call("POST", f"/v1/jobs/{job}/cancel")
        except GenArtError as exc:
            log.info("Could not cancel job %s on the server: %s", job, exc)

    def _forward_cancel(self, job: str, cancel: CancelToken, finished: threading.Event) -> None:
        """Passes Cancel or Stop & Keep to the server as soon as it is asked for (a Cancel may
        still follow a Stop & Keep; nothing follows a Cancel)."""
        sent = ""
        while sent != "cancel" and not finished.wait(0.02):
            wanted = "" if not cancel.cancelled else ("stop" if cancel.keep_partial else "cancel")
            if wanted and wanted != sent:
                try:
                    self._call("POST", f"/v1/jobs/{job}/{wanted}")
                except GenArtError as exc:
                    log.warning("Could not pass %s on to the server: %s", wanted, exc)
                sent = wanted

    def _follow(self, job: str, on_progress: ProgressCallback | None) -> dict[str, Any]:
        """Reads the job's event stream until its end event; returns that event."""
        connection, response = self._open("GET", f"/v1/jobs/{job}/events", timeout=self.stall_seconds)
        try:
            while True:
                try:
                    line = response.readline(MAX_ANSWER_BYTES)
                except (OSError, http.client.HTTPException) as exc:
                    kind = "nothing for %.0f s" % self.stall_seconds if isinstance(exc, socket.timeout) else _reason(exc)
                    raise ServerUnreachable(f"The server at {self.url} stopped answering during the job ({kind}).") from None
                if not line:
                    raise ServerUnreachable(f"The server at {self.url} stopped answering during the job (the connection closed).")
                event = parse_json(line, "An event from the server", max_bytes=MAX_ANSWER_BYTES)
                if not isinstance(event, dict):
                    raise ServerError(f"The server at {self.url} sent something that is not a job event.")
                kind = event.get("event")
                if kind == "progress" and on_progress is not None:
                    on_progress(protocol.decode_progress(event, MAX_IMAGE_PIXELS))
                elif kind in ("finished", "failed", "cancelled"):
                    return event
        finally:
            connection.close()


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _detail(response: http.client.HTTPResponse) -> str:
    """The server's human message ({"detail": ...}) or the HTTP status."""
    try:
        body = json.loads(response.read(100_000) or b"{}")
        detail = body.get("detail") if isinstance(body, dict) else None
    except (OSError, ValueError, http.client.HTTPException):
        detail = None
    return detail if isinstance(detail, str) else f"HTTP {response.status} {response.reason}"
