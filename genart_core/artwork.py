"""Saving and reading artworks with how they were made.

PNG files get two text chunks: ``parameters`` in the AUTOMATIC1111 layout that most Stable
Diffusion tools read and write, and ``genart`` with our full request as JSON. JPEG and WebP get
the ``parameters`` text in EXIF UserComment, as those tools do, and the same JSON in EXIF
MakerNote (a field viewers do not show as a caption), so Reproduce restores every family from them
too, not only what the text layout can say. All writes are atomic.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, PngImagePlugin

from genart_core.api import GenArtError, GenerationInfo
from genart_core.atomic import write_bytes_atomic
from genart_core.imaging import to_pil, to_rgb
from genart_core.metadata import info_from_dict, info_from_json, shareable

FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
log = logging.getLogger(__name__)

_EXIF_USER_COMMENT = 0x9286
_EXIF_MAKER_NOTE = 0x927C
_EXIF_IFD = 0x8769
_MAKER_NOTE_PREFIX = b"GENART\0"
# A JPEG's EXIF segment holds at most 64 KiB in all: the text gets up to 32 KB (a longer prompt is
# shortened, never a failed save), our JSON what is left; a request too big for that keeps the text.
_EXIF_TEXT_LIMIT = 32_000
_EXIF_TOTAL_LIMIT = 60_000
# The standard fields, in the order AUTOMATIC1111 writes them.
_STANDARD_KEYS = [("Steps", "steps"), ("Sampler", "sampler"), ("CFG scale", "cfg_scale"), ("Seed", "seed")]


def format_parameters(info: GenerationInfo) -> str:
    """The AUTOMATIC1111 ``parameters`` text: prompt, negative prompt, then ``Key: value`` pairs."""
    lines = [info.prompt]
    if info.negative_prompt:
        lines.append(f"Negative prompt: {info.negative_prompt}")
    fields: list[str] = []
    for label, attribute in _STANDARD_KEYS:
        value = getattr(info, attribute)
        if value is not None:
            fields.append(f"{label}: {value}")
    if info.width and info.height:
        fields.append(f"Size: {info.width}x{info.height}")
    if info.model:
        fields.append(f"Model: {_quoted(info.model)}")
    for key, value in info.extra.items():
        text = json.dumps(value, default=str) if isinstance(value, (dict, list, tuple)) else str(value)
        # A key may not hold the separators; the value is quoted when it does (as A1111 does).
        fields.append(f"{_SEPARATORS.sub(' ', str(key)).strip()}: {_quoted(text)}")
    if fields:
        lines.append(", ".join(fields))
    return "\n".join(lines)


_SEPARATORS = re.compile(r"[,:\n]")


def _quoted(text: str) -> str:
    """``text`` as one value of the settings line: JSON-quoted when a comma, colon, quote or line
    break would otherwise split it (A1111's own rule, so its readers and ours agree)."""
    return json.dumps(text, ensure_ascii=False) if any(mark in text for mark in ',:"\n') else text


def parse_parameters(text: str) -> GenerationInfo:
    """Read AUTOMATIC1111 ``parameters`` text (ours or another tool's) back into a GenerationInfo.

    Linear in the length of the text (one pass over the settings line, no backtracking regular
    expression), and bounded: text past MAX_PARAMETERS_CHARS is ignored; every value then goes
    through the same validation as our own ``genart`` chunk.
    """
    if len(text) > MAX_PARAMETERS_CHARS:
        log.warning("Ignoring %s characters of parameters text, at most %s are read", f"{len(text):,}", f"{MAX_PARAMETERS_CHARS:,}")
        return GenerationInfo()
    # Not stripped at the start: with no prompt, the text begins with a line break before the settings.
    lines = text.rstrip().split("\n")
    settings_line = lines.pop() if _is_settings_line(lines) else ""
    prompt_lines: list[str] = []
    negative_lines: list[str] = []
    for line in lines:
        if line.startswith("Negative prompt:") or negative_lines:
            negative_lines.append(line.removeprefix("Negative prompt:").strip() if not negative_lines else line)
        else:
            prompt_lines.append(line)
    record: dict[str, Any] = {"prompt": "\n".join(prompt_lines).strip(), "negative_prompt": "\n".join(negative_lines).strip()}
    extra: dict[str, Any] = {}
    for key, value in settings_pairs(settings_line):
        _assign(record, extra, key, value)
    record["extra"] = extra
    return info_from_dict(record, "the parameters text") or GenerationInfo()


MAX_PARAMETERS_CHARS = 1_000_000  # Pillow refuses larger text chunks anyway
_MAX_KEY_CHARS = 64


def settings_pairs(line: str) -> list[tuple[str, str]]:
    """The ``Key: value`` pairs of a settings line; quoted values are unquoted, bracketed JSON is kept
    as text. Linear time: one pass pairs every quote and bracket, a second walks the pairs."""
    closes = _closing_positions(line)
    pairs: list[tuple[str, str]] = []
    position, end = 0, len(line)
    while position < end:
        window = position + _MAX_KEY_CHARS + 2
        colon = line.find(":", position, window)
        comma = line.find(",", position, colon if colon >= 0 else window)
        if colon < 0 or comma >= 0:  # no key here: skip to the next piece
            comma = line.find(",", position)
            position = end if comma < 0 else comma + 1
            continue
        key = line[position:colon].strip()
        start = colon + 1
        while start < end and line[start] == " ":
            start += 1
        value, position = _read_value(line, start, closes)
        if key:
            pairs.append((key, value))
    return pairs


def _closing_positions(line: str) -> dict[int, int]:
    """Where each double-quoted string and each bracket opened in ``line`` closes (unclosed ones
    are absent). Quoted text is skipped, so a "[" inside a string opens nothing."""
    closes: dict[int, int] = {}
    openings: list[int] = []
    inside_quote_until = -1
    for mark in _MARKS.finditer(line):
        position, character = mark.start(), mark.group()
        if position <= inside_quote_until:
            continue
        if character == '"':
            stop = _closing_quote(line, position)
            if stop < 0:
                break  # the rest of the line is one unclosed string
            closes[position] = inside_quote_until = stop
        elif character in "[{":
            openings.append(position)
        elif openings:
            closes[openings.pop()] = position
    return closes


_MARKS = re.compile(r'["\[\]{}]')


def _closing_quote(line: str, start: int) -> int:
    """The unescaped double quote closing the one at ``start``; -1 if none."""
    stop = _QUOTED_TAIL.match(line, start + 1)
    return stop.end() - 1 if stop else -1


_QUOTED_TAIL = re.compile(r'(?:[^"\\]|\\.)*"', re.DOTALL)


def _read_value(line: str, start: int, closes: dict[int, int]) -> tuple[str, int]:
    """The value starting at ``start`` and the position after its separating comma."""
    stop = closes.get(start)
    if stop is not None and line[start] == '"':
        try:
            return str(json.loads(line[start : stop + 1])), _after_comma(line, stop + 1)
        except ValueError:
            return line[start + 1 : stop], _after_comma(line, stop + 1)
    if stop is not None:  # a JSON list or object, commas and all
        return line[start : stop + 1], _after_comma(line, stop + 1)
    comma = line.find(",", start)
    stop = len(line) if comma < 0 else comma
    return line[start:stop].strip(), stop + 1


def _after_comma(line: str, position: int) -> int:
    comma = line.find(",", position)
    return len(line) if comma < 0 else comma + 1


def _is_settings_line(lines: list[str]) -> bool:
    """A1111 puts the settings last, starting with "Steps:"; ours may start with another key."""
    last = lines[-1] if lines else ""
    if last.startswith("Steps: "):
        return True
    if len(lines) == 1:
        # No prompt (GAN/VAE results): our writer starts the text with a line break; a tool that
        # trims the text leaves one line, which is settings when it starts as only ours do.
        return last.startswith(_FIRST_KEYS_WITHOUT_PROMPT)
    return len(lines) > 1 and not last.startswith("Negative prompt:") and bool(_SETTINGS_START.match(last[: _MAX_KEY_CHARS + 2]))


_FIRST_KEYS_WITHOUT_PROMPT = ("Sampler: ", "CFG scale: ", "Seed: ", "Size: ", "Model: ")
_SETTINGS_START = re.compile(r"[A-Z][\w ]*: ")
_NUMBERS = {"Steps": ("steps", int), "CFG scale": ("cfg_scale", float), "Seed": ("seed", int)}


def _assign(record: dict[str, Any], extra: dict[str, Any], key: str, value: str) -> None:
    """One settings pair into the raw record (validated later); what is not a standard field is an extra."""
    try:
        if key in _NUMBERS:
            attribute, convert = _NUMBERS[key]
            record[attribute] = convert(value)
        elif key in ("Sampler", "Model"):
            record[key.lower()] = value
        elif key == "Size" and "x" in value:
            width, height = value.split("x", 1)
            record["width"], record["height"] = int(width), int(height)
        else:
            extra[key] = _maybe_json(value)
    except ValueError:
        extra[key] = value


def _maybe_json(value: str) -> Any:
    if value[:1] in "[{" and value[-1:] in "]}":
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            pass
    return value


def encode_artwork(image: np.ndarray, info: GenerationInfo | None, fmt: str, quality: int = 95, compress_level: int = 6) -> bytes:
    """The file's bytes in ``fmt`` ('PNG', 'JPEG', 'WEBP'), metadata included (with file names, not
    local paths). ``compress_level`` trades PNG size for speed (autosaves use 1)."""
    picture = to_pil(image if fmt != "JPEG" else to_rgb(image))
    info = shareable(info) if info is not None else None
    buffer = io.BytesIO()
    if fmt == "PNG":
        png_info = PngImagePlugin.PngInfo()
        if info is not None:
            png_info.add_text("parameters", format_parameters(info))
            # default=str: a value a pipeline left as a NumPy scalar must not make the save fail.
            png_info.add_itxt("genart", json.dumps(dataclasses.asdict(info), default=str))
        picture.save(buffer, "PNG", pnginfo=png_info, compress_level=compress_level)
    else:
        exif = Image.Exif()
        if info is not None:
            _add_exif_parameters(exif.get_ifd(_EXIF_IFD), info)
        picture.save(buffer, fmt, quality=quality, exif=exif.tobytes())
    return buffer.getvalue()


def _add_exif_parameters(exif_fields, info: GenerationInfo) -> None:
    """The parameters text in UserComment (an 8-byte charset header, then UTF-16 as A1111 writes it)
    and our JSON in MakerNote, within the EXIF segment's size."""
    comment = b"UNICODE\0" + format_parameters(info).encode("utf-16-be")
    shortened = info
    while len(comment) > _EXIF_TEXT_LIMIT and (shortened.prompt or shortened.negative_prompt):
        longer = "prompt" if len(shortened.prompt) >= len(shortened.negative_prompt) else "negative_prompt"
        text = getattr(shortened, longer)
        shortened = dataclasses.replace(shortened, **{longer: text[: len(text) // 2]})
        comment = b"UNICODE\0" + format_parameters(shortened).encode("utf-16-be")
    if len(comment) > _EXIF_TEXT_LIMIT:
        log.warning("The parameters text is too long for EXIF even without its prompt; the file keeps none.")
        return
    if shortened is not info:
        log.warning("The prompt is too long for a JPEG/WebP's EXIF; the file keeps a shortened one (PNG keeps it whole).")
    exif_fields[_EXIF_USER_COMMENT] = comment
    ours = _MAKER_NOTE_PREFIX + json.dumps(dataclasses.asdict(info), default=str).encode("utf-8")
    if len(comment) + len(ours) <= _EXIF_TOTAL_LIMIT:
        exif_fields[_EXIF_MAKER_NOTE] = ours
    else:
        log.info("The request (%d bytes) is too big for EXIF; only the parameters text is kept.", len(ours))


def format_for_path(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise GenArtError(f"“{Path(path).name}”: choose a .png, .jpg or .webp file name.")
    return FORMATS[suffix]


def save_artwork(path: str | Path, image: np.ndarray, info: GenerationInfo | None = None, quality: int = 95) -> Path:
    """Write ``image`` with its metadata to ``path`` atomically (an existing file survives any failure)."""
    path = Path(path)
    write_bytes_atomic(path, encode_artwork(image, info, format_for_path(path), quality))
    return path


def read_parameters_text(path_or_image: str | Path | Image.Image) -> str | None:
    """The AUTOMATIC1111 ``parameters`` text stored in a PNG, JPEG or WebP, if any."""
    if not isinstance(path_or_image, Image.Image):
        with Image.open(path_or_image) as image:
            return read_parameters_text(image)
    image = path_or_image
    text = image.info.get("parameters")
    if isinstance(text, str) and text:
        return text
    comment = image.getexif().get_ifd(_EXIF_IFD).get(_EXIF_USER_COMMENT)
    if isinstance(comment, bytes) and len(comment) > 8:
        header, body = comment[:8], comment[8:]
        return body.decode("utf-16-be" if header.startswith(b"UNICODE") else "utf-8", errors="replace")
    if isinstance(comment, str):
        return comment
    return None


def read_generation_info(path: str | Path) -> GenerationInfo | None:
    """How a saved artwork was made: our JSON chunk if it is usable, else the parameters text.
    Both are validated (genart_core.metadata): odd values are dropped, never raised."""
    with Image.open(path) as image:
        ours = image.info.get("genart") or _maker_note_json(image)
        if isinstance(ours, (str, bytes)) and ours:
            info = info_from_json(ours)
            if info is not None:
                return info
        text = read_parameters_text(image)
    return parse_parameters(text) if text else None


def _maker_note_json(image: Image.Image) -> bytes | None:
    """Our JSON from a JPEG's or WebP's EXIF MakerNote; None when it holds anything else (a camera's own notes)."""
    try:
        note = image.getexif().get_ifd(_EXIF_IFD).get(_EXIF_MAKER_NOTE)
    except Exception as exc:  # damaged EXIF must not stop reading the picture's parameters text
        log.info("Unreadable EXIF: %s", exc)
        return None
    if isinstance(note, bytes) and note.startswith(_MAKER_NOTE_PREFIX):
        return note[len(_MAKER_NOTE_PREFIX):]
    return None
