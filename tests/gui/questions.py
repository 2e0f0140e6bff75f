"""Answering the app's real modal question boxes from a test, as a user would: by clicking a button."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

_POLL_MS = 10
_GIVE_UP_AFTER = 500  # polls (5 s): a question that never comes fails the test's own assertions


class Asked(list):
    """The texts of the questions answered so far; ``stop()`` withdraws the answers not yet given."""

    def __init__(self, labels: tuple[str, ...]) -> None:
        super().__init__()
        self.pending = list(labels)

    def stop(self) -> None:
        self.pending.clear()


def answer_questions(*labels: str) -> Asked:
    """Click ``labels[0]`` in the next question box shown (a modal exec(), not a window-modal
    message), ``labels[1]`` in the one after, and so on."""
    asked = Asked(labels)

    def click(polls_left: int = _GIVE_UP_AFTER) -> None:
        if not asked.pending:
            return
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or not box.isVisible() or box.windowModality() != Qt.WindowModality.ApplicationModal:
            if polls_left:
                QTimer.singleShot(_POLL_MS, lambda: click(polls_left - 1))
            return
        label = asked.pending.pop(0)
        asked.append(box.text())
        (button,) = [button for button in box.buttons() if button.text() == label]
        button.click()
        if asked.pending:
            QTimer.singleShot(_POLL_MS, click)

    QTimer.singleShot(0, click)
    return asked
