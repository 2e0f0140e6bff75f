"""Image ▸ Upscale…: what to enlarge (the picture, the active layer or the selection), 2× or 4×,
how much of the learned upscaler's detail to keep, and which upscaler. The dialog only collects
choices; desktop_app.canvas_upscale runs the job and puts the result on the canvas."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from desktop_app.hires_group import installed_upscalers
from desktop_app.widget_values import number_from_text, set_number
from genart_core.api import GenerationInfo
from genart_core.image_limits import MAX_PIXELS
from genart_core.requests.upscale import SCALES

LANCZOS_ONLY = ""  # the model choice that means a plain Lanczos enlargement (detail 0)
DETAIL_TIP = "1 keeps all the detail the upscaler adds; 0 is a plain Lanczos enlargement; between, a blend"


@dataclass(frozen=True)
class UpscaleChoice:
    source: str  # "picture", "layer" or "selection" (see canvas/enlarge.py)
    scale: int
    detail: float
    model: str  # an upscaler key, or LANCZOS_ONLY


class UpscaleDialog(QDialog):
    upscale_requested = Signal(object)  # UpscaleChoice

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Upscale")
        self.setObjectName("UpscaleDialog")
        self._size = (0, 0)  # the document's, and the selection's, to show the size it will have
        self._selection: tuple[int, int, int, int] | None = None
        self.source = QComboBox()
        self.source.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # "The selection (W×H)" in full
        self.scale = QComboBox()
        for scale in SCALES:
            self.scale.addItem(f"{scale}×", scale)
        self.detail = QSlider(Qt.Orientation.Horizontal)
        self.detail.setRange(0, 100)
        self.detail.setValue(100)
        self.detail.setToolTip(DETAIL_TIP)
        self.detail_label = QLabel()
        detail_row = QHBoxLayout()
        detail_row.addWidget(self.detail, 1)
        detail_row.addWidget(self.detail_label)
        self.model = QComboBox()
        self.size_label = QLabel()
        self.size_label.setWordWrap(True)
        self.setMinimumWidth(420)
        form = QFormLayout()
        form.addRow("Enlarge", self.source)
        form.addRow("Scale", self.scale)
        form.addRow("Detail", detail_row)
        form.addRow("Upscaler", self.model)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.upscale_button = self.buttons.addButton("Upscale", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.size_label)
        layout.addWidget(self.buttons)
        for signal in (self.scale.currentIndexChanged, self.source.currentIndexChanged, self.model.currentIndexChanged, self.detail.valueChanged):
            signal.connect(self._update)

    def prepare(self, width: int, height: int, layer_name: str | None, selection: tuple[int, int, int, int] | None) -> None:
        """Before showing: the document's size, the active layer's name, the selection (if any);
        the selection is chosen when there is one. The upscalers are listed afresh."""
        self._size, self._selection = (width, height), selection
        self.source.clear()
        self.source.addItem("The whole picture", "picture")
        if layer_name is not None:
            self.source.addItem(f"The active layer “{layer_name[:40]}”", "layer")
        if selection is not None:
            self.source.addItem(f"The selection ({selection[2]}×{selection[3]})", "selection")
            self.source.setCurrentIndex(self.source.count() - 1)
        chosen = self.model.currentData()
        self.model.clear()
        for label, key in installed_upscalers():
            self.model.addItem(label, key)
        self.model.addItem("None: Lanczos only", LANCZOS_ONLY)
        index = self.model.findData(chosen)
        self.model.setCurrentIndex(max(0, index))
        self._update()

    def choice(self) -> UpscaleChoice:
        model = str(self.model.currentData() or LANCZOS_ONLY)
        detail = 0.0 if model == LANCZOS_ONLY else self.detail.value() / 100
        return UpscaleChoice(str(self.source.currentData() or "picture"), int(self.scale.currentData() or SCALES[0]), detail, model)

    def apply_info(self, info: GenerationInfo) -> list[str]:
        """Reproduce an upscale: its scale, detail and upscaler (checked: they come from a file)."""
        request = info.request if isinstance(info.request, dict) else {}
        scale = number_from_text(request.get("scale"))
        if scale is not None and self.scale.findData(int(scale)) >= 0:
            self.scale.setCurrentIndex(self.scale.findData(int(scale)))
        set_number(self.detail, request.get("detail"), scale=100)
        model = request.get("model")
        if isinstance(model, str) and model:
            index = self.model.findData(model)
            if index < 0:
                return [f"the upscaler “{model[:80]}” is not installed"]
            self.model.setCurrentIndex(index)
        return []

    @Slot()
    def _update(self) -> None:
        self.detail_label.setText(f"{self.detail.value() / 100:.2f}")
        self.detail.setEnabled(self.model.currentData() != LANCZOS_ONLY)
        scale = int(self.scale.currentData() or SCALES[0])
        width, height = self._size
        text = f"The picture becomes {width * scale}×{height * scale} pixels"
        if self.source.currentData() == "selection" and self._selection is not None:
            text += f"; the selection is enlarged to {self._selection[2] * scale}×{self._selection[3] * scale} by the upscaler, the rest smoothly"
        elif self.source.currentData() == "layer":
            text += "; the layer is enlarged by the upscaler, the others smoothly"
        too_large = width * height * scale * scale > MAX_PIXELS
        if too_large:
            text = f"{width * scale}×{height * scale} pixels is more than the {MAX_PIXELS / 1e6:g} megapixels a picture may have: choose 2× or a smaller picture."
        self.size_label.setText(text + ".")
        self.upscale_button.setEnabled(not too_large and width > 0)

    @Slot()
    def _accept(self) -> None:
        self.upscale_requested.emit(self.choice())
        self.accept()
