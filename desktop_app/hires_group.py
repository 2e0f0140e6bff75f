"""The prompt panel's Hires fix group: on/off, scale, denoising strength and the upscaler.

Its values go into TextToImageRequest's hires_* fields. Reproduce restores them from a stored
request, or from AUTOMATIC1111's "Hires upscale" / "Hires upscaler" / "Denoising strength"
(pictures saved as JPEG, or made by A1111), and turns the group off for a picture made without.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QWidget

from desktop_app.widget_values import number_from_text, set_number
from genart_core.requests.diffusion import HIRES_LANCZOS, HIRES_SCALE_RANGE

DEFAULT_SCALE = 2.0
DEFAULT_DENOISE = 0.35
HIRES_TIP = (
    "Make the picture at the size above (the model's own), enlarge it, then let the model repaint "
    "the enlargement lightly with the same prompt and seed: a larger picture with real detail, "
    "without the doubled subjects a large size gives directly. One job; costs about (1 + scale² × "
    "denoise) times the steps."
)
DENOISE_TIP = "How much the hires pass may change the enlarged picture: low keeps the composition, high adds more new detail"
UPSCALER_TIP = "What enlarges the base picture before the hires pass: a learned upscaler adds sharper detail than Lanczos"


class HiresGroup(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Hires fix", parent)
        self.setObjectName("HiresFix")
        self.setCheckable(True)
        self.setChecked(False)
        self.setToolTip(HIRES_TIP)
        self.scale = QDoubleSpinBox()
        self.scale.setRange(HIRES_SCALE_RANGE[0] + 0.25, HIRES_SCALE_RANGE[1])
        self.scale.setSingleStep(0.5)
        self.scale.setDecimals(2)
        self.scale.setSuffix("×")
        self.scale.setValue(DEFAULT_SCALE)
        self.denoise = QDoubleSpinBox()
        self.denoise.setRange(0.05, 1.0)
        self.denoise.setSingleStep(0.05)
        self.denoise.setValue(DEFAULT_DENOISE)
        self.denoise.setToolTip(DENOISE_TIP)
        self.upscaler = QComboBox()
        self.upscaler.addItem("Lanczos", HIRES_LANCZOS)
        self.upscaler.setToolTip(UPSCALER_TIP)
        form = QFormLayout(self)
        form.addRow("Scale", self.scale)
        form.addRow("Denoise", self.denoise)
        form.addRow("Upscaler", self.upscaler)

    def set_upscalers(self, upscalers: list[tuple[str, str]]) -> None:
        """(label, key) of the installed learned upscalers, listed after Lanczos; the first is chosen."""
        for label, key in upscalers:
            if self.upscaler.findData(key) < 0:
                self.upscaler.addItem(label, key)
        if upscalers and self.upscaler.currentData() == HIRES_LANCZOS:
            self.upscaler.setCurrentIndex(1)

    def request_values(self) -> dict[str, object]:
        """The hires_* request fields (scale 1.0 when the group is off)."""
        return {
            "hires_scale": self.scale.value() if self.isChecked() else 1.0,
            "hires_denoise": self.denoise.value(),
            "hires_upscaler": str(self.upscaler.currentData()),
        }

    def set_values(self, scale: object, denoise: object, upscaler: object) -> list[str]:
        """Put stored values back (each checked: they come from files); a scale of 1 or none turns
        the group off. Returns what could not be restored."""
        number = number_from_text(scale)
        self.setChecked(number is not None and number > HIRES_SCALE_RANGE[0])
        if not self.isChecked():
            return []
        set_number(self.scale, number)
        set_number(self.denoise, number_from_text(denoise))
        if not upscaler or self._select_upscaler(str(upscaler)[:300]):
            return []
        self.upscaler.setCurrentIndex(0)
        return [f"the hires upscaler “{str(upscaler)[:80]}” is not installed (Lanczos is chosen)"]

    def _select_upscaler(self, name: str) -> bool:
        """By key (our requests), else by listed name (A1111's "Hires upscaler" text)."""
        index = self.upscaler.findData(name)
        if index < 0:
            index = next((i for i in range(self.upscaler.count()) if self.upscaler.itemText(i).lower().startswith(name.lower())), -1)
        if index >= 0:
            self.upscaler.setCurrentIndex(index)
        return index >= 0


def installed_upscalers() -> list[tuple[str, str]]:
    """(label, key) of the learned upscalers there are, ours first."""
    from genart_core import upscalers

    return [(spec.label, spec.key) for spec in upscalers.list_upscalers()]
