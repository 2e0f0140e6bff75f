"""The layer stack, top layer first: pick the layer to paint on, show or hide layers (checkbox),
set opacity, rename (double-click), add, delete, reorder and flatten. Every change is undoable.

The layer that takes brush strokes is shown in bold and named under the list, so a stroke never
goes somewhere the painter did not expect."""

from __future__ import annotations

import html

from PySide6.QtCore import QSignalBlocker, Qt, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.canvas import Canvas
from desktop_app.canvas.document import CanvasLayer

_KIND_LABEL = {"image": "image", "paint": "paint", "result": "AI result"}


class LayersPanel(QWidget):
    def __init__(self, canvas: Canvas, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.document = canvas.document
        self.list = QListWidget()
        self.list.setEditTriggers(QListWidget.EditTrigger.DoubleClicked | QListWidget.EditTrigger.EditKeyPressed)
        self.list.currentRowChanged.connect(self._on_current_row)
        self.list.itemChanged.connect(self._on_item_changed)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setToolTip("Opacity of the selected layer")
        self.opacity.valueChanged.connect(self._on_opacity)
        self.opacity_label = QLabel("100 %")
        self.target_label = QLabel()
        self.target_label.setWordWrap(True)

        buttons = QHBoxLayout()
        for text, tip, slot in (
            ("+", "Add a paint layer", self.canvas.add_paint_layer),
            ("−", "Delete the selected layer", self._delete),
            ("↑", "Move the selected layer up", lambda: self._move(+1)),
            ("↓", "Move the selected layer down", lambda: self._move(-1)),
            ("Flatten", "Merge all visible layers into one", self.canvas.flatten),
        ):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)

        opacity_row = QHBoxLayout()
        opacity_row.addWidget(QLabel("Opacity"))
        opacity_row.addWidget(self.opacity, 1)
        opacity_row.addWidget(self.opacity_label)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.target_label)
        layout.addLayout(opacity_row)
        layout.addLayout(buttons)
        self.document.layers_changed.connect(self.rebuild)
        self.rebuild()

    def _layer_at(self, row: int) -> CanvasLayer | None:
        layers = self.document.layers
        index = len(layers) - 1 - row  # the list shows the top layer first
        return layers[index] if 0 <= row < len(layers) else None

    @Slot()
    def rebuild(self) -> None:
        blockers = (QSignalBlocker(self.list), QSignalBlocker(self.opacity))
        self.list.clear()
        for layer in reversed(self.document.layers):
            item = QListWidgetItem(layer.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable)
            item.setCheckState(Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
            tip = f"{_KIND_LABEL.get(layer.kind, layer.kind)}, opacity {layer.opacity:.0%}"
            if layer.info is not None and layer.info.prompt:
                tip += f"\n{layer.info.prompt}"
            item.setToolTip(tip)
            if layer is self.document.active:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
                item.setToolTip(tip + "\nBrush strokes go to this layer")
            self.list.addItem(item)
        active = self.document.active
        self.target_label.setText(_target_text(active))
        if active is not None and active in self.document.layers:
            self.list.setCurrentRow(len(self.document.layers) - 1 - self.document.layers.index(active))
            self.opacity.setValue(round(active.opacity * 100))
            self.opacity_label.setText(f"{active.opacity:.0%}")
        self.opacity.setEnabled(active is not None)
        del blockers

    @Slot(int)
    def _on_current_row(self, row: int) -> None:
        layer = self._layer_at(row)
        if layer is not None:
            self.document.set_active(layer)

    @Slot(QListWidgetItem)
    def _on_item_changed(self, item: QListWidgetItem) -> None:
        layer = self._layer_at(self.list.row(item))
        if layer is None:
            return
        visible = item.checkState() == Qt.CheckState.Checked
        if visible != layer.visible:
            self.canvas.set_layer_property(layer, "visible", visible)
        elif item.text().strip() and item.text() != layer.name:
            self.canvas.set_layer_property(layer, "name", item.text().strip())

    @Slot(int)
    def _on_opacity(self, value: int) -> None:
        layer = self.document.active
        if layer is not None:
            self.canvas.set_layer_property(layer, "opacity", value / 100)

    def _delete(self) -> None:
        if self.document.active is not None:
            self.canvas.remove_layer(self.document.active)

    def _move(self, step: int) -> None:
        layer = self.document.active
        if layer is not None:
            self.canvas.move_layer(layer, self.document.layers.index(layer) + step)


def _target_text(layer: CanvasLayer | None) -> str:
    if layer is None:
        return ""
    hidden = " (hidden: a stroke shows it again)" if not layer.visible else ""
    return f"Brush paints on: <b>{html.escape(layer.name)}</b>{hidden}"
