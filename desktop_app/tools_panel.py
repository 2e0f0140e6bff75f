"""The tool bar: brush, eraser, eyedropper, fill, selection, inpainting mask; size, hardness,
opacity and colour. A tool bar rather than a dock, so it costs the window one row of height.
Writes straight into the canvas's BrushSettings."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QColorDialog,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolBar,
    QToolButton,
    QWidget,
)

from desktop_app.canvas import Canvas, Tool

# (tool, label, shortcut, tooltip)
_TOOLS = [
    (Tool.BRUSH, "Brush", "B", "Paint on the selected layer (Alt+click picks a colour)"),
    (Tool.ERASER, "Eraser", "E", "Erase on the selected layer"),
    (Tool.EYEDROPPER, "Pick", "I", "Pick a colour from the picture"),
    (Tool.FILL, "Fill", "G", "Fill an area of similar colour"),
    (Tool.SELECT, "Select", "M", "Select a rectangle: AI jobs and painting stay inside it (click to deselect)"),
    (Tool.MASK, "Mask", "Q", "Paint the inpainting mask (right button erases it)"),
]


class ToolsPanel(QToolBar):
    def __init__(self, canvas: Canvas, parent: QWidget | None = None) -> None:
        super().__init__("Tools", parent)
        self.setObjectName("ToolsBar")  # restoreState() matches tool bars by object name
        self.canvas = canvas
        self.buttons: dict[Tool, QToolButton] = {}
        group = QButtonGroup(self)
        for tool, label, key, tip in _TOOLS:
            button = QToolButton()
            button.setText(label)
            button.setCheckable(True)
            button.setToolTip(f"{tip} ({key})")
            button.setShortcut(QKeySequence(key))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.clicked.connect(lambda _checked=False, t=tool: canvas.set_tool(t))
            group.addButton(button)
            self.addWidget(button)
            self.buttons[tool] = button
        self.buttons[canvas.tool].setChecked(True)
        canvas.tool_changed.connect(self._on_tool_changed)

        self.size = self._slider(1, 400, int(canvas.brush.size), self._set_size)
        self.hardness = self._slider(0, 100, int(canvas.brush.hardness * 100), self._set_hardness)
        self.opacity = self._slider(1, 100, int(canvas.brush.opacity * 100), self._set_opacity)
        self.colour_button = QPushButton()
        self.colour_button.setToolTip("Choose the brush colour")
        self.colour_button.clicked.connect(self.choose_colour)
        self._show_colour(QColor(*canvas.brush.colour))
        canvas.colour_picked.connect(self._show_colour)
        self.tolerance = QSpinBox()
        self.tolerance.setRange(0, 255)
        self.tolerance.setValue(canvas.fill_tolerance)
        self.tolerance.setToolTip("How different a colour may be and still be filled")
        self.tolerance.valueChanged.connect(self._set_tolerance)
        self.clear_mask_button = QPushButton("Clear mask")
        self.clear_mask_button.clicked.connect(canvas.clear_mask)

        self.addSeparator()
        for label, widget in (
            ("Size", self.size),
            ("Hardness", self.hardness),
            ("Opacity", self.opacity),
            ("", self.colour_button),
            ("Fill tolerance", self.tolerance),
            ("", self.clear_mask_button),
        ):
            if label:
                self.addWidget(QLabel(f" {label} "))
            self.addWidget(widget)

    def _slider(self, low: int, high: int, value: int, slot) -> QSlider:
        slider = QSlider(Qt.Orientation.Horizontal)
        slider.setRange(low, high)
        slider.setValue(value)
        slider.setMaximumWidth(110)
        slider.valueChanged.connect(slot)
        return slider

    @Slot(int)
    def _set_size(self, value: int) -> None:
        self.canvas.brush.size = float(value)

    @Slot(int)
    def _set_hardness(self, value: int) -> None:
        self.canvas.brush.hardness = value / 100

    @Slot(int)
    def _set_opacity(self, value: int) -> None:
        self.canvas.brush.opacity = value / 100

    @Slot(int)
    def _set_tolerance(self, value: int) -> None:
        self.canvas.fill_tolerance = value

    @Slot(str)
    def _on_tool_changed(self, name: str) -> None:
        self.buttons[Tool(name)].setChecked(True)

    @Slot()
    def choose_colour(self) -> None:
        colour = QColorDialog.getColor(QColor(*self.canvas.brush.colour), self, "Brush colour")
        if colour.isValid():
            self._show_colour(colour)

    @Slot(QColor)
    def _show_colour(self, colour: QColor) -> None:
        self.canvas.brush.colour = (colour.red(), colour.green(), colour.blue())
        self.colour_button.setText(colour.name())
        text = "#000" if colour.lightness() > 128 else "#fff"
        self.colour_button.setStyleSheet(f"background: {colour.name()}; color: {text};")
