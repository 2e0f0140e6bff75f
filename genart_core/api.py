"""The types that cross the core's boundary: requests, results, progress, cancellation, errors.

Everything here is plain Python + numpy so a front end can build requests and read results
without importing torch (which costs seconds at start-up).
"""

from __future__ import annotations

import dataclasses
import enum
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar

import numpy as np


class GenArtError(Exception):
    """An error whose message a person can act on; front ends show it as it is."""


class Cancelled(Exception):
    """Raised inside a pipeline when its cancel token was set; not an error."""


class CancelToken:
    """A thread-safe flag the GUI sets and the worker polls between steps.

    Two requests set it: ``cancel()`` (throw the work away) and ``stop_and_keep()`` (end early
    but return what there is). Pipelines that cannot keep a partial result see either as a
    Cancel (``raise_if_cancelled``); those that can ask ``stop_requested()`` instead.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._keep = False

    def cancel(self) -> None:
        with self._lock:
            self._keep = False  # a Cancel after Stop and keep still throws the work away
            self._event.set()

    def stop_and_keep(self) -> None:
        with self._lock:
            if not self._event.is_set():  # a Cancel already asked for stays a Cancel
                # Set before the event, so whoever sees the event set also sees why (stop_requested).
                self._keep = True
                self._event.set()

    @property
    def cancelled(self) -> bool:
        """True after either request: the job is to end now."""
        return self._event.is_set()

    @property
    def keep_partial(self) -> bool:
        """True after stop_and_keep() (and no cancel() since)."""
        return self._keep

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def stop_requested(self) -> bool:
        """For work that can keep a partial result: True after stop_and_keep(); raises Cancelled after cancel()."""
        if not self._event.is_set():
            return False
        if self._keep:
            return True
        raise Cancelled()


@dataclass(frozen=True)
class Progress:
    """One progress report. ``preview`` is an optional small uint8 H×W×C image."""

    step: int
    total: int
    phase: str
    preview: np.ndarray | None = field(default=None, compare=False, repr=False)
    # Pipeline-specific plain values for a front end (e.g. training losses for a plot).
    extras: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def fraction(self) -> float:
        return 0.0 if self.total <= 0 else min(1.0, self.step / self.total)


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class Request:
    """Base of every request. Subclasses are frozen dataclasses of plain values.

    ``pipeline`` names the module whose ``run(request, ctx)`` executes the request; it is
    imported only when the request runs, so building a request never imports torch.
    """

    pipeline: ClassVar[str] = ""
    # Whether the pipeline can end early and return what it has (CancelToken.stop_and_keep).
    supports_stop_and_keep: ClassVar[bool] = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, with the request type, for artwork metadata."""
        return {"type": type(self).__name__, **_plain(self)}


def _plain(value: Any) -> Any:
    # Walks the fields itself: dataclasses.asdict would deep-copy every embedded image first.
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, np.ndarray):
        # Images are described, not embedded: the metadata stays small and JSON-ready.
        return f"{value.shape[1]}×{value.shape[0]} image"
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


@dataclass
class GenerationInfo:
    """How one image was made: written into saved artworks and used to reproduce them."""

    prompt: str = ""
    negative_prompt: str = ""
    steps: int | None = None
    sampler: str | None = None
    cfg_scale: float | None = None
    seed: int | None = None
    width: int | None = None
    height: int | None = None
    model: str | None = None
    # Anything else worth keeping (strength, style names, β, …), shown after the standard fields.
    extra: dict[str, Any] = field(default_factory=dict)
    # The full request that produced the image, as Request.to_dict() gives it.
    request: dict[str, Any] = field(default_factory=dict)


@dataclass
class Result:
    """What a pipeline returns: images (uint8 H×W×C) with one GenerationInfo each."""

    images: list[np.ndarray]
    infos: list[GenerationInfo]
    # Pipeline-specific plain values (final losses, checkpoint paths, …).
    extras: dict[str, Any] = field(default_factory=dict)
    # Set when Stop and keep ended the job early: where, for people ("at step 7/20",
    # "after image 1/3"). The stopped image's info also says "Stopped at step".
    stopped: str = ""
    # Things a person should know about these images (a safety checker blacked one out, …).
    notes: list[str] = field(default_factory=list)
