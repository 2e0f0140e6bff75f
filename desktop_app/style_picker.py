"""The style gallery: built-in and user styles as thumbnails; drop an image (or Add style…) to add one."""

from __future__ import annotations

import logging

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QFont, QIcon, QPainter
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.canvas import image_source_from_mime
from desktop_app.thumbnails import thumbnail_icon
from desktop_app.image_loading import decode_off_gui_thread
from genart_core.api import GenArtError
from genart_core.fast_style.learned_styles import list_learned, style_key
from genart_core.styles import Style, add_style, list_styles, remove_style

log = logging.getLogger(__name__)

THUMBNAIL = 96
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)"


BUILT_IN_TIP = "Built-in styles cannot be removed"
LEARNED_MARK = "★"  # drawn on the thumbnail of a style Learn this style has tuned
LEARNED_ROLE = Qt.ItemDataRole.UserRole + 1


def with_learned_badge(icon: QIcon) -> QIcon:
    """The thumbnail with a star badge in its corner: the style has a learned vector."""
    pixmap = icon.pixmap(THUMBNAIL, THUMBNAIL)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    badge = QRect(pixmap.width() - 30, 2, 28, 28)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(30, 30, 30, 200))
    painter.drawEllipse(badge)
    font = QFont(painter.font())
    font.setPixelSize(20)
    painter.setFont(font)
    painter.setPen(QColor(255, 210, 60))
    painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, LEARNED_MARK)
    painter.end()
    return QIcon(pixmap)


class StylePicker(QWidget):
    selection_changed = Signal()
    add_failed = Signal(str)
    notice = Signal(str)  # for the status bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.list.setWordWrap(True)
        self.list.setAcceptDrops(False)  # drops are handled by the whole picker
        self.list.itemSelectionChanged.connect(self.selection_changed)
        add_button = QPushButton("Add style…")
        add_button.clicked.connect(self.choose_and_add)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.list.itemSelectionChanged.connect(self._update_remove_button)
        buttons = QHBoxLayout()
        buttons.addWidget(add_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.reload()
        self._update_remove_button()

    def reload(self) -> None:
        learned = {style_key(style.name) for style in list_learned()}  # damaged files are skipped there
        self.list.clear()
        for style in list_styles():
            is_learned = style_key(style.name) in learned
            icon = thumbnail_icon(style.path, THUMBNAIL)
            item = QListWidgetItem(with_learned_badge(icon) if is_learned else icon, style.name)
            item.setData(Qt.ItemDataRole.UserRole, style)
            item.setData(LEARNED_ROLE, is_learned)
            origin = "built in" if style.builtin else "yours"
            item.setToolTip(f"{style.name} ({origin}{'; learned: the instant style uses its tuned vector' if is_learned else ''})")
            self.list.addItem(item)

    def is_learned(self, name: str) -> bool:
        return any(style.name == name and self.list.item(i).data(LEARNED_ROLE) for i, style in enumerate(self.styles()))

    def styles(self) -> list[Style]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def selected_styles(self) -> list[Style]:
        return [item.data(Qt.ItemDataRole.UserRole) for item in self.list.selectedItems()]

    def select_styles(self, names: list[str]) -> list[str]:
        """Select exactly the styles called ``names`` (as Ctrl-click would); returns the names not in the gallery."""
        wanted = set(names)
        found: set[str] = set()
        self.list.blockSignals(True)  # one selection_changed for the whole change, not one per item
        self.list.clearSelection()
        for index in range(self.list.count()):
            item = self.list.item(index)
            name = item.data(Qt.ItemDataRole.UserRole).name
            if name in wanted:
                item.setSelected(True)
                found.add(name)
        self.list.blockSignals(False)
        self.selection_changed.emit()
        return [name for name in names if name not in found]

    def add_from(self, source: str | bytes) -> bool:
        try:
            style = decode_off_gui_thread(self, add_style, source)
        except GenArtError as exc:
            self.add_failed.emit(str(exc))
            return False
        except OSError as exc:
            self.add_failed.emit(f"The style could not be stored: {exc}")
            return False
        self.reload()
        for index in range(self.list.count()):
            if self.list.item(index).data(Qt.ItemDataRole.UserRole).path == style.path:
                self.list.setCurrentRow(index)
        return True

    def choose_and_add(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Add a style image", "", IMAGE_FILTER)
        if path:
            self.add_from(path)

    def _update_remove_button(self) -> None:
        """Remove works on your own styles only; with only built-in ones selected it is off and says why."""
        selected = self.selected_styles()
        self.remove_button.setEnabled(any(not style.builtin for style in selected))
        only_built_in = bool(selected) and all(style.builtin for style in selected)
        self.remove_button.setToolTip(BUILT_IN_TIP if only_built_in else "Remove the selected styles you added")

    def remove_selected(self) -> None:
        built_in = [style.name for style in self.selected_styles() if style.builtin]
        for style in self.selected_styles():
            if not style.builtin:
                remove_style(style)
        self.reload()
        self._update_remove_button()
        if built_in:
            self.notice.emit(f"{', '.join(built_in)}: {BUILT_IN_TIP.lower()}; your own styles can be.")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        source = image_source_from_mime(event.mimeData())
        if source is None:
            self.add_failed.emit("Only image files or image data can be dropped on the style picker.")
            return
        event.acceptProposedAction()
        self.add_from(source)
