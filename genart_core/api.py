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
    """A thread-safe flag the GUI sets and the worker polls between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
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
