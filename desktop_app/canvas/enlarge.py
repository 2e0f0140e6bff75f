"""The layer stack of a document enlarged by Image ▸ Upscale, as one undoable replacement.

Every layer is resampled smoothly (Lanczos on straight RGBA, so transparent edges keep their
colour), which keeps strokes, masks of paint and the picture lined up at the new size; the
learned upscaler's result then lies on top as a new layer, so nothing the user made changes or
disappears: hiding the new layer shows the plain enlargement beneath, and Undo the old size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_app.canvas import pixels as px
from desktop_app.canvas.document import CanvasLayer
from desktop_app.canvas.placement import place_result
from genart_core.api import GenerationInfo
from genart_core.imaging import resize

SOURCES = ("picture", "layer", "selection")


@dataclass(frozen=True)
class UpscaleTarget:
    """What is enlarged: the whole ``picture`` (flattened), the active ``layer`` (with its
    transparency) or the ``selection`` (a region of the flattened picture)."""

    source: str
    scale: int
    region: tuple[int, int, int, int] | None = None  # (x, y, width, height) of the selection
    layer: CanvasLayer | None = None  # the active layer, for source "layer"


def enlarged_layer(layer: CanvasLayer, scale: int) -> CanvasLayer:
    """A copy of ``layer`` ``scale`` times larger, smoothly resampled; its name, kind, opacity,
    visibility and info stay."""
    height, width = layer.pixels.shape[:2]
    if not layer.pixels[..., px.ORDER[3]].any():  # an empty paint layer stays empty: no resampling needed
        pixels = px.blank(width * scale, height * scale)
    else:
        pixels = px.from_rgba(resize(px.to_rgba(layer.pixels), width * scale, height * scale))
    return CanvasLayer(layer.name, pixels, layer.kind, layer.opacity, layer.visible, layer.info)


def enlarged_stack(layers: list[CanvasLayer], target: UpscaleTarget, image: np.ndarray, info: GenerationInfo | None, name: str) -> list[CanvasLayer]:
    """``layers`` enlarged, with the upscaler's ``image`` as a new result layer: on top for the
    picture and the selection (they were made from everything visible), right above the layer
    it was made from otherwise, which is then hidden (its transparency would show twice)."""
    scale = target.scale
    enlarged = [enlarged_layer(layer, scale) for layer in layers]
    height, width = enlarged[0].pixels.shape[:2]
    if target.source == "selection" and target.region is not None:
        x, y, region_width, region_height = target.region
        pixels = place_result(image[:, :, :3], width, height, (x * scale, y * scale, region_width * scale, region_height * scale))
    else:
        pixels = px.from_rgba(image if image.shape[:2] == (height, width) else resize(image, width, height))
    result = CanvasLayer(name, pixels, "result", info=info)
    if target.source == "layer" and target.layer in layers:
        index = layers.index(target.layer)
        enlarged[index].visible = False
        return enlarged[: index + 1] + [result] + enlarged[index + 1 :]
    return enlarged + [result]
