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

import dataclasses
import json
import logging
import ntpath
import posixpath
from typing import Any, Callable

from genart_core.api import GenerationInfo
from genart_core.validate import InvalidDataError, as_dict, as_float, as_int, as_json_value, as_str

log = logging.getLogger(__name__)

MAX_CHUNK_CHARS = 1_000_000  # the JSON text of one chunk; ours are a few KB
MAX_PROMPT_CHARS = 100_000  # far beyond any prompt a model reads
MAX_NAME_CHARS = 1_000
MAX_DEPTH = 16  # nesting of extras and the request; ours nest three levels
MAX_ITEMS = 10_000  # values in the extras or the request, all levels together
MAX_SIDE = 1 << 16
MAX_STEPS = 100_000
MAX_SEED = 2**64 - 1


def _text(limit: int) -> Callable[[Any, str], str]:
    def read(value: Any, what: str) -> str:
        # Another tool may write a prompt or model name made only of digits as a JSON number.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        return as_str(value, what, limit)

    return read


def _plain_object(value: Any, what: str) -> dict[str, Any]:
    """Extras and the request: an object of plain JSON values within the nesting, size and
    text-length limits."""
    return as_json_value(as_dict(value, what), what, MAX_DEPTH, MAX_ITEMS, MAX_PROMPT_CHARS)


_FIELDS: dict[str, Callable[[Any, str], Any]] = {
    "prompt": _text(MAX_PROMPT_CHARS),
    "negative_prompt": _text(MAX_PROMPT_CHARS),
    "steps": lambda value, what: as_int(value, what, 0, MAX_STEPS),
    "sampler": _text(MAX_NAME_CHARS),
    "cfg_scale": lambda value, what: as_float(value, what, -1e4, 1e4),
    "seed": lambda value, what: as_int(value, what, -(2**63), MAX_SEED),
    "width": lambda value, what: as_int(value, what, 1, MAX_SIDE),
    "height": lambda value, what: as_int(value, what, 1, MAX_SIDE),
    "model": _text(MAX_NAME_CHARS),
    "extra": _plain_object,
    "request": _plain_object,
}


def info_from_dict(record: Any, source: str = "metadata") -> GenerationInfo | None:
    """The GenerationInfo in ``record`` with every unusable field dropped (logged); None if
    ``record`` is not an object at all. ``source`` names the file (or history entry) for the log."""
    if not isinstance(record, dict):
        log.warning("Ignoring %s: expected an object, found %s", source, type(record).__name__)
        return None
    fields: dict[str, Any] = {}
    for name, read in _FIELDS.items():
        if record.get(name) is None:
            continue
        try:
            fields[name] = read(record[name], name)
        except InvalidDataError as exc:
            log.warning("Dropped “%s” from %s: %s", name, source, exc)
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
    return dataclasses.replace(
        info, model=_without_folders(info.model), extra=_without_folders(info.extra), request=_without_folders(info.request)
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
