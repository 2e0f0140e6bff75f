"""Which file the document on the canvas belongs to, kept right across opens, undo and redo.

Opening a file, starting a new picture or an AI result that starts a new document all push one
``ReplaceLayers`` command; undoing it brings the earlier document back. The file Save writes to
must follow: after "open B over A" and Undo, the canvas shows A again, so Save must write A, not B.

Each document therefore owns a stretch of the undo stack that begins at its ``ReplaceLayers``
(the first document: the bottom of the stack). When the undo index moves into another stretch, the
path of the document being left is remembered for its stretch and the arriving document's path is
restored (None for a document never saved). Whoever sets ``canvas.document_path`` (open, Save As,
crash recovery) needs to know nothing of this.
"""

from __future__ import annotations

import weakref
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoCommand

from desktop_app.canvas import Canvas
from desktop_app.canvas.commands import ReplaceLayers

# Flatten replaces the layers too, but the document (and its file) stays the same.
_SAME_DOCUMENT_TEXTS = {"Flatten"}


class DocumentTarget(QObject):
    """Keeps ``canvas.document_path`` naming the document shown; ``changed`` after every change of
    the document, its file or its saved state (the window title follows it)."""

    changed = Signal()

    def __init__(self, canvas: Canvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self._paths: weakref.WeakKeyDictionary[QUndoCommand, Path | None] = weakref.WeakKeyDictionary()
        self._bottom_path: Path | None = canvas.document_path  # the first document's (no command)
        self._current: QUndoCommand | None = self._document_start(canvas.undo_stack.index())
        canvas.undo_stack.indexChanged.connect(self._on_index)
        canvas.undo_stack.cleanChanged.connect(self._on_clean)

    def _commands(self) -> list[QUndoCommand]:
        stack = self.canvas.undo_stack
        return [stack.command(index) for index in range(stack.count())]

    def _document_start(self, index: int) -> QUndoCommand | None:
        """The command that started the document shown at undo ``index``; None for the first one."""
        stack = self.canvas.undo_stack
        for position in range(index - 1, -1, -1):
            command = stack.command(position)
            if isinstance(command, ReplaceLayers) and command.text() not in _SAME_DOCUMENT_TEXTS:
                return command
        return None

    @Slot(int)
    def _on_index(self, index: int) -> None:
        if not shiboken6.isValid(self.canvas.undo_stack):
            return  # the canvas is being destroyed and its stack with it
        arriving = self._document_start(index)
        leaving = self._current
        if arriving is not leaving:
            if arriving is None and leaving is not None and not any(command is leaving for command in self._commands()):
                # The undo limit dropped the command that started this document: it is the first now.
                self._bottom_path = self.canvas.document_path
            else:
                self._remember(leaving, self.canvas.document_path)
                self.canvas.document_path = self._bottom_path if arriving is None else self._paths.get(arriving)
            self._current = arriving
        self.changed.emit()

    def _remember(self, start: QUndoCommand | None, path: Path | None) -> None:
        if start is None:
            self._bottom_path = path
        else:
            self._paths[start] = path

    @Slot(bool)
    def _on_clean(self, _clean: bool) -> None:
        self.changed.emit()
