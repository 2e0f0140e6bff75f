"""The typed readers every file read back goes through."""

from __future__ import annotations

import math
import os

import pytest

from genart_core.validate import (
    InvalidDataError,
    as_bool,
    as_float,
    as_int,
    as_json_value,
    as_str,
    parse_json,
    read_json_file,
)


def test_read_json_file_returns_the_value(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('{"name": "x [not nesting]", "n": [1, 2]}', encoding="utf-8")
    assert read_json_file(path) == {"name": "x [not nesting]", "n": [1, 2]}


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_json_file(tmp_path / "none.json")


@pytest.mark.parametrize(
    "data, why",
    [
        (b"[" * 100_000 + b"]" * 100_000, "nests"),
        (b'{"a": NaN}', "not valid JSON"),
        (b'{"a": Infinity}', "not valid JSON"),
        (b'{"a": \xff\xfe}', "not UTF-8"),
        (b'{"a": ', "not valid JSON"),
    ],
)
def test_damaged_json_is_refused_with_a_reason(tmp_path, data, why):
    path = tmp_path / "bad.json"
    path.write_bytes(data)
    with pytest.raises(InvalidDataError, match=why):
        read_json_file(path)


def test_oversized_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 2_000)
    with pytest.raises(InvalidDataError, match="at most 1,000 are read"):
        read_json_file(path, max_bytes=1_000)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
def test_a_named_pipe_is_refused_not_read(tmp_path):
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    with pytest.raises(InvalidDataError, match="not a regular file"):
        read_json_file(pipe)


def test_as_int_bounds_and_types():
    assert as_int(28, "size", 1, 64) == 28
    assert as_int(28.0, "size", 1, 64) == 28
    assert as_int("12", "steps", 1, 200, from_text=True) == 12
    for bad in (True, "12", 1e11, 28.5, None, [1], -4):
        with pytest.raises(InvalidDataError, match="size"):
            as_int(bad, "size", 1, 64)


def test_as_float_refuses_nan_infinity_and_huge_numbers():
    assert as_float(0.5, "strength", 0, 1) == 0.5
    assert as_float("0.25", "strength", 0, 1, from_text=True) == 0.25
    for bad in (math.nan, math.inf, 1e300, 10**400, "0.5", False):
        with pytest.raises(InvalidDataError, match="strength"):
            as_float(bad, "strength", 0, 1e6)


def test_as_str_and_as_bool():
    assert as_str("hi", "name") == "hi"
    with pytest.raises(InvalidDataError, match="name should be text"):
        as_str(5, "name")
    with pytest.raises(InvalidDataError, match="at most 3"):
        as_str("long", "name", max_len=3)
    assert as_bool("true", "flag") is True and as_bool(False, "flag") is False
    with pytest.raises(InvalidDataError):
        as_bool(1, "flag")


def test_as_json_value_bounds_nesting_and_plain_types():
    assert as_json_value({"a": [1, "x", None, 2.5]}, "request") == {"a": [1, "x", None, 2.5]}
    deep: list = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(InvalidDataError, match="nests"):
        as_json_value(deep, "request")
    with pytest.raises(InvalidDataError, match="finite"):
        as_json_value({"a": math.nan}, "request")
    with pytest.raises(InvalidDataError, match="plain data"):
        as_json_value({"a": object()}, "request")


def test_parse_json_is_linear_enough_for_a_megabyte():
    text = '["' + "[" * 900_000 + '"]'  # brackets inside a string are not nesting
    assert len(parse_json(text, "text")[0]) == 900_000
