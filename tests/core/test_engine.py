from __future__ import annotations

import threading

import numpy as np
import pytest

from genart_core.api import CancelToken, Cancelled, Progress
from genart_core.engine import Engine, ModelCache
from genart_core.requests.selftest import SelfTestRequest


def test_a_job_reports_progress_with_previews_and_returns_an_image():
    reports: list[Progress] = []
    result = Engine().run(SelfTestRequest(width=64, height=48, steps=6, work_size=32, preview_every=2), reports.append)
    assert [p.step for p in reports] == [1, 2, 3, 4, 5, 6]
    assert [p.preview is not None for p in reports] == [False, True, False, True, False, True]
    image = result.images[0]
    assert image.shape == (48, 64, 3) and image.dtype == np.uint8 and image.std() > 10
    assert result.infos[0].seed == 0 and result.infos[0].request["type"] == "SelfTestRequest"


def test_the_seed_decides_the_image():
    run = lambda seed: Engine().run(SelfTestRequest(width=32, height=32, steps=4, work_size=16, seed=seed)).images[0]
    assert np.array_equal(run(1), run(1))
    assert not np.array_equal(run(1), run(2))


def test_cancel_stops_between_steps():
    token = CancelToken()
    seen: list[int] = []

    def on_progress(progress: Progress) -> None:
        seen.append(progress.step)
        if progress.step == 3:
            token.cancel()

    with pytest.raises(Cancelled):
        Engine().run(SelfTestRequest(steps=50, work_size=16), on_progress, token)
    assert seen == [1, 2, 3]


def test_stop_and_keep_is_a_cancel_for_pipelines_that_cannot_keep():
    token = CancelToken()

    def on_progress(progress: Progress) -> None:
        if progress.step == 2:
            token.stop_and_keep()

    with pytest.raises(Cancelled):
        Engine().run(SelfTestRequest(steps=50, work_size=16), on_progress, token)
    assert token.cancelled and token.keep_partial
    assert not SelfTestRequest.supports_stop_and_keep


def test_stop_and_keep_and_cancel_whichever_comes_first_a_cancel_wins():
    keep = CancelToken()
    assert not keep.stop_requested()
    keep.stop_and_keep()
    assert keep.stop_requested()
    keep.cancel()  # changing one's mind: throw it away after all
    with pytest.raises(Cancelled):
        keep.stop_requested()

    cancel = CancelToken()
    cancel.cancel()
    cancel.stop_and_keep()
    assert not cancel.keep_partial
    with pytest.raises(Cancelled):
        cancel.stop_requested()


def test_model_cache_keeps_recent_models_and_drops_the_oldest():
    cache = ModelCache(max_items=2)
    loads: list[str] = []
    load = lambda name: cache.get_or_load(name, lambda: loads.append(name) or name.upper())
    assert load("a") == "A" and load("b") == "B" and load("a") == "A"
    load("c")  # evicts b, the least recently used
    assert "a" in cache and "b" not in cache and loads == ["a", "b", "c"]


def test_cache_is_safe_across_threads():
    cache = ModelCache()
    threads = [threading.Thread(target=cache.get_or_load, args=(i % 3, lambda: object())) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(key in cache for key in range(3))
