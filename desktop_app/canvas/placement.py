"""What an AI job takes from the document (the selection's pixels) and where its result goes:
scaled back into that region with a feathered edge, at its place in the layer stack.

Inside the region the result covers the picture; over the last few pixels towards each edge its
alpha ramps down, so the seam with the untouched surroundings disappears. Edges that lie on the
document border stay hard — there is nothing to blend with there.
"""

from __future__ import annotations

import numpy as np

from desktop_app.canvas import pixels as px
from genart_core.imaging import resize


def result_layer_index(kinds: list[str], made_from_canvas: bool) -> int:
    """Where a new result layer goes in a stack of layer kinds (bottom first).

    A result made from the canvas (image-to-image, inpainting, style transfer) already holds the
    strokes it was made from, so it goes on top, as a new layer does in painting programs. Any
    other result (text-to-image, a GAN sample) goes under the paint layers at the top of the
    stack, so what was painted there stays visible over it.
    """
    index = len(kinds)
    if not made_from_canvas:
        while index > 0 and kinds[index - 1] == "paint":
            index -= 1
    return index


def crop_to_region(array: np.ndarray, region: tuple[int, int, int, int] | None) -> np.ndarray:
    """The pixels of ``array`` inside ``region`` (x, y, width, height) — a copy — or all of it."""
    if region is None:
        return array
    x, y, width, height = region
    return array[y : y + height, x : x + width].copy()


def feather_width(width: int, height: int) -> int:
    """An eighth of the region's shorter side, between 2 and 32 pixels."""
    return int(max(2, min(32, min(width, height) // 8)))


def feather_alpha(width: int, height: int, feather: int, hard: tuple[bool, bool, bool, bool]) -> np.ndarray:
    """uint8 height×width alpha ramping from 0 at each soft edge to 255 ``feather`` pixels inside.

    ``hard`` says, for the left, top, right and bottom edges, whether that edge stays opaque.
    """
    def ramp(length: int, hard_start: bool, hard_end: bool) -> np.ndarray:
        position = np.arange(length, dtype=np.float32) + 0.5
        start = np.ones(length, np.float32) if hard_start else np.clip(position / feather, 0, 1)
        end = np.ones(length, np.float32) if hard_end else np.clip((length - position) / feather, 0, 1)
        weight = np.minimum(start, end)
        return weight * weight * (3 - 2 * weight)  # smoothstep: no visible band where the ramp ends

    left, top, right, bottom = hard
    alpha = np.outer(ramp(height, top, bottom), ramp(width, left, right))
    return (alpha * 255 + 0.5).astype(np.uint8)


def place_result(image: np.ndarray, width: int, height: int, region: tuple[int, int, int, int] | None) -> np.ndarray:
    """A width×height premultiplied layer holding ``image`` (uint8 RGB) scaled into ``region``, or over everything."""
    if region is None:
        if image.shape[:2] != (height, width):
            image = resize(image, width, height)
        return px.from_rgba(image)
    x, y, region_width, region_height = region
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + region_width), min(height, y + region_height)
    layer = px.blank(width, height)
    if x1 <= x0 or y1 <= y0:
        return layer
    scaled = image if image.shape[:2] == (region_height, region_width) else resize(image, region_width, region_height)
    scaled = scaled[y0 - y : y1 - y, x0 - x : x1 - x]
    hard = (x0 == 0, y0 == 0, x1 == width, y1 == height)
    alpha = feather_alpha(x1 - x0, y1 - y0, feather_width(x1 - x0, y1 - y0), hard)
    layer[y0:y1, x0:x1] = px.from_rgba(np.dstack([scaled, alpha]))
    return layer
