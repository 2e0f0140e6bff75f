"""The prompts file of `genart batch generate`: good lines become prompts, bad ones a reason each."""

from __future__ import annotations

import pytest

from genart_core.api import GenArtError
from genart_core.prompts_file import MAX_PROMPT_CHARS, read_prompts


def test_lines_become_prompts_and_bad_lines_say_why(tmp_path) -> None:
    path = tmp_path / "prompts.txt"
    long_line = "x" * (MAX_PROMPT_CHARS + 1)
    path.write_bytes("\ufeffdigit 3\r\n# a comment\n\n  circle  \n".encode() + b"\xff\xfe\n" + f"{long_line}\nbell\x07\n".encode())
    prompts, bad = read_prompts(path)
    assert prompts == [(1, "digit 3"), (4, "circle")]
    assert bad == {
        "line 5": "it is not UTF-8 text.",
        "line 6": f"it is {MAX_PROMPT_CHARS + 1:,} characters long; a prompt may have {MAX_PROMPT_CHARS:,}.",
        "line 7": "it holds control characters; is this a text file?",
    }


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_text("\n# only a comment\n"), "holds no prompts"),
    (lambda p: p.mkdir(), "is a folder"),
    (lambda p: None, "Could not read the prompts file"),
])
def test_a_file_without_prompts_is_a_clear_error(tmp_path, make, message) -> None:
    path = tmp_path / "prompts.txt"
    make(path)
    with pytest.raises(GenArtError, match=message):
        read_prompts(path)


def test_a_huge_file_is_refused_before_it_is_split(tmp_path, monkeypatch) -> None:
    from genart_core import prompts_file

    monkeypatch.setattr(prompts_file, "MAX_FILE_BYTES", 100)
    path = tmp_path / "prompts.txt"
    path.write_text("digit 1\n" * 20)
    with pytest.raises(GenArtError, match="larger than 100 bytes"):
        read_prompts(path)
