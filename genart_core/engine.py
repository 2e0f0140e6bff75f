"""Runs requests: imports the request's pipeline lazily, keeps loaded models cached."""

from __future__ import annotations

import importlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import numpy as np

from genart_core.api import CancelToken, GenerationInfo, Progress, ProgressCallback, Request, Result

log = logging.getLogger(__name__)

T = TypeVar("T")


class ModelCache:
    """Keeps loaded models between jobs, keyed by whatever identifies them (name, path, dtype).

    Models are large, so at most ``max_items`` stay loaded; the least recently used goes first.
    """

    def __init__(self, max_items: int = 4) -> None:
        self._items: dict[Any, Any] = {}
        self._max_items = max_items
        self._lock = threading.Lock()

    def get_or_load(self, key: Any, loader: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                value = self._items.pop(key)
                self._items[key] = value  # most recently used goes last
                return value
        value = loader()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._max_items:
                oldest = next(iter(self._items))
                log.info("Unloading model %s", oldest)
                del self._items[oldest]
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __contains__(self, key: Any) -> bool:
        return key in self._items


def warm_up() -> None:
    """Pay one-time import costs before the first job rather than during it.

    torch.optim imports torch._dynamo when it builds its first optimiser (about 1.7 s on a
    2-core CPU), which would otherwise hold back the first style-transfer preview.
    """
    import torch._dynamo  # noqa: F401


@dataclass
class RunContext:
    """What a pipeline gets besides its request: progress reporting, cancellation, the cache."""

    engine: "Engine"
    on_progress: ProgressCallback
    cancel: CancelToken

    @property
    def cache(self) -> ModelCache:
        return self.engine.cache

    def report(self, step: int, total: int, phase: str, preview: np.ndarray | None = None) -> None:
        self.on_progress(Progress(step, total, phase, preview))

    def check_cancelled(self) -> None:
        """Raises Cancelled after Cancel, and after Stop and keep too: for work with nothing to keep."""
        self.cancel.raise_if_cancelled()

    def stop_requested(self) -> bool:
        """Instead of check_cancelled() where a partial result can be kept: True after Stop and
        keep (finish now with what there is); raises Cancelled after Cancel."""
        return self.cancel.stop_requested()

    def stopped_between_images(self, made: int, count: int) -> str:
        """Before each image of a batch: "after image k/N" when Stop and keep came once ``made``
        images are finished (they are kept), else "". Raises Cancelled after Cancel, and after
        Stop and keep while no image is made yet, since there is nothing to keep."""
        if not made:
            self.check_cancelled()
            return ""
        return f"after image {made}/{count}" if self.stop_requested() else ""


def mark_stopped(info: GenerationInfo, index: int, count: int, step: str) -> str:
    """Record on image ``index`` of ``count`` that Stop and keep ended it after step ``step`` ("k/N"),
    and return the matching Result.stopped. The info's steps stay the schedule's length: a k-step
    run (another schedule) would not reproduce the image."""
    info.extra["Stopped at step"] = step
    return f"at step {step}" if count == 1 else f"at image {index + 1}/{count}, step {step}"


class Batch:
    """The pictures of a request with ``count`` > 1, made one at a time with seeds seed, seed+1, …

    Iterating gives (index, seed) for each picture to make, and ends early when Stop and keep
    came between pictures (``stopped`` then says after which; Cancel raises, see
    RunContext.stopped_between_images). The pipeline appends each picture and its info to
    ``images`` and ``infos``; ``stop_at`` records that Stop and keep ended the latest one."""

    def __init__(self, ctx: RunContext, count: int, seed: int) -> None:
        self._ctx = ctx
        self.count = count
        self.seed = seed
        self.images: list = []
        self.infos: list[GenerationInfo] = []
        self.stopped = ""  # Result.stopped

    def __iter__(self):
        for index in range(self.count):
            self.stop_before_next()
            if self.stopped:
                return
            yield index, self.seed + index

    def stop_before_next(self) -> None:
        """Ends the batch as between pictures when Stop and keep came (also when it came as the next
        picture began, before any of it was made); Cancel, or a stop with no picture made, raises."""
        self.stopped = self._ctx.stopped_between_images(len(self.images), self.count)

    def stop_at(self, index: int, step: str) -> None:
        """Stop and keep ended picture ``index`` (the latest in ``infos``) after ``step`` ("k/N ...")."""
        self.stopped = mark_stopped(self.infos[-1], index, self.count, step)


def _ignore_progress(_: Progress) -> None:
    pass


class Engine:
    """``Engine().run(request, on_progress, cancel) -> Result``; the same from CLI, GUI and tests."""

    def __init__(self, cache: ModelCache | None = None) -> None:
        self.cache = cache or ModelCache()

    def run(
        self,
        request: Request,
        on_progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Result:
        if not request.pipeline:
            raise TypeError(f"{type(request).__name__} names no pipeline")
        ctx = RunContext(self, on_progress or _ignore_progress, cancel or CancelToken())
        ctx.check_cancelled()
        started = time.perf_counter()
        module = importlib.import_module(request.pipeline)
        result = module.run(request, ctx)
        log.info("%s finished in %.2f s", type(request).__name__, time.perf_counter() - started)
        return result
