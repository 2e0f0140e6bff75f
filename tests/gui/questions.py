"""Answering the app's real modal question boxes from a test, as a user would: by clicking a button."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

_POLL_MS = 10
_GIVE_UP_AFTER = 500  # polls (5 s): a question that never comes fails the test's own assertions


def answer_questions(*labels: str) -> list[str]:
    """Click ``labels[0]`` in the next question box shown, ``labels[1]`` in the one after, and so on.
    Returns the list the questions' texts are appended to, in order, as they are answered."""
    asked: list[str] = []
    pending = list(labels)

    def click(polls_left: int = _GIVE_UP_AFTER) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or not box.isVisible():
            if polls_left:
                QTimer.singleShot(_POLL_MS, lambda: click(polls_left - 1))
            return
        label = pending.pop(0)
        asked.append(box.text())
        (button,) = [button for button in box.buttons() if button.text() == label]
        button.click()
        if pending:
            QTimer.singleShot(_POLL_MS, click)

    QTimer.singleShot(0, click)
    return asked
