"""The job queue, driven through the real window: jobs wait their turn, Cancel ends one job only,
slider jobs replace only their own predecessor, training survives a Generate, waiting jobs can be
reordered, and the Queue panel shows what runs and what waits."""

from __future__ import annotations

import numpy as np

from desktop_app.jobs import JobKind, JobState
from genart_core.requests.generative import GanSampleRequest
from genart_core.requests.selftest import SelfTestRequest
from tests.gui.test_generate_panel import JOB_TIMEOUT, _export, start_long_training
from tests.gui.test_main_window import start_long_diffusion


def _long() -> SelfTestRequest:
    """Runs for many seconds: tests cancel it, never wait for it to end."""
    return SelfTestRequest(steps=400, work_size=384)


def _quick(seed: int = 0) -> SelfTestRequest:
    return SelfTestRequest(width=32, height=32, steps=2, work_size=16, seed=seed)


def _record(controller) -> list[tuple[str, object]]:
    """What the controller says happened, in order (connected before any job is submitted)."""
    events: list[tuple[str, object]] = []
    controller.job_started.connect(lambda job: events.append(("started", job)))
    controller.finished.connect(lambda job, _result: events.append(("finished", job)))
    controller.cancelled.connect(lambda job: events.append(("cancelled", job)))
    return events


def test_two_jobs_queued_the_first_finishes_then_the_second_starts(window, qtbot):
    events = _record(window.controller)
    first = window.submit(SelfTestRequest(width=48, height=40, steps=6, work_size=64))
    second = window.submit(_quick())
    assert first.state is JobState.RUNNING and second.state is JobState.QUEUED
    assert window.controller.waiting_jobs == (second,)
    with qtbot.waitSignal(second.finished, timeout=JOB_TIMEOUT):
        pass
    assert events == [("started", first), ("finished", first), ("started", second), ("finished", second)]
    assert first.state is second.state is JobState.FINISHED and not window.controller.busy
    assert window.canvas.image_array().shape == (32, 32, 3)  # both results landed; the second is on top
    window.history_panel.wait_for_writes()
    qtbot.waitUntil(lambda: window.history_panel.list.count() == 2)


def test_cancelling_one_job_leaves_the_others(window, qtbot):
    running = window.submit(_long())
    first_waiting, second_waiting = window.submit(_quick(1)), window.submit(_quick(2))
    with qtbot.waitSignal(running.progress, timeout=JOB_TIMEOUT):
        pass
    first_waiting.cancel()
    assert first_waiting.state is JobState.CANCELLED
    assert running.state is JobState.RUNNING and not running.token.cancelled
    assert window.controller.waiting_jobs == (second_waiting,)
    assert "Esc" in window.cancel_button.toolTip() and "only" in window.cancel_button.toolTip()
    with qtbot.waitSignal(second_waiting.finished, timeout=JOB_TIMEOUT):
        window.cancel_action.trigger()  # Esc: the running job, and only it
    assert running.state is JobState.CANCELLED and second_waiting.state is JobState.FINISHED


def test_a_panels_cancel_cancels_only_that_panels_jobs(window, qtbot):
    running = window.submit(_long())
    window.prompt_panel.prompt.setPlainText("digit 4")
    window.prompt_panel.generate_button.click()
    generate = window.controller.waiting_jobs[0]
    assert window.prompt_panel.cancel_button.isEnabled() and not window.stylize_panel.cancel_button.isEnabled()
    window.prompt_panel.cancel_button.click()
    assert generate.state is JobState.CANCELLED and not window.prompt_panel.cancel_button.isEnabled()
    assert running.state is JobState.RUNNING and not running.token.cancelled
    with qtbot.waitSignal(running.cancelled, timeout=JOB_TIMEOUT):
        running.cancel()


def test_cancel_all_ends_the_running_job_and_empties_the_queue(window, qtbot):
    jobs = [window.submit(_long()), window.submit(_quick(1)), window.submit(_quick(2))]
    with qtbot.waitSignal(window.controller.busy_changed, timeout=JOB_TIMEOUT, check_params_cb=lambda busy: not busy):
        window.queue_panel.cancel_all_button.click()
    assert [job.state for job in jobs] == [JobState.CANCELLED] * 3
    assert window.queue_panel.rows == ()


def test_a_slider_job_replaces_only_its_own_predecessor(window, qtbot):
    controller = window.controller
    slider_running = window.submit(_long(), replaces="slider")
    with qtbot.waitSignal(slider_running.progress, timeout=JOB_TIMEOUT):
        pass
    unrelated = window.submit(_quick(1))
    strip = window.submit(_quick(2), replaces="strip")
    older_slider = window.submit(_quick(3), replaces="slider")
    assert slider_running.token.cancelled  # asked to end; the worker answers at its next step
    newest_slider = window.submit(_quick(4), replaces="slider")
    assert older_slider.state is JobState.CANCELLED  # it was waiting: gone at once
    assert controller.waiting_jobs == (unrelated, strip, newest_slider)
    events = _record(controller)
    with qtbot.waitSignal(newest_slider.finished, timeout=JOB_TIMEOUT):
        pass
    assert slider_running.state is JobState.CANCELLED
    assert [job for what, job in events if what == "started"] == [unrelated, strip, newest_slider]
    assert all(job.state is JobState.FINISHED for job in (unrelated, strip, newest_slider))


