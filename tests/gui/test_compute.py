"""Settings ▸ Compute in the app: jobs go to a GenArt server through the app's own RemoteEngine
(here a server speaking the real protocol on http.server; the Ray server is tested in tests/server)."""

from __future__ import annotations

import logging
import socket
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from desktop_app import server_info
from desktop_app.compute import ComputeChoice, server_address, server_models
from genart_core.api import GenArtError
from genart_core.sd_models import ModelSpec
from desktop_app.main_window import MainWindow
from desktop_app.settings import settings
from genart_core.requests.selftest import SelfTestRequest
from tests.gui.fake_server import SERVER_COLOR, FakeGenArtServer

TOKEN = "gui-test-token"


@pytest.fixture
def server():
    fake = FakeGenArtServer(TOKEN)
    yield fake
    fake.close()


def click_radio(qtbot, button) -> None:
    """A click on the button's circle (a radio button stretched across the dialog ignores clicks
    in its empty right part)."""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(8, button.height() // 2))
    assert button.isChecked()


def choose_in_dialog(window, qtbot, url: str, token: str = TOKEN, press_ok: bool = True):
    """Settings ▸ Compute…, Server, the address and the token typed in, as a user would."""
    window.compute.action.trigger()
    dialog = window.compute.dialog
    qtbot.waitExposed(dialog)
    click_radio(qtbot, dialog.server)
    dialog.url.clear()
    qtbot.keyClicks(dialog.url, url)
    dialog.token.clear()
    qtbot.keyClicks(dialog.token, token)
    if press_ok:
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    return dialog


def test_choosing_a_server_sends_the_next_job_there_and_lists_its_models(window, qtbot, server):
    assert window.compute.status.text() == "Compute: this computer"
    panel = window.prompt_panel
    assert panel.model.currentData() == "offline:tiny-diffusion"
    panel.steps.setValue(7)
    dialog = choose_in_dialog(window, qtbot, server.url)
    assert not dialog.isVisible()
    assert window.compute.status.text() == f"Compute: server {server.url.removeprefix('http://')}"
    qtbot.waitUntil(lambda: panel.model.findData("offline:server-only") >= 0, timeout=10_000)
    listed = [panel.model.itemText(i) for i in range(panel.model.count())]
    assert listed[1:] == ["tiny-diffusion on the server", "Model only the server has"]  # the server's, not this computer's
    assert panel.model.currentData() == "offline:tiny-diffusion" and panel.steps.value() == 7  # still chosen, as set
    assert not panel.add_model_button.isEnabled()
    combo = window.generate_panel.model_combo
    assert [combo.itemData(i) for i in range(combo.count())] == [("gan", "server-gan"), ("vae", "vae-digits")]
    assert "on the server" in combo.itemText(0)

    previews = []
    window.controller.progress.connect(lambda _job, progress: previews.append(progress.preview))
    with qtbot.waitSignal(window.controller.finished, timeout=30_000):
        window.submit(SelfTestRequest(width=24, height=16, steps=3, seed=5))
    assert [type(r).__name__ for r in server.requests] == ["SelfTestRequest"]
    assert server.requests[0].seed == 5
    assert len(previews) == 1 and tuple(previews[0][0, 0]) == SERVER_COLOR
    assert window.canvas.image_array().shape == (16, 24, 3)
    assert (window.canvas.image_array() == SERVER_COLOR).all()


def test_the_choice_is_kept_and_switching_back_runs_jobs_here(qtbot, server):
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    choose_in_dialog(first, qtbot, server.url)
    first.close()
    second = MainWindow()  # a new start reads the kept choice
    qtbot.addWidget(second)
    try:
        assert second.compute.choice == ComputeChoice("server", server.url, TOKEN)
        second.show()
        assert second.compute.status.text() == f"Compute: server {server.url.removeprefix('http://')}"
        qtbot.waitUntil(lambda: second.prompt_panel.model.findData("offline:server-only") >= 0, timeout=10_000)
        # The scan of this computer's Hugging Face cache ends after the server's list came (it
        # starts a second after start-up): what it finds is not added to the server's models.
        scan = second.prompt_panel.hub_cache_scan
        scan.found.emit([ModelSpec("someone/local-only", "local-only", "hub")])
        assert second.prompt_panel.model.findData("someone/local-only") < 0
        second.compute.action.trigger()
        dialog = second.compute.dialog
        assert dialog.server.isChecked() and dialog.url.text() == server.url
        click_radio(qtbot, dialog.this_computer)
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
        assert second.compute.status.text() == "Compute: this computer"
        assert second.prompt_panel.model.findData("offline:server-only") < 0
        combo = second.generate_panel.model_combo
        listed = [combo.itemData(i) for i in range(combo.count())]
        assert ("gan", "server-gan") not in listed and any(kind == "gan" and "dcgan-digits" in where for kind, where in listed)
        with qtbot.waitSignal(second.controller.finished, timeout=60_000):
            second.submit(SelfTestRequest(width=24, height=16, steps=2, work_size=16))
        assert server.requests == []
        assert not (second.canvas.image_array() == SERVER_COLOR).all()
    finally:
        second.close()


@pytest.mark.parametrize("damage", [
    {"compute/where": "moon"},
    {"compute/where": "server", "compute/server_url": "not a :// server", "compute/token": "t"},
    {"compute/where": "server", "compute/server_url": "http://gpu-box:8765", "compute/token": ["a", "list"]},
    {"compute/where": "server", "compute/server_url": "http://gpu-box:8765"},  # no token
])
def test_a_damaged_compute_setting_starts_on_this_computer(qtbot, caplog, damage):
    for key, value in damage.items():
        settings().setValue(key, value)
    with caplog.at_level(logging.WARNING, logger="desktop_app.compute"):
        main = MainWindow()
    qtbot.addWidget(main)
    try:
        assert main.compute.choice == ComputeChoice()
        assert main.compute.status.text() == "Compute: this computer"
        assert "Jobs run on this computer" in caplog.text
    finally:
        main.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


def test_test_shows_an_unreachable_server_error(window, qtbot):
    dialog = choose_in_dialog(window, qtbot, f"http://127.0.0.1:{_closed_port()}", press_ok=False)
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Could not reach" in dialog.answer.text(), timeout=10_000)
    assert "Is it running?" in dialog.answer.text()
    assert dialog.test_button.isEnabled()
    dialog.reject()
    assert window.compute.choice == ComputeChoice()  # Cancel changes nothing


def test_test_keeps_the_window_responsive_while_a_server_does_not_answer(window, qtbot, monkeypatch):
    monkeypatch.setattr(server_info, "INFO_TIMEOUT_SECONDS", 1.5)
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        dialog = choose_in_dialog(window, qtbot, f"http://127.0.0.1:{silent.getsockname()[1]}", press_ok=False)
        started = time.perf_counter()
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        assert time.perf_counter() - started < 0.5  # the click returned at once
        assert "Contacting" in dialog.answer.text() and not dialog.test_button.isEnabled()
        ticks = []
        timer = QTimer()
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        timer.start(20)
        qtbot.waitUntil(lambda: "stopped answering" in dialog.answer.text() or "Could not reach" in dialog.answer.text(), timeout=15_000)
        timer.stop()
    assert len(ticks) >= 10  # the event loop kept turning while the answer was awaited
    assert "timed out" in dialog.answer.text()


def test_a_job_that_fails_on_a_server_that_answers_is_not_offered_a_local_run(window, qtbot, server):
    # The server is there and said why: the same request would fail here too, so no question.
    choose_in_dialog(window, qtbot, server.url)
    server.fail_jobs = "Out of GPU memory for this size."
    with qtbot.waitSignal(window.controller.failed, timeout=30_000) as failed:
        window.submit(SelfTestRequest(width=24, height=16, steps=2, work_size=16, seed=9))
    assert failed.args[1] == "Out of GPU memory for this size." and not failed.args[0].server_lost
    assert window.compute.fallback_box is None
    assert window.last_error_box is not None and "Out of GPU memory" in window.last_error_box.text()


def test_a_server_failing_mid_job_offers_to_run_it_here_and_yes_does(window, qtbot, server):
    photo = np.zeros((16, 24, 3), np.uint8)
    photo[:, :12] = 255
    window.canvas.set_image(photo, "Open photo")
    layers_before = [(layer, layer.pixels.copy()) for layer in window.canvas.document.layers]
    choose_in_dialog(window, qtbot, server.url)
    server.die_mid_job = True
    failed = []
    window.controller.failed.connect(lambda job, message: failed.append(message))
    with qtbot.waitSignal(window.controller.failed, timeout=30_000):
        window.submit(SelfTestRequest(width=24, height=16, steps=2, work_size=16, seed=9))
    assert "stopped answering during the job" in failed[0]
    box = window.compute.fallback_box
    assert box is not None and box.isVisible()
    assert failed[0] in box.text() and "on this computer" in box.text()
    assert window.last_error_box is None  # one box, not two
    assert np.array_equal(window.canvas.image_array(), photo)  # nothing on the canvas was lost

    server.die_mid_job = False
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as finished:
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    assert len(server.requests) == 1  # the rerun did not go to the server
    result = finished.args[1]
    assert result.infos[0].seed == 9 and not (result.images[0] == SERVER_COLOR).all()
    assert np.array_equal(window.canvas.image_array(), result.images[0])
    layers = window.canvas.document.layers
    assert len(layers) == len(layers_before) + 1  # the result is a new layer; the photo's are untouched
    assert all(layer in layers and np.array_equal(layer.pixels, pixels) for layer, pixels in layers_before)

    with qtbot.waitSignal(window.controller.finished, timeout=30_000):  # later jobs go to the server again
        window.submit(SelfTestRequest(width=24, height=16, steps=2, seed=10))
    assert [r.seed for r in server.requests] == [9, 10]


def test_a_generate_panel_job_whose_server_went_away_reruns_here_into_the_panel(window, qtbot, server):
    panel = window.generate_panel
    choose_in_dialog(window, qtbot, server.url)
    combo = panel.model_combo

    def vae_digits() -> int:  # bundled here too
        return next((i for i in range(combo.count()) if combo.itemData(i) == ("vae", "vae-digits")), -1)

    qtbot.waitUntil(lambda: vae_digits() >= 0, timeout=10_000)
    combo.setCurrentIndex(vae_digits())
    panel.count_spin.setValue(4)
    server.die_mid_job = True
    with qtbot.waitSignal(window.controller.failed, timeout=30_000):
        qtbot.mouseClick(panel.sample_button, Qt.MouseButton.LeftButton)
    box = window.compute.fallback_box
    assert box is not None and box.isVisible() and "on this computer" in box.text()

    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as finished:
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    assert len(server.requests) == 1  # the rerun ran here
    assert finished.args[0].compute.on_server is False
    qtbot.waitUntil(lambda: panel.grid_view.count() == 4 and not panel.jobs, timeout=10_000)  # the panel showed the rerun's samples
    assert not window.canvas.has_image  # a sample grid stays in the panel, rerun or not


@pytest.mark.parametrize("text, expected", [
    ("gpu-box:8765", "http://gpu-box:8765"),
    (" https://example.org/genart/ ", "https://example.org/genart"),
    ("http://[::1]:8765", "http://[::1]:8765"),
])
def test_server_addresses_are_normalised(text, expected) -> None:
    assert server_address(text) == expected


@pytest.mark.parametrize("text", ["", "ftp://gpu-box", "http://gpu-box:99999", "http://gpu-box:port", "http://gpu-box/?q=1", "http://"])
def test_unusable_server_addresses_say_so(text) -> None:
    with pytest.raises(GenArtError, match="server"):
        server_address(text)


def test_the_servers_model_list_is_checked_as_it_comes_from_the_network() -> None:
    info = {"diffusion_models": [{"key": "a", "label": "A"}, {"key": "b", "label": 3}, {"key": ""}, "junk", {"label": "no key"}]}
    assert server_models(info) == [{"key": "a", "label": "A"}, {"key": "b", "label": "b"}]
    assert server_models({"diffusion_models": "not a list"}) == [] and server_models(None) == []
