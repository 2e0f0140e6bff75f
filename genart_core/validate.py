"""Small typed readers for data read back from disk: JSON files, settings values, cards.

Everything the app reads back (history entries, the model registry, model cards, settings, style
lists, recent files) passes through these before the rest of the code sees it. Each reader either
returns a value of the promised type within the promised bounds or raises InvalidDataError (a
GenArtError) whose message names the field and what was wrong, so a caller can skip or reset that
one item with a log line and carry on. Nothing here imports Qt or torch.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

from genart_core.api import GenArtError

# Our own files are a few KB; a megabyte is far beyond any honest one.
DEFAULT_MAX_BYTES = 1_000_000
# Our files nest a handful of levels; Python's json parser recurses, so deep nesting must be
# refused before it is parsed (100,000 levels would raise RecursionError, not ValueError).
DEFAULT_MAX_DEPTH = 32
DEFAULT_MAX_TEXT = 10_000

# JSON strings (with escapes), removed before counting brackets so "[" inside a text is not nesting.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class InvalidDataError(GenArtError):
    """Data read back from disk is not what it should be; the message says which part and why."""


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def read_file_bytes(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a regular file no larger than ``max_bytes`` (a named pipe or device is refused,
    since reading one can block forever)."""
    path = Path(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise InvalidDataError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    if not stat.S_ISREG(info.st_mode):
        raise InvalidDataError(f"{path} is not a regular file.")
    if info.st_size > max_bytes:
        raise InvalidDataError(f"{path} is {info.st_size:,} bytes; at most {max_bytes:,} are read.")
    try:
        with open(path, "rb") as file:
            data = file.read(max_bytes + 1)  # the file may have grown since stat()
    except OSError as exc:
        raise InvalidDataError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    if len(data) > max_bytes:
        raise InvalidDataError(f"{path} is larger than {max_bytes:,} bytes.")
    return data


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (strings ignored), in linear time."""
    depth = deepest = 0
    for char in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):  # the loop sees brackets only
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json(
    data: bytes | str, what: str, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH, allow_nan: bool = False
) -> Any:
    """Parse JSON text (UTF-8 bytes or str) with a size and nesting limit. NaN and Infinity (which
    Python's json writes for such floats) are refused, unless ``allow_nan``: then they are read as
    floats, for a caller that checks each field itself and resets only the bad one."""
    if len(data) > max_bytes:
        raise InvalidDataError(f"{what} is {len(data):,} bytes; at most {max_bytes:,} are read.")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise InvalidDataError(f"{what} is not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
    depth = json_depth(text)
    if depth > max_depth:
        raise InvalidDataError(f"{what} nests {depth} levels deep; at most {max_depth} are read.")
    try:
        return json.loads(text) if allow_nan else json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise InvalidDataError(f"{what} is not valid JSON ({exc}).") from None


def read_json_file(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """The JSON value in a file, within the size and nesting limits, or InvalidDataError.
    A missing file raises FileNotFoundError, so callers can tell "none yet" from "damaged"."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    return parse_json(read_file_bytes(path, max_bytes), str(path), max_bytes, max_depth)


def as_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidDataError(f"{what} should be an object, not {_describe(value)}.")
    return value


def as_list(value: Any, what: str, max_items: int = 10_000) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidDataError(f"{what} should be a list, not {_describe(value)}.")
    if len(value) > max_items:
        raise InvalidDataError(f"{what} has {len(value):,} items; at most {max_items:,} are read.")
    return value


def as_str(value: Any, what: str, max_len: int = DEFAULT_MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise InvalidDataError(f"{what} should be text, not {_describe(value)}.")
    if len(value) > max_len:
        raise InvalidDataError(f"{what} is {len(value):,} characters long; at most {max_len:,} are kept.")
    return value


def as_path_text(value: Any, what: str, max_len: int = 4_096) -> str:
    """Text usable as a file path: no NUL byte (os functions raise ValueError on one)."""
    text = as_str(value, what, max_len)
    if "\0" in text:
        raise InvalidDataError(f"{what} contains a NUL character, so it cannot be a file path.")
    return text


def as_bool(value: Any, what: str) -> bool:
    # QSettings' INI files give booleans back as the text "true"/"false".
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise InvalidDataError(f"{what} should be true or false, not {_describe(value)}.")


def as_int(value: Any, what: str, lo: int, hi: int, from_text: bool = False) -> int:
    """An integer in [lo, hi]. Integral floats (28.0) count; ``from_text`` also takes digits in a
    string (as QSettings' INI files give numbers back)."""
    if from_text and isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d{1,20}\s*", value):
        value = int(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidDataError(f"{what} should be a whole number, not {_describe(value)}.")
    if not lo <= value <= hi:
        raise InvalidDataError(f"{what} is {_describe(value)}; it should be between {lo:,} and {hi:,}.")
    return value


def as_float(value: Any, what: str, lo: float = -math.inf, hi: float = math.inf, from_text: bool = False) -> float:
    """A finite number in [lo, hi] (NaN and infinities are refused)."""
    if from_text and isinstance(value, str) and len(value) <= 40:
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidDataError(f"{what} should be a number, not {_describe(value)}.")
    number = float(value) if abs(value) < 1e308 else math.inf  # huge ints would overflow float()
    if not math.isfinite(number):
        raise InvalidDataError(f"{what} is {_describe(value)}; it should be a finite number.")
    if not lo <= number <= hi:
        raise InvalidDataError(f"{what} is {_describe(value)}; it should be between {lo:g} and {hi:g}.")
    return number


def as_json_value(
    value: Any, what: str, max_depth: int = DEFAULT_MAX_DEPTH, max_items: int = 10_000, max_text: int | None = None
) -> Any:
    """A plain JSON value (dicts with text keys, lists, text, finite numbers, booleans, None) with
    bounded nesting and size (and, given ``max_text``, texts no longer than that): for free-form
    parts such as a request stored beside an image."""
    budget = [max_items]

    def check(node: Any, depth: int) -> None:
        budget[0] -= 1
        if budget[0] < 0:
            raise InvalidDataError(f"{what} holds more than {max_items:,} values.")
        if depth > max_depth:
            raise InvalidDataError(f"{what} nests more than {max_depth} levels deep.")
        if isinstance(node, dict):
            for key, item in node.items():
                if not isinstance(key, str):
                    raise InvalidDataError(f"{what} has a key that is not text ({_describe(key)}).")
                check(item, depth + 1)
        elif isinstance(node, list):
            for item in node:
                check(item, depth + 1)
        elif isinstance(node, str) and max_text is not None and len(node) > max_text:
            raise InvalidDataError(f"{what} holds a text of {len(node):,} characters; at most {max_text:,} are kept.")
        elif isinstance(node, float) and not math.isfinite(node):
            raise InvalidDataError(f"{what} holds {node!r}, which is not a finite number.")
        elif node is not None and not isinstance(node, (str, int, float, bool)):
            raise InvalidDataError(f"{what} holds a {type(node).__name__}, which is not plain data.")

    check(value, 0)
    return value
