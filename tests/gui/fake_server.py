"""A small GenArt server for GUI tests: the real wire protocol (genart_core.server.protocol) on
``http.server``, without Ray. The real Ray Serve server is tested in tests/server; here the app's
own client (RemoteEngine) talks to this one, so a test sees which jobs went to a server.

Every job's "pipeline" paints a flat colour at the request's size, after one progress event with
a preview. With ``die_mid_job`` set, the event stream closes after that progress event, as when
the server is killed mid-job.
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from genart_core import __version__
from genart_core.api import GenerationInfo, Progress, Result
from genart_core.server import protocol

SERVER_COLOR = (10, 200, 30)
SERVER_MODELS = [
    {"key": "offline:tiny-diffusion", "label": "tiny-diffusion on the server", "kind": "offline"},  # also on this computer
    {"key": "offline:server-only", "label": "Model only the server has", "kind": "offline"},
]
SERVER_GAN_VAE_MODELS = [
    {"kind": "gan", "name": "server-gan", "status": "trained by you"},
    {"kind": "vae", "name": "vae-digits", "status": "bundled"},
    {"kind": "stable-diffusion", "name": "not for the Generate panel", "status": "cached"},
    {"kind": "gan", "name": ["not", "a", "name"], "status": "bundled"},  # the answer is checked
]


class FakeGenArtServer:
    def __init__(self, token: str) -> None:
        self.token = token
        self.requests: list = []  # decoded submissions, in order
        self.die_mid_job = False
        self.fail_jobs = ""  # a message: jobs end with the "failed" event the real server sends
        self._results: dict[str, dict] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet: pytest shows failures
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {server.token}":
                    return True
                self._answer(401, {"detail": "A valid token is needed."})
                return False

            def do_GET(self) -> None:  # noqa: N802
                if not self._authorised():
                    return
                parts = self.path.split("?")[0].strip("/").split("/")
                if parts == ["v1", "info"]:
                    self._answer(200, {"server": "GenArt", "version": __version__, "device": {"device": "cpu", "torch": "fake"},
                                       "models": SERVER_GAN_VAE_MODELS, "diffusion_models": SERVER_MODELS})
                elif parts[:2] == ["v1", "jobs"] and parts[3] == "events":
                    self._events(parts[2])
                elif parts[:2] == ["v1", "jobs"] and parts[3] == "result":
                    self._answer(200, server._results[parts[2]])
                else:
                    self._answer(404, {"detail": "no such route"})

            def do_POST(self) -> None:  # noqa: N802
                if not self._authorised():
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path == "/v1/jobs":
                    payload = json.loads(body)
                    request = protocol.decode_request(payload["request"], protocol.Limits())
                    server.requests.append(request)
                    job = uuid.uuid4().hex
                    # GAN/VAE requests have no size: a digit's 28 px then.
                    height, width = getattr(request, "height", 28), getattr(request, "width", 28)
                    image = np.empty((height, width, 3), np.uint8)
                    image[:] = SERVER_COLOR
                    info = GenerationInfo(seed=request.seed, width=width, height=height, request=request.to_dict())
                    server._results[job] = protocol.encode_result(Result([image], [info]))
                    self._answer(200, {"job": job})
                else:  # cancel, stop
                    self._answer(200, {"ok": True})

            def _events(self, job: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                preview = np.full((8, 8, 3), SERVER_COLOR, np.uint8)
                self.wfile.write((json.dumps(protocol.encode_progress(Progress(1, 2, "On the server", preview), 0.0)) + "\n").encode())
                self.wfile.flush()
                if server.die_mid_job:
                    return  # the connection closes with no end event, as when the server is killed
                if server.fail_jobs:
                    self.wfile.write((json.dumps({"event": "failed", "message": server.fail_jobs}) + "\n").encode())
                    return
                self.wfile.write(b'{"event": "finished"}\n')

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, name="fake-genart-server", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()
