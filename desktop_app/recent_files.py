"""File > Open Recent: the last documents opened or saved, kept in QSettings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QMenu, QWidget

from desktop_app import settings

MAX_RECENT = 10
_KEY = "recent/files"


def recent_files() -> list[str]:
    value = settings.settings().value(_KEY, [])
    if isinstance(value, str):  # QSettings returns a lone string for a one-item list on some back ends
        value = [value]
    return [str(path) for path in value or []]


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
