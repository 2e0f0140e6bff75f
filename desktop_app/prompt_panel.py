"""Prompt, negative prompt, seed, steps, guidance, size and model, with Generate and Cancel.

The panel only collects choices; ``generate_requested`` carries them as PromptSettings and the
main window turns them into a core request for the chosen model.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from genart_core.api import GenerationInfo

MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class PromptSettings:
    model_key: str
    prompt: str
    negative_prompt: str
    seed: int
    steps: int
    guidance: float
    width: int
    height: int
    count: int


class PromptPanel(QWidget):
    generate_requested = Signal(object)  # PromptSettings
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QComboBox()
        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText("Describe the picture…")
        self.prompt.setFixedHeight(80)
        self.negative = QPlainTextEdit()
        self.negative.setPlaceholderText("What to avoid (negative prompt)")
        self.negative.setFixedHeight(48)
        self.seed = QSpinBox()
        self.seed.setRange(0, MAX_SEED)
        self.seed.setValue(42)
        dice = QToolButton()
        dice.setText("🎲")
        dice.setToolTip("Pick a random seed")
        dice.clicked.connect(self.randomise_seed)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(dice)
        self.steps = QSpinBox()
        self.steps.setRange(1, 200)
        self.steps.setValue(20)
        self.guidance = QDoubleSpinBox()
        self.guidance.setRange(0.0, 30.0)
        self.guidance.setSingleStep(0.5)
        self.guidance.setValue(7.0)
        self.width_box = QSpinBox()
        self.height_box = QSpinBox()
        for box in (self.width_box, self.height_box):
            box.setRange(64, 2048)
            box.setSingleStep(64)
            box.setValue(512)
        size_row = QHBoxLayout()
        size_row.addWidget(self.width_box)
        size_row.addWidget(self.height_box)
        self.count = QSpinBox()
        self.count.setRange(1, 16)
        self.count.setValue(1)
        self.generate_button = QPushButton("Generate")
        self.generate_button.setToolTip("Generate (Ctrl+Enter)")
        self.generate_button.clicked.connect(self._emit_generate)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_requested)
        QShortcut(QKeySequence("Ctrl+Return"), self, self._emit_generate, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        form = QFormLayout()
        form.addRow("Model", self.model)
        form.addRow("Prompt", self.prompt)
        form.addRow("Negative", self.negative)
        form.addRow("Seed", seed_row)
        form.addRow("Steps", self.steps)
        form.addRow("Guidance", self.guidance)
        form.addRow("Size", size_row)
        form.addRow("Images", self.count)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def add_model(self, label: str, key: str) -> None:
        self.model.addItem(label, key)

    def randomise_seed(self) -> None:
        self.seed.setValue(random.randint(0, MAX_SEED))

    def set_busy(self, busy: bool) -> None:
        self.cancel_button.setEnabled(busy)

    def current_settings(self) -> PromptSettings:
        return PromptSettings(
            model_key=str(self.model.currentData() or ""),
            prompt=self.prompt.toPlainText().strip(),
            negative_prompt=self.negative.toPlainText().strip(),
            seed=self.seed.value(),
            steps=self.steps.value(),
            guidance=self.guidance.value(),
            width=self.width_box.value(),
            height=self.height_box.value(),
            count=self.count.value(),
        )

    def apply_info(self, info: GenerationInfo) -> None:
        """Restore the settings an artwork was made with ("Reproduce", or a dropped PNG's parameters)."""
        self.prompt.setPlainText(info.prompt)
        self.negative.setPlainText(info.negative_prompt)
        if info.seed is not None:
            self.seed.setValue(max(0, min(int(info.seed), MAX_SEED)))
        if info.steps is not None:
            self.steps.setValue(int(info.steps))
        if info.cfg_scale is not None:
            self.guidance.setValue(float(info.cfg_scale))
        if info.width and info.height:
            self.width_box.setValue(int(info.width))
            self.height_box.setValue(int(info.height))
        if info.model:
            index = self.model.findText(info.model, Qt.MatchFlag.MatchContains)
            if index < 0:
                index = self.model.findData(info.model)
            if index >= 0:
                self.model.setCurrentIndex(index)

    def _emit_generate(self) -> None:
        if self.model.count():
            self.generate_requested.emit(self.current_settings())
