"""Persistent user choices (QSettings): window geometry and dock layout, last folders, the prompt panel."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

from genart_core import validate

log = logging.getLogger(__name__)

ORGANISATION = "GenArtStudio"
APPLICATION = "GenArt Studio"
_LAYOUT_VERSION = 2  # bump when docks are added or renamed, so an old layout is not restored


def settings() -> QSettings:
    return QSettings(ORGANISATION, APPLICATION)


def restore_window(window: QMainWindow) -> bool:
    store = settings()
    geometry = store.value("window/geometry")
    state = store.value("window/state")
    restored = isinstance(geometry, QByteArray) and window.restoreGeometry(geometry)
    if isinstance(state, QByteArray):
        window.restoreState(state, _LAYOUT_VERSION)
    return bool(restored)


def save_window(window: QMainWindow) -> None:
    store = settings()
    store.setValue("window/geometry", window.saveGeometry())
    store.setValue("window/state", window.saveState(_LAYOUT_VERSION))


def last_folder(kind: str) -> str:
    folder = settings().value(f"folders/{kind}", "")
    try:
        folder = validate.as_path_text(folder, f"The remembered {kind} folder")
    except validate.InvalidDataError as exc:
        log.warning("%s Starting in the home folder.", exc)
        return str(Path.home())
    return folder if folder and Path(folder).is_dir() else str(Path.home())


def remember_folder(kind: str, file_path: str) -> None:
    settings().setValue(f"folders/{kind}", str(Path(file_path).parent))


def int_setting(key: str, default: int, lo: int, hi: int) -> int:
    """A whole number kept in the settings, or ``default`` (with a log line) when the stored value
    is missing, not a number or outside [lo, hi]."""
    value = settings().value(key, default)
    try:
        return validate.as_int(value, f"The setting {key}", lo, hi, from_text=True)
    except validate.InvalidDataError as exc:
        log.warning("%s Using %s.", exc, default)
        return default


# The prompt panel's remembered choices: each field's reader, with bounds wide enough for any
# widget that shows it (the widget clamps further) and narrow enough for a C int and for round().
MAX_REMEMBERED_PROMPT = 10_000  # characters; a longer prompt is not worth a slow settings file
# The stored JSON: two capped prompts (escapes can double them) and short fields; more is damage.
_MAX_STORED_CHOICES = 100_000
_CHOICE_READERS: dict[str, Callable[[Any, str], Any]] = {
    "model_key": lambda value, what: validate.as_str(value, what, 4_096),
    "prompt": lambda value, what: validate.as_str(value, what, MAX_REMEMBERED_PROMPT),
    "negative_prompt": lambda value, what: validate.as_str(value, what, MAX_REMEMBERED_PROMPT),
    "seed": lambda value, what: validate.as_int(value, what, 0, 2**63 - 1),
    "steps": lambda value, what: validate.as_int(value, what, 1, 10_000),
    "guidance": lambda value, what: validate.as_float(value, what, 0.0, 1_000.0),
    "width": lambda value, what: validate.as_int(value, what, 1, 1 << 16),
    "height": lambda value, what: validate.as_int(value, what, 1, 1 << 16),
    "count": lambda value, what: validate.as_int(value, what, 1, 1_000),
    "scheduler": lambda value, what: validate.as_str(value, what, 100),
    "strength": lambda value, what: validate.as_float(value, what, 0.0, 1.0),
    "fast_decoder": validate.as_bool,
    "safety_checker": validate.as_bool,
    "hires": validate.as_bool,
    "hires_scale": lambda value, what: validate.as_float(value, what, 1.0, 4.0),
    "hires_denoise": lambda value, what: validate.as_float(value, what, 0.0, 1.0),
    "hires_upscaler": lambda value, what: validate.as_str(value, what, 4_096),
}


def _valid_choices(values: Any) -> dict[str, Any]:
    """The fields of ``values`` that pass their reader; the others are dropped with a log line."""
    if not isinstance(values, dict):
        log.warning("Ignoring the remembered prompt choices: not an object")
        return {}
    valid = {}
    for name, read in _CHOICE_READERS.items():
        if name not in values:
            continue
        try:
            valid[name] = read(values[name], f"The remembered {name}")
        except validate.InvalidDataError as exc:
            log.warning("%s It is reset.", exc)
    return valid


def prompt_choices() -> dict:
    """The prompt panel's last choices, field by field as valid as when they were kept; {} when
    none were kept or they cannot be read."""
    raw = settings().value("prompt/choices", "")
    if not raw:
        return {}
    try:
        text = validate.as_str(raw, "The remembered prompt choices", _MAX_STORED_CHOICES)
        values = validate.parse_json(text, "The remembered prompt choices", allow_nan=True)
    except validate.InvalidDataError as exc:
        log.warning("%s They are reset.", exc)
        return {}
    return _valid_choices(values)


def remember_prompt_choices(values: dict) -> None:
    """Keep the choices for the next start; prompts beyond MAX_REMEMBERED_PROMPT characters are cut there."""
    kept = dict(values)
    for name in ("prompt", "negative_prompt"):
        if isinstance(kept.get(name), str):
            kept[name] = kept[name][:MAX_REMEMBERED_PROMPT]
    settings().setValue("prompt/choices", json.dumps(_valid_choices(kept), ensure_ascii=False))
