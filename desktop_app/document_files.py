"""New, Open, Save, Save As and Export for the canvas document, and the unsaved-changes questions.

Save keeps the document: an .ora file (every layer) is written without asking. A document whose
file is a flattening format (.png/.jpg/.webp, typically a photo that was opened) is not silently
replaced: Save asks once whether to save it as .ora or to export it flattened over that file, as
painting programs do. Export always writes a flattened copy and leaves the document's file (and its
"modified" state) alone. Opening, dropping or starting a picture over unsaved work asks first.
Every write is atomic, so a full disk or a read-only folder leaves any earlier file intact.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, Signal, Slot
from PySide6.QtGui import QCloseEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from desktop_app import settings
from desktop_app.canvas import Canvas
from desktop_app.document_target import DocumentTarget
from desktop_app.recent_files import add_recent
from genart_core.api import GenArtError
from genart_core.artwork import FORMATS, save_artwork
from genart_core.ora import OraDocument, write_ora

log = logging.getLogger(__name__)

OPEN_FILTER = "Images and documents (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff *.ora);;OpenRaster document (*.ora);;All files (*)"
SAVE_FILTER = "OpenRaster document, keeps layers (*.ora);;PNG image (*.png);;JPEG image (*.jpg *.jpeg);;WebP image (*.webp)"
EXPORT_FILTER = "PNG image (*.png);;JPEG image (*.jpg *.jpeg);;WebP image (*.webp)"
_SUFFIX_FOR_FILTER = {"OpenRaster": ".ora", "PNG": ".png", "JPEG": ".jpg", "WebP": ".webp"}
_FORMAT_NAMES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WebP"}
DEFAULT_QUALITY = 92
SAVE_AS_ORA = "Save as .ora…"
EXPORT_FLATTENED = "Export flattened"
SAVE, DISCARD, CANCEL = "Save", "Discard", "Cancel"


def _remembered_quality() -> int:
    """The JPEG/WebP quality last chosen; the default when the settings hold something else."""
    return settings.int_setting("export/quality", DEFAULT_QUALITY, 1, 100)


def write_document(canvas: Canvas, path: str | Path, quality: int = DEFAULT_QUALITY) -> Path:
    """Write the canvas to ``path`` by its suffix: .ora with layers, else flattened with parameters."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".ora":
        document = OraDocument(canvas.document.width, canvas.document.height, canvas.core_layers(), canvas.generation_info)
        return write_ora(path, document)
    if suffix not in FORMATS:
        raise GenArtError(f"“{path.name}”: choose a name ending in .ora (keeps the layers), .png, .jpg or .webp.")
    return save_artwork(path, canvas.image_array(), canvas.generation_info, quality)


