"""Layers as plain numpy data, and how they flatten into one picture.

A layer holds straight (not premultiplied) RGBA pixels and sits at (x, y) on a document of a
given size. Flattening composites the visible layers bottom to top with "normal" blending over an
opaque background — the same rule OpenRaster's ``svg:src-over`` names, so a file written here
looks the same in Krita or GIMP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from genart_core.api import GenerationInfo

WHITE = (255, 255, 255)


@dataclass
class Layer:
    name: str
    pixels: np.ndarray  # uint8 H×W×4, straight RGBA
    opacity: float = 1.0  # 0..1, multiplies the pixels' alpha
    visible: bool = True
    x: int = 0  # where the layer's top-left corner sits on the document
    y: int = 0
    kind: str = "paint"  # "image", "paint" or "result": how the app treats it
    info: GenerationInfo | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.pixels.dtype != np.uint8 or self.pixels.ndim != 3 or self.pixels.shape[2] != 4:
            raise ValueError(f"layer “{self.name}” needs uint8 H×W×4 pixels, got {self.pixels.dtype} {self.pixels.shape}")


def rgba(image: np.ndarray) -> np.ndarray:
    """Any uint8 H×W, H×W×3 or H×W×4 image as H×W×4 RGBA (opaque where it had no alpha)."""
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.shape[2] == 4:
        return image
    alpha = np.full(image.shape[:2] + (1,), 255, np.uint8)
    return np.concatenate([image, alpha], axis=2)


def composite(
    layers: list[Layer], width: int, height: int, background: tuple[int, int, int] = WHITE
) -> np.ndarray:
    """The visible layers (index 0 at the bottom) flattened over ``background``: uint8 H×W×3."""
    out = np.empty((height, width, 3), np.float32)
    out[:] = np.asarray(background, np.float32)
    for layer in layers:
        if not layer.visible or layer.opacity <= 0:
            continue
        # The part of the layer that lies on the document.
        left, top = max(0, layer.x), max(0, layer.y)
        right = min(width, layer.x + layer.pixels.shape[1])
        bottom = min(height, layer.y + layer.pixels.shape[0])
        if right <= left or bottom <= top:
            continue
        source = layer.pixels[top - layer.y : bottom - layer.y, left - layer.x : right - layer.x].astype(np.float32)
        alpha = source[:, :, 3:4] * (layer.opacity / 255.0)
        target = out[top:bottom, left:right]
        target *= 1.0 - alpha
        target += source[:, :, :3] * alpha
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
