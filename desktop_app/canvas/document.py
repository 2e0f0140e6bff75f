"""The layered document behind the canvas: layers, their composite, the inpainting mask.

Layers are kept bottom-first. The composite (what the canvas shows and exports) is cached in
one QImage and recomposed only inside changed rectangles, which keeps brush strokes on a
4096×4096 picture cheap. Nothing here records undo; the commands in ``commands.py`` call in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, QPoint, QRect, Signal
from PySide6.QtGui import QColor, QImage, QPainter

from desktop_app.canvas import pixels as px
from desktop_app.qimage import to_array
from genart_core.api import GenerationInfo
from genart_core.layers import Layer

BACKGROUND = QColor(255, 255, 255)  # what transparent areas flatten onto (as in genart_core.layers)
MASK_RGB, MASK_ALPHA = (230, 30, 40), 0.45  # the inpainting mask's overlay: translucent red


@dataclass(eq=False)  # identity, not value: the stack finds layers by object
class CanvasLayer:
    name: str
    pixels: np.ndarray  # premultiplied native H×W×4 (see pixels.py)
    kind: str = "paint"  # "image", "paint" or "result"
    opacity: float = 1.0
    visible: bool = True
    info: GenerationInfo | None = None
    qimage: QImage = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.qimage = px.view(self.pixels)

    @classmethod
    def from_image(cls, image: np.ndarray, name: str, kind: str, info: GenerationInfo | None = None) -> "CanvasLayer":
        return cls(name, px.from_rgba(image), kind, info=info)

    @classmethod
    def from_core(cls, layer: Layer, width: int, height: int) -> "CanvasLayer":
        """A genart_core Layer (any size, any offset) placed on a width×height document."""
        pixels = px.blank(width, height)
        left, top = max(0, layer.x), max(0, layer.y)
        right, bottom = min(width, layer.x + layer.pixels.shape[1]), min(height, layer.y + layer.pixels.shape[0])
        if right > left and bottom > top:
            part = layer.pixels[top - layer.y : bottom - layer.y, left - layer.x : right - layer.x]
            pixels[top:bottom, left:right] = px.from_rgba(part)
        return cls(layer.name, pixels, layer.kind, layer.opacity, layer.visible, layer.info)

    def to_core(self) -> Layer:
        return Layer(self.name, px.to_rgba(self.pixels), self.opacity, self.visible, kind=self.kind, info=self.info)

    @property
    def nbytes(self) -> int:
        return self.pixels.nbytes


class Document(QObject):
    """Layers + composite + mask. ``changed`` carries the image rectangle whose pixels changed."""

    changed = Signal(QRect)
    layers_changed = Signal()  # the stack, a layer's properties or the active layer changed
    mask_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.layers: list[CanvasLayer] = []
        self.active: CanvasLayer | None = None
        self.composite = QImage()
        # The inpainting mask is drawn over the picture but never part of it.
        self.mask: np.ndarray | None = None
        self.mask_image = QImage()

    # -- size and stack -----------------------------------------------------------------------
    @property
    def width(self) -> int:
        return self.composite.width()

    @property
    def height(self) -> int:
        return self.composite.height()

    @property
    def rect(self) -> QRect:
        return QRect(0, 0, self.width, self.height)

    @property
    def is_empty(self) -> bool:
        return not self.layers

    def set_layers(self, layers: list[CanvasLayer], active: CanvasLayer | None = None) -> None:
        """Replace the whole stack (all layers must share one size)."""
        self.layers = list(layers)
        if layers:
            height, width = layers[0].pixels.shape[:2]
            if self.composite.width() != width or self.composite.height() != height:
                self.composite = QImage(width, height, QImage.Format.Format_RGB32)
                self.clear_mask()
        else:
            self.composite = QImage()
            self.clear_mask()
        self.active = active if active in self.layers else (self.layers[-1] if self.layers else None)
        self.refresh()

    def insert_layer(self, index: int, layer: CanvasLayer, activate: bool = True) -> None:
        self.layers.insert(index, layer)
        if activate or self.active is None:
            self.active = layer
        self.refresh()

    def remove_layer(self, layer: CanvasLayer) -> int:
        index = self.layers.index(layer)
        self.layers.pop(index)
        if self.active is layer:
            self.active = self.layers[min(index, len(self.layers) - 1)] if self.layers else None
        self.refresh()
        return index

    def move_layer(self, layer: CanvasLayer, index: int) -> None:
        self.layers.remove(layer)
        self.layers.insert(index, layer)
        self.refresh()

    def set_active(self, layer: CanvasLayer | None) -> None:
        if layer is not self.active:
            self.active = layer
            self.layers_changed.emit()

    def set_property(self, layer: CanvasLayer, name: str, value) -> None:
        setattr(layer, name, value)
        self.refresh()

    # -- composite ----------------------------------------------------------------------------
    def refresh(self, rect: QRect | None = None) -> None:
        """Recompose ``rect`` (everything when None) and tell the views."""
        whole = rect is None
        rect = self.rect if whole else rect.intersected(self.rect)
        if not rect.isEmpty():
            self._compose(rect)
            self.changed.emit(rect)
        if whole:
            self.layers_changed.emit()

    def _compose(self, rect: QRect) -> None:
        painter = QPainter(self.composite)
        painter.fillRect(rect, BACKGROUND)
        for layer in self.layers:
            if layer.visible and layer.opacity > 0:
                painter.setOpacity(layer.opacity)
                painter.drawImage(rect.topLeft(), layer.qimage, rect)
        painter.end()

    def flatten(self) -> np.ndarray:
        """The composite as uint8 H×W×3."""
        if self.is_empty:
            return np.zeros((0, 0, 3), np.uint8)
        return to_array(self.composite)

    def sample(self, point: QPoint) -> QColor | None:
        return QColor(self.composite.pixel(point)) if self.rect.contains(point) else None

    # -- inpainting mask ----------------------------------------------------------------------
    def ensure_mask(self) -> np.ndarray:
        """The overlay's pixels (premultiplied native), created on first use."""
        if self.mask is None:
            self.mask = px.blank(self.width, self.height)
            self.mask_image = px.view(self.mask)
        return self.mask

    def clear_mask(self) -> None:
        had_mask = self.mask is not None
        self.mask, self.mask_image = None, QImage()
        if had_mask:
            self.mask_changed.emit()

    def mask_array(self) -> np.ndarray | None:
        """H×W uint8, 255 where the mask is painted; None when nothing is."""
        if self.mask is None:
            return None
        # Half the overlay's full alpha: the anti-aliased rim of a stroke counts as half in, half out.
        painted = self.mask[..., px.ORDER[3]] >= MASK_ALPHA * 255 / 2
        if not painted.any():
            return None
        return np.where(painted, 255, 0).astype(np.uint8)

    def core_layers(self) -> list[Layer]:
        return [layer.to_core() for layer in self.layers]
