"""A GenerationInfo rebuilt from a stored JSON object (history entries, the ``genart`` PNG chunk).

Each field is checked on its own: a field of the wrong type or out of range is dropped with a log
line and the rest is kept, so one odd value never costs the user the whole record.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from genart_core.api import GenerationInfo
from genart_core.validate import InvalidDataError, as_dict, as_float, as_int, as_json_value, as_str

log = logging.getLogger(__name__)

MAX_PROMPT = 100_000  # characters; far beyond any prompt a model reads (77 tokens)
MAX_NAME = 1_000
MAX_SIDE = 1 << 16
MAX_STEPS = 100_000
MAX_SEED = 2**64 - 1

_READERS: dict[str, Callable[[Any, str], Any]] = {
    "prompt": lambda value, what: as_str(value, what, MAX_PROMPT),
    "negative_prompt": lambda value, what: as_str(value, what, MAX_PROMPT),
    "steps": lambda value, what: as_int(value, what, 0, MAX_STEPS),
    "sampler": lambda value, what: as_str(value, what, MAX_NAME),
    "cfg_scale": lambda value, what: as_float(value, what, -1e4, 1e4),
    "seed": lambda value, what: as_int(value, what, -(2**63), MAX_SEED),
    "width": lambda value, what: as_int(value, what, 1, MAX_SIDE),
    "height": lambda value, what: as_int(value, what, 1, MAX_SIDE),
    "model": lambda value, what: as_str(value, what, MAX_NAME),
    "extra": lambda value, what: as_json_value(as_dict(value, what), what),
    "request": lambda value, what: as_json_value(as_dict(value, what), what),
}


def info_from_record(value: Any, what: str) -> GenerationInfo:
    """The GenerationInfo in ``value``; raises InvalidDataError only when ``value`` is not an object.
    Unknown keys are ignored; bad fields fall back to their defaults (None, "" or {})."""
    record = as_dict(value, what)
    fields: dict[str, Any] = {}
    for name, read in _READERS.items():
        if record.get(name) is None:
            continue
        try:
            fields[name] = read(record[name], f"{what}: {name}")
        except InvalidDataError as exc:
            log.warning("Dropped a field: %s", exc)
    return GenerationInfo(**fields)
