"""A plain-text box for prompts that never holds more than a set number of characters.

A 2 MB paste froze QPlainTextEdit for minutes (one long line is laid out again on every change)
and the prompt is remembered in the settings file. The box cuts text that would go over the
limit before it is inserted, and says so through ``truncated``.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from desktop_app.widget_values import MAX_PROMPT_CHARACTERS, capped_text


class PromptEdit(QPlainTextEdit):
    truncated = Signal(str)  # a message for a person

    def __init__(self, limit: int = MAX_PROMPT_CHARACTERS, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.limit = limit
        # Typing and input methods do not pass through insertFromMimeData; this catches them.
        self.document().contentsChanged.connect(self._enforce_limit)

    def set_text(self, value: object) -> None:
        """Replace the text with ``value`` (cut to the limit; anything but text clears the box)."""
        text, cut = capped_text(value, self.limit)
        self.setPlainText(text)
        if cut:
            self._announce()

    def insertFromMimeData(self, source: QMimeData) -> None:  # noqa: N802 - paste and drop
        if not source.hasText():
            return
        cursor = self.textCursor()
        selected = len(cursor.selectedText())
        room = max(0, self.limit - (self._length() - selected))
        text = source.text()
        cursor.insertText(text[:room])
        self.setTextCursor(cursor)
        if len(text) > room:
            self._announce()

    def _length(self) -> int:
        return self.document().characterCount() - 1  # the count includes the closing paragraph separator

    def _enforce_limit(self) -> None:
        if self._length() > self.limit:
            cursor = QTextCursor(self.document())
            cursor.setPosition(self.limit)
            cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            self._announce()

    def _announce(self) -> None:
        self.truncated.emit(f"The prompt was cut to its first {self.limit:,} characters.")
