"""Style transfer controls: the chosen styles with their weights, strength, colours, preset, size,
seed, and Stylise / Cancel.

The styles are the ones selected in the style picker (several = multi-style fusion). With two
selected, a blend slider interpolates between them. ``stylize_requested`` carries a
StyleSettings; :meth:`StyleSettings.request` turns it into a core request for given content.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.jobs import JobGroup
from desktop_app.seed_field import SeedField
from desktop_app.style_picker import StylePicker
from desktop_app.widget_values import number_from_text, set_number
from genart_core.api import GenerationInfo
from genart_core.requests.style import ColorMode, Preset, StyleSource, StyleTransferRequest
from genart_core.styles import Style

COLOUR_CHOICES = (
    ("Use the style's colours", ColorMode.NONE),
    ("Keep photo colours (brightness only)", ColorMode.LUMINANCE),
    ("Keep photo colours (recolour style)", ColorMode.MATCH),
)
PRESET_CHOICES = (
    ("Preview — seconds", Preset.PREVIEW),
    ("Balanced", Preset.BALANCED),
    ("Best — slower, finer", Preset.BEST),
)


@dataclass(frozen=True)
class StyleSettings:
    styles: tuple[StyleSource, ...]
    strength: float
    preserve_colors: ColorMode
    preset: Preset
    size: int | None  # None: the content's own size
    seed: int
    weights: str = "auto"

    def request(self, content: np.ndarray) -> StyleTransferRequest:
        return StyleTransferRequest(
            content=content,
            styles=self.styles,
            preset=self.preset,
            size=self.size,
            seed=self.seed,
            strength=self.strength,
            preserve_colors=self.preserve_colors,
            weights=self.weights,
        )


class StylizePanel(QWidget):
    stylize_requested = Signal(object)  # StyleSettings

    def __init__(self, picker: StylePicker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._picker = picker
        self._styles: list[Style] = []
        self._weight_boxes: list[QDoubleSpinBox] = []
        # Which VGG-19 weights the app uses; tests point it at a tiny network.
        self.weights_source = "auto"

        self.chosen = QLabel()
        self.chosen.setWordWrap(True)
        self.weights_form = QFormLayout()
        self.blend = QSlider(Qt.Orientation.Horizontal)
        self.blend.setRange(0, 100)
        self.blend.setValue(50)
        self.blend.setToolTip("Interpolate between the two selected styles")
        self.blend.valueChanged.connect(self._blend_changed)
        self.blend_left, self.blend_right = QLabel(), QLabel()
        self.blend_row = QWidget()
        blend_layout = QHBoxLayout(self.blend_row)
        blend_layout.setContentsMargins(0, 0, 0, 0)
        blend_layout.addWidget(self.blend_left)
        blend_layout.addWidget(self.blend, 1)
        blend_layout.addWidget(self.blend_right)

        self.strength = QDoubleSpinBox()
        self.strength.setRange(0.0, 3.0)
        self.strength.setSingleStep(0.1)
        self.strength.setValue(1.0)
        self.strength.setToolTip("How strongly the style is applied: 0 keeps the photo, 3 is very stylised")
        self.colours = QComboBox()
        for label, mode in COLOUR_CHOICES:
            self.colours.addItem(label, mode)
        self.preset = QComboBox()
        for label, preset in PRESET_CHOICES:
            self.preset.addItem(label, preset)
        self.preset.setCurrentIndex(1)
        self.size = QSpinBox()
        self.size.setRange(0, 8192)
        self.size.setSingleStep(128)
        self.size.setValue(512)
        self.size.setSpecialValueText("Photo's size")
        self.size.setSuffix(" px")
        self.size.setToolTip("Longest side of the result; never larger than the photo")
        self.seed = SeedField()

        self.stylize_button = QPushButton("Stylise")
        self.stylize_button.setToolTip("Repaint the canvas (or its selection) in the selected styles")
        self.stylize_button.clicked.connect(self._request)
        self.jobs = JobGroup(self)  # what Stylise started and has not ended: Cancel here cancels those only
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Cancel the style transfers this panel asked for (running or waiting); other jobs go on")
        self.cancel_button.clicked.connect(self.jobs.cancel_all)
        self.cancel_button.setEnabled(False)
        self.jobs.active_changed.connect(self.cancel_button.setEnabled)
        buttons = QHBoxLayout()
        buttons.addWidget(self.stylize_button, 1)
        buttons.addWidget(self.cancel_button)

        form = QFormLayout()
        form.addRow("Strength", self.strength)
        form.addRow("Colours", self.colours)
        form.addRow("Quality", self.preset)
        form.addRow("Size", self.size)
        form.addRow("Seed", self.seed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.chosen)
        layout.addLayout(self.weights_form)
        layout.addWidget(self.blend_row)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addStretch(1)

        picker.selection_changed.connect(self._selection_changed)
        self._selection_changed()

    # -- styles and weights ------------------------------------------------------------------
    @Slot()
    def _selection_changed(self) -> None:
        self._styles = self._picker.selected_styles()
        while self.weights_form.rowCount():
            self.weights_form.removeRow(0)
        self._weight_boxes = []
        if len(self._styles) > 1:
            for style in self._styles:
                box = QDoubleSpinBox()
                box.setRange(0.0, 1.0)
                box.setSingleStep(0.05)
                box.setValue(round(1.0 / len(self._styles), 2))
                box.setToolTip(f"Share of “{style.name}” in the fused style")
                self.weights_form.addRow(style.name, box)
                self._weight_boxes.append(box)
        self.blend_row.setVisible(len(self._styles) == 2)
        if len(self._styles) == 2:
            self.blend_left.setText(self._styles[0].name)
            self.blend_right.setText(self._styles[1].name)
            self._blend_changed(self.blend.value())
        names = ", ".join(s.name for s in self._styles)
        self.chosen.setText(f"Style: {names}" if self._styles else "Select one or more styles in the Styles tab above (Ctrl-click to fuse several).")
        self.stylize_button.setEnabled(bool(self._styles))

    @Slot(int)
    def _blend_changed(self, value: int) -> None:
        if len(self._weight_boxes) == 2:
            self._weight_boxes[0].setValue(1.0 - value / 100.0)
            self._weight_boxes[1].setValue(value / 100.0)

    def style_sources(self) -> tuple[StyleSource, ...]:
        weights = [box.value() for box in self._weight_boxes] or [1.0] * len(self._styles)
        return tuple(StyleSource(s.name, str(s.path), w) for s, w in zip(self._styles, weights))

    # -- settings ------------------------------------------------------------------------------
    def settings(self) -> StyleSettings:
        return StyleSettings(
            styles=self.style_sources(),
            strength=self.strength.value(),
            preserve_colors=self.colours.currentData(),
            preset=self.preset.currentData(),
            size=self.size.value() or None,
            seed=self.seed.value(),
            weights=self.weights_source,
        )

    def apply_info(self, info: GenerationInfo) -> list[str]:
        """Restore a style transfer's settings ("Reproduce", or an opened artwork): its styles
        (selected in the picker, with their weights), strength, colours, quality, size and seed.
        Values come from a file, so each is checked; returns what could not be restored."""
        request = info.request if isinstance(info.request, dict) and info.request.get("type") else _request_from_parameters(info)
        weights = _stored_style_weights(request.get("styles"))
        missing = self._picker.select_styles(list(weights))
        self.apply_weights(weights)
        set_number(self.strength, request.get("strength"))
        _select_matching(self.colours, request.get("preserve_colors"))
        _select_matching(self.preset, request.get("preset"))
        size = request.get("size")
        set_number(self.size, 0 if size is None else size)  # None: the photo's own size
        set_number(self.seed, request.get("seed"))
        notes = [f"the style “{name[:60]}” is not in the gallery" for name in missing]
        if not weights:
            notes.append("the styles (none stored)")
        return notes

    def apply_weights(self, weights: dict[str, float]) -> None:
        """The stored share of each selected style (the blend slider for two, a box each for more)."""
        shares = [weights.get(style.name, 0.0) for style in self._styles]
        total = sum(shares)
        if len(self._styles) == 2 and total > 0:
            set_number(self.blend, shares[1] / total, scale=100)
        elif len(self._weight_boxes) == len(shares) and total > 0:
            for box, share in zip(self._weight_boxes, shares):
                set_number(box, share / total)

    @Slot()
    def _request(self) -> None:
        self.stylize_requested.emit(self.settings())


def stacked(*widgets: QWidget) -> QScrollArea:
    """One widget holding ``widgets`` top to bottom (a dock holds one widget), scrolling when the
    window is too short for them all (the window still fits an 800×600 screen)."""
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    scroller = QScrollArea()
    scroller.setWidgetResizable(True)
    scroller.setFrameShape(QScrollArea.Shape.NoFrame)
    scroller.setWidget(holder)
    # Scroll up and down only: the dock is made as wide as the controls need (with room for the
    # vertical scroll bar), so no control hides behind a sideways scroll bar.
    scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroller.setMinimumWidth(holder.minimumSizeHint().width() + scroller.verticalScrollBar().sizeHint().width())
    return scroller


def _stored_style_weights(stored: object) -> dict[str, float]:
    """Style name -> weight from a stored request's "styles" list; malformed entries are skipped."""
    weights: dict[str, float] = {}
    for entry in stored if isinstance(stored, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        weight = entry.get("weight", 1.0)
        valid = isinstance(weight, (int, float)) and not isinstance(weight, bool) and 0 <= weight < float("inf")
        weights[entry["name"]] = float(weight) if valid else 1.0
    return weights


def _select_matching(combo: QComboBox, value: object) -> bool:
    """Choose the item whose data equals ``value`` (the choices here are str enums, stored as their text)."""
    for index in range(combo.count()):
        if isinstance(value, str) and combo.itemData(index) == value:
            combo.setCurrentIndex(index)
            return True
    return False


def _request_from_parameters(info: GenerationInfo) -> dict:
    """A style transfer's settings from its parameters text alone (JPEG and WebP keep no request):
    the style weights, strength, colours and preset it lists, its seed, and its longest side as the size."""
    extra = info.extra if isinstance(info.extra, dict) else {}
    weights = extra.get("Style weights")
    sides = [side for side in (info.width, info.height) if isinstance(side, int) and not isinstance(side, bool)]
    return {
        "styles": [{"name": name, "weight": weight} for name, weight in weights.items()] if isinstance(weights, dict) else [],
        "strength": number_from_text(extra.get("Strength")),
        "preserve_colors": extra.get("Preserve colours"),
        "preset": extra.get("Preset"),
        "seed": info.seed,
        "size": max(sides) if sides else None,
    }
