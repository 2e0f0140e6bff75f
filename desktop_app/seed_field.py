"""A seed box with a Random button, shared by every panel that makes seeded images."""

from __future__ import annotations

import random

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QSpinBox, QToolButton, QWidget

MAX_SEED = 2**31 - 1


class SeedField(QWidget):
    valueChanged = Signal(int)  # noqa: N815 - the same name as QSpinBox's signal

    def __init__(self, value: int = 0, tooltip: str = "Another seed gives another variation", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spin = QSpinBox()
        self.spin.setRange(0, MAX_SEED)
        self.spin.setValue(value)
        self.spin.valueChanged.connect(self.valueChanged)
        self.random_button = QToolButton()
        self.random_button.setText("Random")
        self.random_button.setToolTip(tooltip)
        self.random_button.clicked.connect(self.randomise)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.spin, 1)
        layout.addWidget(self.random_button)

    def value(self) -> int:
        return self.spin.value()

    def setValue(self, value: int) -> None:  # noqa: N802 - mirrors QSpinBox
        self.spin.setValue(max(0, min(int(value), MAX_SEED)))

    def randomise(self) -> None:
        self.spin.setValue(random.randint(0, MAX_SEED))
