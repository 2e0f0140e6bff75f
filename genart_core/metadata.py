"""Generation metadata at the file edge: what a file says about how it was made, turned into a
GenerationInfo we can trust, and the shareable form of an info that is written into artworks.

Reading: the ``genart`` JSON chunk (or the fields parsed from an AUTOMATIC1111 ``parameters``
text) may come from any tool or be hand-edited. Each field is checked on its own; a field of the
wrong type, out of range, too long or nested too deeply is dropped with a log line and the rest is
kept. Past this edge the code trusts the info's types, so a save can never fail because of what an
opened file contained.

Writing: an artwork a user shares must not carry their local folders. ``shareable`` replaces every
absolute path in the request and extras by its file name; the local history keeps its own full
record separately.
"""

from __future__ import annotations

import json
import logging
import math
import ntpath
import posixpath
from typing import Any, Callable

from genart_core.api import GenerationInfo

log = logging.getLogger(__name__)

MAX_CHUNK_CHARS = 1_000_000  # the JSON text of one chunk; ours are a few KB
MAX_PROMPT_CHARS = 100_000  # far beyond any prompt a model reads
MAX_NAME_CHARS = 1_000
MAX_DEPTH = 16  # nesting of extras and the request; ours nest three levels
MAX_ITEMS = 10_000  # values in the extras or the request, all levels together
MAX_SIDE = 1 << 16
MAX_STEPS = 100_000
MAX_SEED = 2**64 - 1


class _Rejected(ValueError):
    """One field's value is unusable; the message says why."""


def _text(limit: int) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        # Another tool may write a prompt or model name made only of digits as a JSON number.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise _Rejected(f"expected text, found {type(value).__name__}")
        if len(value) > limit:
            raise _Rejected(f"{len(value):,} characters, at most {limit:,}")
        return value

    return read


def _integer(low: int, high: int) -> Callable[[Any], int]:
    def read(value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _Rejected(f"expected a whole number, found {type(value).__name__}")
        if not low <= value <= high:
            raise _Rejected(f"{value} is outside {low}…{high}")
        return value

    return read


def _real(low: float, high: float) -> Callable[[Any], float]:
    def read(value: Any) -> float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise _Rejected(f"expected a number, found {type(value).__name__}")
        if not (math.isfinite(value) and low <= value <= high):
            raise _Rejected(f"{value} is outside {low}…{high}")
        return float(value)

    return read


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Rejected(f"expected an object, found {type(value).__name__}")
    budget = [MAX_ITEMS]
    return {str(key): _plain(item, 1, budget) for key, item in value.items()}


def _plain(value: Any, depth: int, budget: list[int]) -> Any:
    """A JSON value within the depth, size and text-length limits (raises _Rejected otherwise)."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _Rejected(f"more than {MAX_ITEMS:,} values")
    if depth > MAX_DEPTH:
        raise _Rejected(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        return {str(key): _plain(item, depth + 1, budget) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item, depth + 1, budget) for item in value]
    if isinstance(value, str):
        return _text(MAX_PROMPT_CHARS)(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise _Rejected(f"{value} is not a finite number")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    raise _Rejected(f"unexpected {type(value).__name__}")


_FIELDS: dict[str, Callable[[Any], Any]] = {
    "prompt": _text(MAX_PROMPT_CHARS),
    "negative_prompt": _text(MAX_PROMPT_CHARS),
    "steps": _integer(0, MAX_STEPS),
    "sampler": _text(MAX_NAME_CHARS),
    "cfg_scale": _real(-1e4, 1e4),
    "seed": _integer(-(2**63), MAX_SEED),
    "width": _integer(1, MAX_SIDE),
    "height": _integer(1, MAX_SIDE),
    "model": _text(MAX_NAME_CHARS),
    "extra": _mapping,
    "request": _mapping,
}


def info_from_dict(record: Any, source: str = "metadata") -> GenerationInfo | None:
    """The GenerationInfo in ``record`` with every unusable field dropped (logged); None if
    ``record`` is not an object at all. ``source`` names the file for the log."""
    if not isinstance(record, dict):
        log.warning("Ignoring %s: expected an object, found %s", source, type(record).__name__)
        return None
    fields: dict[str, Any] = {}
    for name, read in _FIELDS.items():
        if record.get(name) is None:
            continue
        try:
            fields[name] = read(record[name])
        except _Rejected as exc:
            log.warning("Dropped “%s” from %s: %s", name, source, exc)
        except RecursionError:
            log.warning("Dropped “%s” from %s: nested too deeply", name, source)
    return GenerationInfo(**fields)


def info_from_json(text: str | bytes, source: str = "the genart chunk") -> GenerationInfo | None:
    """Our ``genart`` chunk read back; None (logged) when it is not JSON we can use."""
    if len(text) > MAX_CHUNK_CHARS:
        log.warning("Ignoring %s: %s characters, at most %s", source, f"{len(text):,}", f"{MAX_CHUNK_CHARS:,}")
        return None
    try:
        record = json.loads(text)
    except (ValueError, RecursionError) as exc:  # Python's parser recurses: deep nesting raises RecursionError
        log.warning("Ignoring %s: not readable JSON (%s)", source, type(exc).__name__)
        return None
    return info_from_dict(record, source)


# -- writing -------------------------------------------------------------------------------------
def shareable(info: GenerationInfo) -> GenerationInfo:
    """A copy of ``info`` for a saved artwork: absolute paths become file names (privacy); the
    prompts, which are the user's own words, are kept as written."""
    return GenerationInfo(
        prompt=info.prompt,
        negative_prompt=info.negative_prompt,
        steps=info.steps,
        sampler=info.sampler,
        cfg_scale=info.cfg_scale,
        seed=info.seed,
        width=info.width,
        height=info.height,
        model=_without_folders(info.model),
        extra=_without_folders(info.extra),
        request=_without_folders(info.request),
    )


def _without_folders(value: Any) -> Any:
    if isinstance(value, str):
        return file_name_of(value)
    if isinstance(value, dict):
        return {key: item if key in ("prompt", "negative_prompt") else _without_folders(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_folders(item) for item in value]
    return value


def file_name_of(text: str) -> str:
    """``text`` itself, or its last component when it is an absolute path (POSIX, ``~``, Windows
    drive or UNC, ``file://`` URL), on any platform: a file made on Windows is read on Linux too."""
    candidate = text.removeprefix("file://")
    if "\n" in candidate or len(candidate) > 4096:
        return text  # free text, not a path
    if posixpath.isabs(candidate) or candidate.startswith("~") or ntpath.isabs(candidate):
        name = ntpath.basename(candidate.rstrip("/\\")) if "\\" in candidate else posixpath.basename(candidate.rstrip("/"))
        return name or text
    return text
