"""Jobs through the real client (RemoteEngine) against the real local Ray Serve deployment."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from genart_core.api import Cancelled, CancelToken, GenArtError, Progress
from genart_core.engine import Engine
from genart_core.remote_engine import RemoteEngine
from genart_core.requests.diffusion import TextToImageRequest
from genart_core.requests.selftest import SelfTestRequest
from genart_core.requests.style import Preset, StyleSource, StyleTransferRequest
from tests.core.vgg_helpers import scene, stripes, write


@pytest.fixture
def remote(live_server) -> RemoteEngine:
    return RemoteEngine(live_server.url, live_server.token)


@pytest.fixture
def server_models(live_server, monkeypatch):
    """The local Engine sees the server's models folder, to compare results."""
    monkeypatch.setenv("GENART_MODELS_DIR", str(live_server.folder / "models"))


def test_info_lists_the_device_and_the_servers_models(remote, live_server) -> None:
    info = remote.info()
    assert info["device"]["device"] == "cpu"
    assert live_server.offline_model in {model["key"] for model in info["diffusion_models"]}


def test_style_transfer_remotely_gives_the_local_image_with_previews(remote, live_server, tmp_path, one_torch_thread) -> None:
    style = write(tmp_path / "stripes.png", stripes())  # a client file: sent as pixels, not as a path
    request = StyleTransferRequest(
        content=scene(), styles=(StyleSource("Stripes", str(style)),), preset=Preset.PREVIEW, size=48,
        weights=str(live_server.vgg), iterations_scale=0.5, seed=3,
        precision="fp32",  # "auto" lets each process time bf16 against fp32 itself, and load can flip that choice
    )
    reports: list[Progress] = []
    result = remote.run(request, reports.append)
    local = Engine().run(request)
    assert np.array_equal(result.images[0], local.images[0])
    assert result.infos[0].seed == 3 and result.infos[0].request["type"] == "StyleTransferRequest"
    assert reports and any(report.preview is not None for report in reports)
    assert reports[-1].step == reports[-1].total


def test_offline_diffusion_remotely_gives_the_local_images_with_previews(remote, live_server, server_models, one_torch_thread) -> None:
    request = TextToImageRequest(prompt="digit 4", model=live_server.offline_model, steps=3, guidance=2.0, width=64, height=48, count=2, seed=9)
    reports: list[Progress] = []
    result = remote.run(request, reports.append)
    local = Engine().run(request)
    assert [image.shape for image in result.images] == [(48, 64, 3)] * 2
    for remote_image, local_image in zip(result.images, local.images):
        assert np.array_equal(remote_image, local_image)
    assert [info.seed for info in result.infos] == [9, 10] and result.infos[0].extra["Label"] == "digit 4"
    previews = [report.preview for report in reports if report.preview is not None]
    assert len(previews) == 6 and previews[0].shape == (128, 128, 3)


def _run_in_thread(remote: RemoteEngine, request, on_progress, token: CancelToken) -> dict:
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["result"] = remote.run(request, on_progress, token)
        except BaseException as exc:  # noqa: BLE001 - the test looks at whatever ended the job
            outcome["error"] = exc
        outcome["ended"] = time.monotonic()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    outcome["thread"] = thread
    return outcome


def test_cancel_ends_a_remote_job_within_a_second(remote) -> None:
    token = CancelToken()
    started = threading.Event()
    request = SelfTestRequest(width=64, height=64, steps=100_000, work_size=64, preview_every=50)
    outcome = _run_in_thread(remote, request, lambda progress: started.set(), token)
    assert started.wait(60), "the job never reported progress"
    cancelled_at = time.monotonic()
    token.cancel()
    outcome["thread"].join(30)  # a hang guard, not the figure
    assert isinstance(outcome.get("error"), Cancelled)
    assert outcome["ended"] - cancelled_at < 1.0


def test_stop_and_keep_returns_the_picture_so_far(remote, live_server) -> None:
    token = CancelToken()
    request = TextToImageRequest(prompt="digit 4", model=live_server.offline_model, steps=400, width=32, height=32, seed=9)

    def stop_after_two_steps(progress: Progress) -> None:
        if progress.step >= 2:
            token.stop_and_keep()

    outcome = _run_in_thread(remote, request, stop_after_two_steps, token)
    outcome["thread"].join(120)
    result = outcome.get("result")
    assert result is not None, outcome.get("error")
    assert result.images[0].shape == (32, 32, 3)
    assert result.stopped.startswith("at step ") and result.infos[0].extra["Stopped at step"].endswith("/400")


def test_a_failing_job_fails_with_the_servers_message_and_the_server_goes_on(remote) -> None:
    with pytest.raises(GenArtError, match="no-such-model"):
        remote.run(TextToImageRequest(prompt="digit 4", model="offline:no-such-model", steps=2, width=32, height=32))
    assert remote.run(SelfTestRequest(width=32, height=32, steps=2, work_size=16)).images[0].shape == (32, 32, 3)


def test_a_progress_callback_that_raises_cancels_the_job_on_the_server(remote) -> None:
    """As Ctrl+C in the CLI does: the job must not go on running unwatched."""
    request = SelfTestRequest(width=64, height=64, steps=100_000, work_size=64, preview_every=50)

    def interrupt(progress: Progress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        remote.run(request, interrupt)
    deadline = time.monotonic() + 30  # a hang guard
    while remote.info()["running_jobs"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert remote.info()["running_jobs"] == 0