class DocumentFiles(QObject):
    """The File menu's document work, for one window and its canvas."""

    saved = Signal(str)
    failed = Signal(str)

    def __init__(self, window: QWidget, canvas: Canvas) -> None:
        super().__init__(window)
        self.window = window
        self.canvas = canvas
        self.target = DocumentTarget(canvas)
        # Offscreen (tests, scripted screenshots) nobody could answer a modal question: the answer
        # is then "go ahead", except for replacing a flattened file, which is never done unasked.
        self.ask_questions = QGuiApplication.platformName() != "offscreen"
        # The flattening-format file the user agreed to overwrite with Save (asked once per file).
        self._flatten_agreed: Path | None = None
        canvas.installEventFilter(self)  # drops over unsaved work ask first

    # -- open ---------------------------------------------------------------------------------
    @Slot()
    def new_document(self) -> None:
        if not self.confirm_discard("starting a new picture"):
            return
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
        if not self.confirm_discard(f"opening “{Path(path).name}”"):
            return False
        if not self.canvas.open_file(path):
            return False
        add_recent(path)
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """A drop on the canvas replaces the document: over unsaved work, ask first (Cancel drops nothing)."""
        if watched is self.canvas and event.type() == QEvent.Type.Drop and isinstance(event, QDropEvent):
            mime = event.mimeData()
            if (mime.hasUrls() or mime.hasImage()) and not self.confirm_discard("opening the dropped picture"):
                event.ignore()
                return True
        return super().eventFilter(watched, event)

    # -- save ---------------------------------------------------------------------------------
    @Slot()
    def save(self) -> bool:
        """Save the document where it belongs. A flattening-format file (a photo that was opened) is
        only replaced after the user agreed, once; otherwise Save As suggests an .ora beside it."""
        path = self.canvas.document_path
        if path is None or path.suffix.lower() not in {".ora", *FORMATS}:
            return self.save_as()
        if path.suffix.lower() == ".ora" or path == self._flatten_agreed:
            return self.save_to(path)
        kind = _FORMAT_NAMES[path.suffix.lower()]
        answer = self.ask(
            "Save",
            f"“{path.name}” is a {kind} picture: saving into it merges the layers into one picture and "
            f"replaces the original file.\n\nSave the document as .ora (keeps every layer, the {kind} stays "
            "as it is), or export the flattened picture over it?",
            [(SAVE_AS_ORA, QMessageBox.ButtonRole.AcceptRole), (EXPORT_FLATTENED, QMessageBox.ButtonRole.DestructiveRole), (CANCEL, QMessageBox.ButtonRole.RejectRole)],
            default=SAVE_AS_ORA,
            unasked=CANCEL,
        )
        if answer == SAVE_AS_ORA:
            return self.save_as()
        if answer == EXPORT_FLATTENED and self.save_to(path):
            self._flatten_agreed = path
            return True
        return False

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
            quality = _remembered_quality()
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
            self.target.changed.emit()
            if path.suffix.lower() != ".ora":
                self._flatten_agreed = path  # chosen in Save As: Save writes there without asking
        add_recent(path)
        self.saved.emit(str(path))
        return True

    def _ask_path(self, title: str, filters: str, default_suffix: str) -> Path | None:
        if not self.canvas.has_image:
            self.failed.emit("There is nothing to save yet: open, paint or generate an image first.")
            return None
        start = settings.last_folder("save")
        if self.canvas.document_path is not None:  # beside the document's file, under its name
            start = str(self.canvas.document_path.with_suffix(default_suffix))
        path, chosen = QFileDialog.getSaveFileName(self.window, title, start, filters)
        if not path:
            return None
        if not Path(path).suffix:
            path += _SUFFIX_FOR_FILTER.get(chosen.split(" ")[0], default_suffix)
        settings.remember_folder("save", path)
        return Path(path)

    def _ask_quality(self) -> int | None:
        remembered = _remembered_quality()
        quality, ok = QInputDialog.getInt(self.window, "Quality", "JPEG/WebP quality (1–100):", remembered, 1, 100)
        if not ok:
            return None
        settings.settings().setValue("export/quality", quality)
        return quality

    # -- questions ----------------------------------------------------------------------------
    def confirm_discard(self, doing: str) -> bool:
        """Before replacing or closing the document: True when there is nothing unsaved, or the user
        saved it or chose to discard it; False for Cancel (or a save that failed)."""
        if not self.canvas.is_modified or not self.ask_questions:
            return True
        answer = self.ask(
            "Unsaved changes",
            f"The picture has changes that are not saved. Save them before {doing}?",
            [(SAVE, QMessageBox.ButtonRole.AcceptRole), (DISCARD, QMessageBox.ButtonRole.DestructiveRole), (CANCEL, QMessageBox.ButtonRole.RejectRole)],
            default=SAVE,
            unasked=DISCARD,
        )
        return answer == DISCARD or (answer == SAVE and self.save())

    def ask(self, title: str, text: str, choices: list[tuple[str, QMessageBox.ButtonRole]], default: str, unasked: str) -> str:
        """Show a modal question and return the label of the button pressed (Escape or closing the
        box means the RejectRole button's). ``unasked`` is the answer when questions are off."""
        if not self.ask_questions:
            return unasked
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self.window)
        buttons = {label: box.addButton(label, role) for label, role in choices}
        box.setDefaultButton(buttons[default])
        escape = next((label for label, role in choices if role == QMessageBox.ButtonRole.RejectRole), default)
        box.setEscapeButton(buttons[escape])
        box.exec()
        clicked = box.clickedButton()
        return next((label for label, button in buttons.items() if button is clicked), escape)

    def confirm_close(self, event: QCloseEvent) -> bool:
        """Ask about unsaved changes. False (and the event ignored) when the user chose Cancel or a save failed."""
        if self.confirm_discard("closing"):
            return True
        event.ignore()
        return False
