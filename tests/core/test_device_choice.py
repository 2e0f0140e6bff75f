"""How the core decides whether bf16 is worth using on this CPU."""

from __future__ import annotations

import json
import math

import torch

from genart_core import device, paths


def test_the_bf16_timing_runs_on_one_thread_and_gives_the_threads_back(monkeypatch):
    """One thread: with two, a busy machine descheduled one of them mid-run and the barrier made
    bf16 look slower (30 ms against 1.3 ms), a verdict then cached for good."""
    seen = []
    real_conv2d = torch.nn.functional.conv2d

    def conv2d(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return real_conv2d(*args, **kwargs)

    before = torch.get_num_threads()
    monkeypatch.setattr(torch.nn.functional, "conv2d", conv2d)
    timed = device._conv_seconds()
    assert set(seen) == {1} and len(seen) == 2 * (device.CONV_TIMING_ROUNDS + 1)
    assert torch.get_num_threads() == before
    assert set(timed) == {torch.float32, torch.bfloat16}
    assert all(0 < seconds < math.inf for seconds in timed.values())


def test_the_verdict_is_measured_once_and_kept_per_torch_version(monkeypatch, tmp_path):
    monkeypatch.setenv("GENART_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("GENART_CPU_BF16", raising=False)
    monkeypatch.setattr(device, "cpu_has_bf16_hardware", lambda: True)
    runs = []
    monkeypatch.setattr(device, "_conv_seconds", lambda: runs.append(1) or {torch.float32: 0.004, torch.bfloat16: 0.001})
    device.cpu_bf16_is_faster.cache_clear()
    try:
        assert device.cpu_bf16_is_faster()
        device.cpu_bf16_is_faster.cache_clear()
        assert device.cpu_bf16_is_faster()  # from the record, not timed again
        assert len(runs) == 1
        record = json.loads((paths.cache_dir() / "cpu_bf16.json").read_text())
        assert record["torch"] == torch.__version__ and record["timing"] == device.TIMING_VERSION and record["faster"] is True
    finally:
        device.cpu_bf16_is_faster.cache_clear()


def test_a_verdict_timed_by_an_earlier_method_is_timed_again(monkeypatch, tmp_path):
    monkeypatch.setenv("GENART_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("GENART_CPU_BF16", raising=False)
    monkeypatch.setattr(device, "cpu_has_bf16_hardware", lambda: True)
    monkeypatch.setattr(device, "_conv_seconds", lambda: {torch.float32: 0.004, torch.bfloat16: 0.001})
    (paths.cache_dir() / "cpu_bf16.json").write_text(json.dumps({"torch": torch.__version__, "faster": False}))
    device.cpu_bf16_is_faster.cache_clear()
    try:
        assert device.cpu_bf16_is_faster()
    finally:
        device.cpu_bf16_is_faster.cache_clear()
