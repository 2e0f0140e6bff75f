"""A diagnostic job that exercises the whole job machinery without any model weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from genart_core.api import Request


@dataclass(frozen=True)
class SelfTestRequest(Request):
    """Render a seeded plasma pattern by iterated CPU-heavy smoothing, with previews.

    Used by ``genart doctor --self-test``, the GUI's Help > Run self-test, the threading tests
    and bench/responsiveness.py: real work on the CPU, real progress, real cancellation.
    """

    pipeline: ClassVar[str] = "genart_core.pipelines.selftest"

    width: int = 256
    height: int = 256
    steps: int = 20
    seed: int = 0
    # Matrix size of the busy-work done each step; bigger keeps the CPU busy longer.
    work_size: int = 256
    preview_every: int = 2
