"""A prompts file for ``genart batch generate``: one prompt a line, blank lines and lines starting
with # ignored. This is the file's edge: each line becomes a prompt or a message saying why it
cannot be one, so one bad line is reported and the others go on."""

from __future__ import annotations

from pathlib import Path

from genart_core.api import GenArtError

MAX_FILE_BYTES = 10_000_000
MAX_PROMPT_CHARS = 2_000  # far beyond what a text encoder reads (77 tokens), short of a pasted essay


def read_prompts(path: Path) -> tuple[list[tuple[int, str]], dict[str, str]]:
    """((line number, prompt) for the good lines, {"line N": why} for the bad ones)."""
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        raise GenArtError(f"{path} is a folder; give a text file with one prompt a line.") from None
    except OSError as exc:
        raise GenArtError(f"Could not read the prompts file {path}: {exc.strerror or exc}.") from None
    if len(data) > MAX_FILE_BYTES:
        raise GenArtError(f"{path} is larger than {MAX_FILE_BYTES:,} bytes; a prompts file has one short prompt a line.")
    prompts, bad = [], {}
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8").strip()
        except UnicodeDecodeError:
            bad[f"line {number}"] = "it is not UTF-8 text."
            continue
        if not text or text.startswith("#"):
            continue
        if len(text) > MAX_PROMPT_CHARS:
            bad[f"line {number}"] = f"it is {len(text):,} characters long; a prompt may have {MAX_PROMPT_CHARS:,}."
        elif any(ord(char) < 32 and char != "\t" for char in text):
            bad[f"line {number}"] = "it holds control characters; is this a text file?"
        else:
            prompts.append((number, text))
    if not prompts and not bad:
        raise GenArtError(f"{path} holds no prompts: write one prompt a line.")
    return prompts, bad
