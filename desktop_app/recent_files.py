"""File > Open Recent: the last documents opened or saved, kept in QSettings."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QMenu, QWidget

from desktop_app import settings
from genart_core import validate

log = logging.getLogger(__name__)

MAX_RECENT = 10
_KEY = "recent/files"


def recent_files() -> list[str]:
    """The remembered paths, newest first; anything in the store that is not a path is left out."""
    value = settings.settings().value(_KEY, [])
    if isinstance(value, str):  # QSettings returns a lone string for a one-item list on some back ends
        value = [value] if value else []
    if not isinstance(value, list):
        log.warning("Ignoring the recent files list: it holds %s, not a list", type(value).__name__)
        return []
    files: list[str] = []
    for item in value[: 10 * MAX_RECENT]:
        try:
            path = validate.as_path_text(item, "A recent file")
        except validate.InvalidDataError as exc:
            log.warning("%s It is left out.", exc)
            continue
        if path and path not in files:
            files.append(path)
    return files[:MAX_RECENT]


def add_recent(path: str | Path) -> None:
    path = str(Path(path).resolve())
    files = [path] + [existing for existing in recent_files() if existing != path]
    settings.settings().setValue(_KEY, files[:MAX_RECENT])


def remove_recent(path: str | Path) -> None:
    settings.settings().setValue(_KEY, [existing for existing in recent_files() if existing != str(path)])


class RecentFilesMenu(QMenu):
    """Rebuilt each time it opens; files that no longer exist are shown disabled."""

    open_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Open &Recent", parent)
        self.aboutToShow.connect(self.rebuild)
        self.rebuild()

    @Slot()
    def rebuild(self) -> None:
        self.clear()
        files = recent_files()
        for index, path in enumerate(files):
            action = self.addAction(f"&{index + 1} {Path(path).name}" if index < 9 else Path(path).name)
            action.setToolTip(path)
            action.setEnabled(Path(path).exists())
            action.triggered.connect(lambda _checked=False, p=path: self.open_requested.emit(p))
        if files:
            self.addSeparator()
            self.addAction("Clear List").triggered.connect(self._clear)
        else:
            self.addAction("No recent files").setEnabled(False)

    @Slot()
    def _clear(self) -> None:
        settings.settings().setValue(_KEY, [])
        self.rebuild()
