"""Saving and reading artworks with how they were made.

PNG files get two text chunks: ``parameters`` in the AUTOMATIC1111 layout that most Stable
Diffusion tools read and write, and ``genart`` with our full request as JSON. JPEG and WebP get
the ``parameters`` text in EXIF UserComment, as those tools do. All writes are atomic.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, PngImagePlugin

from genart_core.api import GenArtError, GenerationInfo
from genart_core.atomic import write_bytes_atomic
from genart_core.imaging import to_pil, to_rgb

FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
_EXIF_USER_COMMENT = 0x9286
_EXIF_IFD = 0x8769
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
        fields.append(f"Model: {info.model}")
    for key, value in info.extra.items():
        text = json.dumps(value) if isinstance(value, (dict, list)) or "," in str(value) else str(value)
        fields.append(f"{key}: {text}")
    if fields:
        lines.append(", ".join(fields))
    return "\n".join(lines)


# "Key: value" pairs separated by commas; a value may be a double-quoted string with commas.
_PAIR = re.compile(r'\s*([\w][\w \-/()]*):\s*("(?:\\.|[^\\"])*"|\[[^\]]*\]|\{[^}]*\}|[^,]*)(?:,|$)')


def parse_parameters(text: str) -> GenerationInfo:
    """Read AUTOMATIC1111 ``parameters`` text (ours or another tool's) back into a GenerationInfo."""
    lines = text.strip().split("\n")
    settings_line = lines.pop() if _is_settings_line(lines) else ""
    prompt_lines: list[str] = []
    negative_lines: list[str] = []
    for line in lines:
        if line.startswith("Negative prompt:") or negative_lines:
            negative_lines.append(line.removeprefix("Negative prompt:").strip() if not negative_lines else line)
        else:
            prompt_lines.append(line)
    info = GenerationInfo(prompt="\n".join(prompt_lines).strip(), negative_prompt="\n".join(negative_lines).strip())
    for key, raw in _PAIR.findall(settings_line):
        key, value = key.strip(), raw.strip()
        if value.startswith('"') and value.endswith('"'):
            value = json.loads(value)
        _assign(info, key, value)
    return info


def _is_settings_line(lines: list[str]) -> bool:
    """A1111 puts the settings last, starting with "Steps:"; ours may start with another key."""
    last = lines[-1] if lines else ""
    if last.startswith("Steps: "):
        return True
    return len(lines) > 1 and not last.startswith("Negative prompt:") and bool(re.match(r"[A-Z][\w ]*: ", last))


def _assign(info: GenerationInfo, key: str, value: str) -> None:
    converters = {"Steps": ("steps", int), "CFG scale": ("cfg_scale", float), "Seed": ("seed", int)}
    try:
        if key in converters:
            attribute, convert = converters[key]
            setattr(info, attribute, convert(value))
        elif key == "Sampler":
            info.sampler = value
        elif key == "Model":
            info.model = value
        elif key == "Size" and "x" in value:
            width, height = value.split("x", 1)
            info.width, info.height = int(width), int(height)
        else:
            info.extra[key] = _maybe_json(value)
    except ValueError:
        info.extra[key] = value


def _maybe_json(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            pass
    return value


def encode_artwork(image: np.ndarray, info: GenerationInfo | None, fmt: str, quality: int = 95) -> bytes:
    """The file's bytes in ``fmt`` ('PNG', 'JPEG', 'WEBP'), metadata included."""
    picture = to_pil(image if fmt != "JPEG" else to_rgb(image))
    buffer = io.BytesIO()
    if fmt == "PNG":
        png_info = PngImagePlugin.PngInfo()
        if info is not None:
            png_info.add_text("parameters", format_parameters(info))
            png_info.add_itxt("genart", json.dumps(dataclasses.asdict(info)))
        picture.save(buffer, "PNG", pnginfo=png_info, compress_level=6)
    else:
        exif = Image.Exif()
        if info is not None:
            # EXIF UserComment: an 8-byte charset header, then the text (UTF-16 as A1111 writes it).
            exif.get_ifd(_EXIF_IFD)[_EXIF_USER_COMMENT] = b"UNICODE\0" + format_parameters(info).encode("utf-16-be")
        picture.save(buffer, fmt, quality=quality, exif=exif.tobytes())
    return buffer.getvalue()


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
    image = path_or_image if isinstance(path_or_image, Image.Image) else Image.open(path_or_image)
    text = image.info.get("parameters") if hasattr(image, "info") else None
    if text:
        return str(text)
    comment = image.getexif().get_ifd(_EXIF_IFD).get(_EXIF_USER_COMMENT)
    if isinstance(comment, bytes) and len(comment) > 8:
        header, body = comment[:8], comment[8:]
        return body.decode("utf-16-be" if header.startswith(b"UNICODE") else "utf-8", errors="replace")
    if isinstance(comment, str):
        return comment
    return None


def read_generation_info(path: str | Path) -> GenerationInfo | None:
    """How a saved artwork was made: our JSON chunk if present, else the parameters text."""
    with Image.open(path) as image:
        ours = image.info.get("genart")
        if ours:
            try:
                return GenerationInfo(**json.loads(ours))
            except (ValueError, TypeError):
                pass  # a damaged chunk: fall back to the parameters text
        text = read_parameters_text(image)
    return parse_parameters(text) if text else None