def test_moving_a_latent_slider_while_a_job_runs_queues_one_decode(window, qtbot):
    _export("gan", "tiny-gan")
    panel = window.generate_panel
    panel.refresh_models(select="tiny-gan")
    panel.count_spin.setValue(4)
    panel.sample()
    qtbot.waitUntil(lambda: panel.grid_view.count() == 4 and not panel.jobs, timeout=JOB_TIMEOUT)
    panel.grid_view.setCurrentRow(1)
    before = panel._current[0].copy()
    running = window.submit(_long())
    decodes = []
    for value in (10, 20, 30):  # each move waits out the debounce, so each submits a decode
        panel.sliders[0].setValue(value)
        qtbot.waitUntil(lambda: not panel._debounce.isActive())
        decodes.append(panel.jobs["slider"])
    assert len(set(decodes)) == 3 and [job.state for job in decodes[:2]] == [JobState.CANCELLED] * 2
    waiting = window.controller.waiting_jobs
    assert [job.kind for job in waiting] == [JobKind.DECODE] and waiting[0] is panel.jobs["slider"]
    assert running.state is JobState.RUNNING and not running.token.cancelled
    window.controller.cancel_current()
    qtbot.waitUntil(lambda: not panel.jobs, timeout=JOB_TIMEOUT)
    assert not np.array_equal(panel._current[0], before)  # the newest position was drawn


def test_a_training_run_survives_a_generate(window, qtbot):
    dialog = start_long_training(qtbot, window.generate_panel)
    training = window.controller.current_job
    assert training.kind is JobKind.TRAINING
    window.prompt_panel.prompt.setPlainText("digit 4")
    window.prompt_panel.steps.setValue(1)
    window.prompt_panel.generate_button.click()
    generate = window.controller.waiting_jobs[0]
    assert generate.kind is JobKind.DIFFUSION and generate.state is JobState.QUEUED
    assert training.state is JobState.RUNNING and not training.token.cancelled and dialog.running
    qtbot.waitUntil(lambda: window.status_label.text().endswith("(1 waiting)"), timeout=JOB_TIMEOUT)
    assert window.prompt_panel.cancel_button.isEnabled()  # the panel's Cancel is for its own job
    qtbot.wait(500)  # the training goes on
    assert training.state is JobState.RUNNING
    with qtbot.waitSignal(generate.finished, timeout=120_000):
        dialog.cancel()
    assert training.state is JobState.CANCELLED and window.canvas.has_image


def test_reordering_changes_what_runs_next(window, qtbot):
    queue = window.queue_panel
    running = window.submit(_long())
    first, second, third = (window.submit(_quick(seed)) for seed in (1, 2, 3))
    assert queue.rows == (running, first, second, third)
    queue.table.selectRow(3)
    assert queue.up_button.isEnabled() and not queue.down_button.isEnabled()
    queue.up_button.click()
    queue.up_button.click()
    assert window.controller.waiting_jobs == (third, first, second)
    assert queue.rows[1] is third and not queue.up_button.isEnabled()  # the moved job stays selected, now at the top
    queue.table.selectRow(2)
    queue.down_button.click()
    assert window.controller.waiting_jobs == (third, second, first)
    events = _record(window.controller)
    with qtbot.waitSignal(first.finished, timeout=JOB_TIMEOUT):
        running.cancel()
    assert [job for what, job in events if what == "started"] == [third, second, first]


def test_the_queue_panel_shows_rows_progress_and_failures(window, qtbot):
    queue = window.queue_panel
    running = window.submit(_long())
    waiting = [window.submit(_quick(1)), window.submit(_quick(2))]
    with qtbot.waitSignal(running.progress, timeout=JOB_TIMEOUT):
        window.show_queue_action.trigger()
    assert window.queue_dock.isVisible()
    assert queue.rows == (running, *waiting)
    assert [queue.table.item(row, 0).text() for row in range(3)] == ["Running the self-test…"] * 3
    assert [queue.table.item(row, 1).text() for row in (1, 2)] == ["Waiting", "Waiting"]
    assert queue.summary.text() == "1 job running, 2 waiting"
    assert window.status_label.text().endswith("(2 waiting)")
    qtbot.waitUntil(lambda: queue.progress_bar(0).value() >= 2, timeout=JOB_TIMEOUT)
    assert queue.progress_bar(0).maximum() == 400 and queue.progress_bar(1) is None
    assert queue.progress_bar(0).text() == f"{queue.progress_bar(0).value()}/400"
    assert queue.table.cellWidget(0, 1).label.text() == "Rendering"
    queue.row_button(1).click()  # that row's Cancel
    assert waiting[0].state is JobState.CANCELLED and queue.rows == (running, waiting[1])
    assert window.status_label.text().endswith("(1 waiting)")

    broken = window.submit(GanSampleRequest(model="/no/such/model", count=2))
    with qtbot.waitSignal(broken.failed, timeout=JOB_TIMEOUT):
        running.cancel()
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=JOB_TIMEOUT)
    assert queue.rows == (broken,)  # finished and cancelled jobs drop out; the failure stays
    assert queue.table.item(0, 1).text().startswith("Failed: ") and queue.row_button(0).toolTip().startswith("Dismiss")
    queue.row_button(0).click()
    assert queue.rows == () and queue.summary.text() == "Nothing running"


def test_stop_and_keep_ends_the_running_job_only(window, qtbot):
    start_long_diffusion(window, qtbot)
    diffusion = window.controller.current_job
    waiting = window.submit(_quick(), to_canvas=False)
    with qtbot.waitSignal(waiting.finished, timeout=JOB_TIMEOUT):
        window.stop_action.trigger()
    assert diffusion.state is JobState.FINISHED and diffusion.result.stopped.startswith("at image 1/16")
    assert not waiting.token.cancelled and not waiting.result.stopped  # the waiting job ran in full
