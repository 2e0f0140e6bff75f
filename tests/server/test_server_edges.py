"""What a bad client or a lost server gets: 401, 400 with a message, a clear client error, never a hang."""

from __future__ import annotations

import base64
import dataclasses
import http.client
import io
import json
import re
import threading
import time
import urllib.parse

import numpy as np
import pytest
from PIL import Image

from genart_core.api import CancelToken, GenArtError
from genart_core.remote_engine import RemoteEngine
from genart_core.requests.diffusion import TextToImageRequest
from genart_core.requests.generative import GanSampleRequest, TrainRequest
from genart_core.requests.selftest import SelfTestRequest
from genart_core.server import protocol


def _post(live_server, path: str, body: bytes, token: str | None = None, headers: dict | None = None) -> tuple[int, str]:
    parts = urllib.parse.urlsplit(live_server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("POST", path, body=body, headers={"Authorization": f"Bearer {token or live_server.token}", **(headers or {})})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}").get("detail", "")
    finally:
        connection.close()


def _still_answers(live_server) -> None:
    assert RemoteEngine(live_server.url, live_server.token).run(SelfTestRequest(width=16, height=16, steps=1, work_size=8)).images


def test_a_wrong_token_gets_401_and_a_message(live_server) -> None:
    status, detail = _post(live_server, "/v1/jobs", b"{}", token="wrong")
    assert status == 401 and "token" in detail
    with pytest.raises(GenArtError, match="refused the token"):
        RemoteEngine(live_server.url, "wrong").info()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"request": {"type": "PickleRequest", "fields": {}}}', "Unknown request type 'PickleRequest'"),
        (b'{"request": {"type": "SelfTestRequest", "fields": {"steps": "many"}}}', "SelfTestRequest.steps should be a whole number"),
        (b'{"request": {"type": "SelfTestRequest", "fields": {"colour": 1}}}', "has no field 'colour'"),
        (b'{"request": {"type": "ImageToImageRequest", "fields": {"init_image": {"$png": "!!"}}}}', "not valid base64"),
        (b"[" * 5000 + b"]" * 5000, "nests 5000 levels"),
    ],
)
def test_a_malformed_request_gets_400_with_a_message_and_the_server_goes_on(live_server, body: bytes, message: str) -> None:
    status, detail = _post(live_server, "/v1/jobs", body)
    assert status == 400 and message in detail
    _still_answers(live_server)


def test_an_oversized_body_is_refused_from_its_declared_length(live_server) -> None:
    # The header alone is refused: the 100 MB it announces are never sent, let alone read.
    parts = urllib.parse.urlsplit(live_server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest("POST", "/v1/jobs")
        connection.putheader("Authorization", f"Bearer {live_server.token}")
        connection.putheader("Content-Length", str(100_000_000))
        connection.endheaders()
        connection.send(b"{")
        response = connection.getresponse()
        assert response.status == 400 and "at most 64,000,000" in json.loads(response.read())["detail"]
    finally:
        connection.close()
    _still_answers(live_server)


def test_an_image_over_the_pixel_limit_is_refused_from_its_header(live_server) -> None:
    buffer = io.BytesIO()
    Image.new("L", (5000, 4000)).save(buffer, "PNG")  # 20 megapixels of zeros: a few kB compressed
    image = {"$png": base64.b64encode(buffer.getvalue()).decode()}
    body = json.dumps({"request": {"type": "ImageToImageRequest", "fields": {"init_image": image}}}).encode()
    status, detail = _post(live_server, "/v1/jobs", body)
    assert status == 400 and "5000×4000 pixels" in detail and "16 megapixels" in detail
    _still_answers(live_server)


@pytest.mark.parametrize(
    "request_",
    [GanSampleRequest(model="/etc"), TrainRequest(data="/home", out="bundled"), TextToImageRequest(model="../models/x.safetensors")],
    ids=["model folder", "training data", "checkpoint file"],
)
def test_server_paths_outside_the_allowed_folder_are_refused(live_server, request_) -> None:
    with pytest.raises(GenArtError, match="is not allowed inside"):
        RemoteEngine(live_server.url, live_server.token).run(request_)


def test_an_unreachable_server_is_a_clear_error_not_a_hang() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(GenArtError, match=f"Could not reach the GenArt server at http://127.0.0.1:{port}"):
        RemoteEngine(f"http://127.0.0.1:{port}", "token").run(SelfTestRequest())
    assert time.monotonic() - started < 10  # a hang guard


def test_a_server_that_goes_away_mid_job_fails_the_job_with_a_clear_message(live_server) -> None:
    """A second copy of the application is deleted (serve.delete) while it runs a job: its
    replicas are stopped and the proxy drops the client's event stream."""
    from ray import serve

    from genart_core.server.app import build_app

    serve.run(build_app(live_server.token), name="doomed", route_prefix="/doomed")
    remote = RemoteEngine(live_server.url + "/doomed", live_server.token, stall_seconds=5)
    started = threading.Event()
    outcome: dict = {}

    def work() -> None:
        try:
            remote.run(SelfTestRequest(width=64, height=64, steps=100_000, work_size=64, preview_every=50), lambda p: started.set(), CancelToken())
        except GenArtError as exc:
            outcome["error"] = exc
        outcome["ended"] = time.monotonic()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    assert started.wait(60)
    deleted_at = time.monotonic()
    serve.delete("doomed")
    thread.join(60)
    # Either the worker is stopped first (the ingress says so) or the ingress (the stream breaks).
    assert re.search("stopped answering|server stopped while running the job", str(outcome.get("error"))), outcome
    assert outcome["ended"] - deleted_at < 30
    _still_answers(live_server)


def test_every_request_type_round_trips_through_the_protocol() -> None:
    """The cheap insurance ARCHITECTURE.md asks for: every request type survives JSON + PNG."""
    from genart_core.requests.diffusion import InpaintRequest
    from genart_core.requests.generative import VaeInterpolateRequest
    from genart_core.requests.style import StyleSource, StyleTransferRequest
    from genart_core.requests.upscale import UpscaleRequest

    image = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    mask = np.eye(4, 5, dtype=np.uint8) * 255
    samples = {
        StyleTransferRequest: StyleTransferRequest(content=image, styles=(StyleSource("a", "a.png", 0.3),)),
        InpaintRequest: InpaintRequest(prompt="digit 1", init_image=image, mask=mask),
        VaeInterpolateRequest: VaeInterpolateRequest(start=(0.5, -1.0), end=(1.0, 2.0), start_image=image),
        UpscaleRequest: UpscaleRequest(image=image, scale=4, model="4x-Model.safetensors", detail=0.5, tile=128),
    }
    for name, cls in protocol.request_types().items():
        request = samples.get(cls) or cls()
        decoded = protocol.decode_request(json.loads(json.dumps(protocol.encode_request(request))), protocol.Limits())
        assert type(decoded) is cls, name
        for field in dataclasses.fields(cls):
            sent, received = getattr(request, field.name), getattr(decoded, field.name)
            if isinstance(sent, np.ndarray):
                assert received.dtype == np.uint8 and np.array_equal(received, sent), (name, field.name)
            else:
                assert received == sent and type(received) is type(sent), (name, field.name)


def test_sizes_past_the_servers_limits_are_refused_before_they_run() -> None:
    data = protocol.encode_request(TextToImageRequest(width=100_000))
    with pytest.raises(protocol.ProtocolError, match="TextToImageRequest.width is 100000; this server takes 0 to 4096"):
        protocol.decode_request(data, protocol.Limits())
