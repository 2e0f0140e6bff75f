"""New, Open, Save, Save As and Export for the canvas document, and the unsaved-changes question.

Save writes to the document's own file in its format: .ora keeps every layer, .png/.jpg/.webp
write the flattened picture with its generation parameters. Export always writes a flattened
copy and leaves the document's file (and its "modified" state) alone. Every write is atomic,
so a full disk or a read-only folder leaves any earlier file intact, and the canvas untouched.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from desktop_app import settings
from desktop_app.canvas import Canvas
from desktop_app.recent_files import add_recent
from genart_core.api import GenArtError
from genart_core.artwork import FORMATS, save_artwork
from genart_core.ora import OraDocument, write_ora

log = logging.getLogger(__name__)

OPEN_FILTER = "Images and documents (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff *.ora);;OpenRaster document (*.ora);;All files (*)"
SAVE_FILTER = "OpenRaster document, keeps layers (*.ora);;PNG image (*.png);;JPEG image (*.jpg *.jpeg);;WebP image (*.webp)"
EXPORT_FILTER = "PNG image (*.png);;JPEG image (*.jpg *.jpeg);;WebP image (*.webp)"
_SUFFIX_FOR_FILTER = {"OpenRaster": ".ora", "PNG": ".png", "JPEG": ".jpg", "WebP": ".webp"}
DEFAULT_QUALITY = 92


def write_document(canvas: Canvas, path: str | Path, quality: int = DEFAULT_QUALITY) -> Path:
    """Write the canvas to ``path`` by its suffix: .ora with layers, else flattened with parameters."""
    path = Path(path)
    if path.suffix.lower() == ".ora":
        document = OraDocument(canvas.document.width, canvas.document.height, canvas.core_layers(), canvas.generation_info)
        return write_ora(path, document)
    return save_artwork(path, canvas.image_array(), canvas.generation_info, quality)


class DocumentFiles(QObject):
    """The File menu's document work, for one window and its canvas."""

    saved = Signal(str)
    failed = Signal(str)

    def __init__(self, window: QWidget, canvas: Canvas) -> None:
        super().__init__(window)
        self.window = window
        self.canvas = canvas
        # Offscreen (tests, scripted screenshots) nobody could answer a modal question.
        self.ask_before_close = QGuiApplication.platformName() != "offscreen"

    # -- open ---------------------------------------------------------------------------------
    @Slot()
    def new_document(self) -> None:
        width, ok = QInputDialog.getInt(self.window, "New picture", "Width (pixels):", 1024, 16, 8192)
        if not ok:
            return
        height, ok = QInputDialog.getInt(self.window, "New picture", "Height (pixels):", width, 16, 8192)
        if ok:
            self.new_blank(width, height)

    def new_blank(self, width: int, height: int) -> None:
        self.canvas.set_image(np.full((height, width, 3), 255, np.uint8), "New picture")
        self.canvas.document_path = None

    @Slot()
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open", settings.last_folder("open"), OPEN_FILTER)
        if path:
            settings.remember_folder("open", path)
            self.open_path(path)

    @Slot(str)
    def open_path(self, path: str) -> bool:
        if not self.canvas.open_file(path):
            return False
        add_recent(path)
        return True

    # -- save ---------------------------------------------------------------------------------
    @Slot()
    def save(self) -> bool:
        path = self.canvas.document_path
        if path is None or path.suffix.lower() not in {".ora", *FORMATS}:
            return self.save_as()
        return self.save_to(path)

    @Slot()
    def save_as(self) -> bool:
        path = self._ask_path("Save as", SAVE_FILTER, ".ora")
        return path is not None and self._save_chosen(path, keep_as_document=True)

    @Slot()
    def export(self) -> bool:
        path = self._ask_path("Export a flattened copy", EXPORT_FILTER, ".png")
        return path is not None and self._save_chosen(path, keep_as_document=False)

    def _save_chosen(self, path: Path, keep_as_document: bool) -> bool:
        quality = None
        if path.suffix.lower() in {".jpg", ".jpeg", ".webp"}:
            quality = self._ask_quality()
            if quality is None:
                return False
        return self.save_to(path, keep_as_document, quality)

    def save_to(self, path: str | Path, keep_as_document: bool = True, quality: int | None = None) -> bool:
        """Write the document; on success it becomes the document's file unless this is an export."""
        if not self.canvas.has_image:
            self.failed.emit("There is nothing to save yet: open, paint or generate an image first.")
            return False
        path = Path(path)
        if quality is None:
            quality = int(settings.settings().value("export/quality", DEFAULT_QUALITY))
        try:
            write_document(self.canvas, path, quality)
        except GenArtError as exc:
            self.failed.emit(str(exc))
            return False
        except MemoryError:
            self.failed.emit(f"Not enough memory to save “{path.name}”. Close other apps and try again; nothing was lost.")
            return False
        if keep_as_document:
            self.canvas.document_path = path
            self.canvas.undo_stack.setClean()
        add_recent(path)
        self.saved.emit(str(path))
        return True

    def _ask_path(self, title: str, filters: str, default_suffix: str) -> Path | None:
        if not self.canvas.has_image:
            self.failed.emit("There is nothing to save yet: open, paint or generate an image first.")
            return None
        start = settings.last_folder("save")
        if self.canvas.document_path is not None:
            start = str(Path(start) / (self.canvas.document_path.stem + default_suffix))
        path, chosen = QFileDialog.getSaveFileName(self.window, title, start, filters)
        if not path:
            return None
        if not Path(path).suffix:
            path += _SUFFIX_FOR_FILTER.get(chosen.split(" ")[0], default_suffix)
        settings.remember_folder("save", path)
        return Path(path)

    def _ask_quality(self) -> int | None:
        remembered = int(settings.settings().value("export/quality", DEFAULT_QUALITY))
        quality, ok = QInputDialog.getInt(self.window, "Quality", "JPEG/WebP quality (1–100):", remembered, 1, 100)
        if not ok:
            return None
        settings.settings().setValue("export/quality", quality)
        return quality

    # -- closing ------------------------------------------------------------------------------
    def confirm_close(self, event: QCloseEvent) -> bool:
        """Ask about unsaved changes. False (and the event ignored) when the user chose Cancel or a save failed."""
        if not self.ask_before_close or not self.canvas.is_modified:
            return True
        answer = QMessageBox.question(
            self.window,
            "Unsaved changes",
            "The picture has changes that are not saved. Save them before closing?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Discard:
            return True
        if answer == QMessageBox.StandardButton.Save and self.save():
            return True
        event.ignore()
        return False
