"""Timing a call the way the core's per-machine choices and the benches do."""

from __future__ import annotations

import time
from typing import Callable


def best_of(call: Callable[[], object], repeats: int = 3) -> float:
    """The fastest of ``repeats`` calls, in seconds, after one untimed warm-up call (oneDNN and
    OpenVINO pick their kernels on the first call); the fastest is the least disturbed by other work."""
    call()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best
