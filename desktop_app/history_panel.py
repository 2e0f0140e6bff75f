"""The gallery of every result, from this session and earlier ones (genart_core.history).

Results are written to the history folder on a background thread, so a large result never stalls
the window. Double-click opens an entry as a new document; "Reproduce" puts its settings back in
the panel that made it.
"""

from __future__ import annotations

import html
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.image_loading import DecodeCancelled, decode_off_gui_thread
from desktop_app.thumbnails import thumbnail_icon
from genart_core.api import GenArtError, GenerationInfo
from genart_core.artwork import format_parameters
from genart_core.history import HistoryEntry, HistoryStore

log = logging.getLogger(__name__)

ICON = 96
_ENTRY = Qt.ItemDataRole.UserRole


class HistoryPanel(QWidget):
    open_requested = Signal(object, object)  # image (uint8 H×W×3), HistoryEntry
    reproduce_requested = Signal(object)  # GenerationInfo
    failed = Signal(str)  # a message for a person
    _stored = Signal(object)  # HistoryEntry, from the writer thread
    _store_failed = Signal(str)

    def __init__(self, store: HistoryStore | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store or HistoryStore()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="history")
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(ICON, ICON))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setSpacing(4)
        self.list.setWordWrap(True)
        self.list.itemDoubleClicked.connect(self._open_item)
        self.list.currentItemChanged.connect(self._show_details)
        self.details = QLabel("Results of every job appear here.")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(self.open_current)
        self.reproduce_button = QPushButton("Reproduce")
        self.reproduce_button.setToolTip("Restore this result’s settings in the panel that made it")
        self.reproduce_button.clicked.connect(self.reproduce_current)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_current)
        buttons = QHBoxLayout()
        for button in (self.open_button, self.reproduce_button, self.delete_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        self._stored.connect(self._on_stored)
        self._store_failed.connect(self.failed)
        self.reload()

    # -- entries ------------------------------------------------------------------------------
    @Slot()
    def reload(self) -> None:
        self.list.clear()
        for entry in self.store.entries():
            self.list.addItem(self._item(entry))
        self._show_details(self.list.currentItem())

    def _item(self, entry: HistoryEntry) -> QListWidgetItem:
        label = entry.name if len(entry.name) <= 18 else entry.name[:17] + "…"
        item = QListWidgetItem(thumbnail_icon(entry.thumbnail_path, ICON), label)
        item.setData(_ENTRY, entry)
        item.setToolTip(_describe(entry))
        return item

    def record(self, image: np.ndarray, info: GenerationInfo | None, name: str) -> None:
        """Store a result in the background; it appears at the top of the list when written."""
        self._writer.submit(self._write, np.ascontiguousarray(image), info, name)

    def _write(self, image: np.ndarray, info: GenerationInfo | None, name: str) -> None:
        # Runs on the writer thread: only emit signals from here.
        try:
            self._stored.emit(self.store.add(image, info, name))
        except GenArtError as exc:
            self._store_failed.emit(f"The result was not added to the history: {exc}")
        except Exception as exc:  # noqa: BLE001 - a failed write must never take the app down
            log.exception("Writing a history entry failed")
            self._store_failed.emit(f"The result was not added to the history: {exc}")

    @Slot(object)
    def _on_stored(self, entry: HistoryEntry) -> None:
        self.list.insertItem(0, self._item(entry))

    def wait_for_writes(self) -> None:
        """Block until queued results are on disk (used on close and by tests)."""
        self._writer.submit(lambda: None).result()

    def shutdown(self) -> None:
        self._writer.shutdown(wait=True)

    def current_entry(self) -> HistoryEntry | None:
        item = self.list.currentItem()
        return item.data(_ENTRY) if item is not None else None

    # -- actions ------------------------------------------------------------------------------
    @Slot(QListWidgetItem)
    def _open_item(self, item: QListWidgetItem) -> None:
        self.list.setCurrentItem(item)
        self.open_current()

    @Slot()
    def open_current(self) -> None:
        entry = self.current_entry()
        if entry is None:
            return
        try:
            image = decode_off_gui_thread(self, lambda path: self.store.load_image(entry), entry.image_path)
        except DecodeCancelled:
            return  # the user's choice, not damage: the entry stays
        except GenArtError as exc:
            self.failed.emit(f"{exc}\nIt has been removed from the list.")
            self.store.remove(entry)
            self.list.takeItem(self.list.currentRow())
            return
        self.open_requested.emit(image, entry)

    @Slot()
    def reproduce_current(self) -> None:
        entry = self.current_entry()
        if entry is None:
            return
        if entry.info is None:
            self.failed.emit(f"“{entry.name}” has no stored settings to reproduce.")
            return
        self.reproduce_requested.emit(entry.info)

    @Slot()
    def delete_current(self) -> None:
        entry = self.current_entry()
        if entry is not None:
            self.store.remove(entry)
            self.list.takeItem(self.list.currentRow())

    @Slot(QListWidgetItem, QListWidgetItem)
    def _show_details(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None = None) -> None:
        entry = item.data(_ENTRY) if item is not None else None
        for button in (self.open_button, self.reproduce_button, self.delete_button):
            button.setEnabled(entry is not None)
        if entry is not None:
            self.details.setText(html.escape(_describe(entry)).replace("\n", "<br>"))


def _describe(entry: HistoryEntry) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.created))
    head = f"{entry.name} — {entry.width}×{entry.height}, {when}"
    return f"{head}\n{format_parameters(entry.info)}" if entry.info is not None else head
