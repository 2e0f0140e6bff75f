"""Persistent user choices (QSettings): window geometry and dock layout, last folders, the prompt panel."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

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
    return str(folder) if folder and Path(str(folder)).is_dir() else str(Path.home())


def remember_folder(kind: str, file_path: str) -> None:
    settings().setValue(f"folders/{kind}", str(Path(file_path).parent))


def prompt_choices() -> dict:
    """The prompt panel's last choices, or {} when none were kept or they cannot be read."""
    raw = settings().value("prompt/choices", "")
    try:
        values = json.loads(str(raw)) if raw else {}
    except ValueError:
        return {}
    return values if isinstance(values, dict) else {}


def remember_prompt_choices(values: dict) -> None:
    settings().setValue("prompt/choices", json.dumps(values))
