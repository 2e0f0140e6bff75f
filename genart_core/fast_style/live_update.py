"""Live mode's updates: restyle only the part of the canvas a stroke changed.

A stroke changes a small part of the picture, yet a full pass restyles all of it (0.08 s of network
and 0.02 s of grid removal at 512² on the quiet 2-core CPU; twice that and more on a busy one).
Everything in the instant path is local except the network's normalisation statistics (and the
style vector, which strength ≠ 1 takes partly from the whole picture). So a Live update keeps the
previous update's statistics and vector (the base), restyles a crop around the changed pixels and
pastes the crop's middle into the previous picture.

How far is far enough, measured on the astronaut at 512² in bf16 (an 8-pixel square inverted;
crops of growing margins against the whole picture, all with the same statistics): a changed pixel
moves the network's output up to 55 pixels away (more than 4 levels only within 33), and a crop
gives a pixel the output of the whole picture once it has 56 pixels of context (48: at most 3
levels, 0.01 on average). The grid removal reaches 26 pixels and needs 28 of context. The
reaches below stop where the rest is a level or two; pixels further away keep their old values.

A picture larger than the network side is painted smaller and enlarged with its detail
(pictures.paint_at_network_side): then the changed box is carried to the painting's pixels through
the shrinking's reach, cropped and restyled there, and brought back through the enlarging's. The
resizes of a part are PIL's resizes of a window with the same sampling positions (its ``box``), so
a part comes out as that part of the whole picture resized (to a level: PIL rounds each pass).

The kept statistics drift from the picture's as strokes add up: after four blocks of flat colour
(a tenth of the astronaut), a full pass with fresh statistics differed from the crops' picture by 8
levels on average. So the same Live request sent again, with nothing changed, makes a full pass
that records them afresh: the window sends it once the strokes pause (desktop_app/instant_style.py).
A change that covers most of the picture gets a full pass too: the crop would cost as much.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from genart_core.requests.fast_style import FastStyleRequest

ALIGN = 4  # the network's stride-2 pair and the grid's 4-pixel cells: crops start on this grid
# Pixels around the changed ones that are restyled (and pasted) ...
PASTE_REACH = 48
# ... and the context around those that the crop adds, so they come out as within the whole picture.
CONTEXT = 56
# Above this share of the picture's pixels, the crop costs about what the whole does: a full pass.
MAX_CROP_SHARE = 0.6
# Crop sides are grown to a multiple of this: torch (oneDNN) prepares its convolutions once per
# input shape, ~0.014 s more on a shape's first pass than on the next (208×512 crops, bf16), and a
# few dozen shapes serve every stroke.
SHAPE_STEP = 32


@dataclass(frozen=True)
class Box:
    """Rows top..bottom and columns left..right of a picture (ends excluded)."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def area(self) -> int:
        return (self.bottom - self.top) * (self.right - self.left)

    def slices(self, origin: "Box | None" = None) -> tuple[slice, slice]:
        """This box as array indices, relative to ``origin``'s corner when given."""
        top, left = (origin.top, origin.left) if origin else (0, 0)
        return slice(self.top - top, self.bottom - top), slice(self.left - left, self.right - left)

    def grown(self, by: int, height: int, width: int) -> "Box":
        """Grown by ``by`` on every side, its start moved down to the ALIGN grid, within height × width."""
        top, left = max(0, self.top - by) // ALIGN * ALIGN, max(0, self.left - by) // ALIGN * ALIGN
        return Box(top, left, min(height, self.bottom + by), min(width, self.right + by))


@dataclass
class LiveBase:
    """The previous Live update: what it was asked, the picture it restyled and made, and what a
    crop of the next one reuses (the style vector and the runtime's normalisation statistics)."""

    request: FastStyleRequest
    backend: str
    canvas: np.ndarray | None  # the request's picture as given (None: a file)
    content: np.ndarray  # as restyled: at most the request's size
    image: np.ndarray
    vector: np.ndarray
    statistics: list  # the runtime's normalisation statistics
    settled: bool  # made by a full pass: its statistics are the picture's own

    def follows(self, request: FastStyleRequest, backend: str) -> bool:
        """Whether ``request`` differs from the base's in its picture at most, on the same runtime."""
        return request == self.request and backend == self.backend


class LiveMemo:
    """The newest LiveBase of one worker's engine (kept in its model cache)."""

    def __init__(self) -> None:
        self.base: LiveBase | None = None


def changed_box(before: np.ndarray, after: np.ndarray) -> Box | None:
    """The smallest box holding every pixel that differs between two same-sized pictures; None if none does."""
    # Rows of H×(W·C) values: reducing along the last axis of size 3 took 0.07 s at 2048², this 0.01 s.
    height, channels = before.shape[0], before.shape[2] if before.ndim == 3 else 1
    differs = (before != after).reshape(height, -1)
    rows = np.flatnonzero(differs.any(axis=1))
    if rows.size == 0:
        return None
    columns = np.flatnonzero(differs[rows[0] : rows[-1] + 1].any(axis=0)) // channels
    return Box(int(rows[0]), int(columns[0]), int(rows[-1]) + 1, int(columns[-1]) + 1)


def crop_plan(changed: Box, height: int, width: int) -> tuple[Box, Box] | None:
    """(crop, paste) for a change: the crop to restyle and the part of it to paste; None when the
    crop is so large that a full pass is as cheap."""
    paste = changed.grown(PASTE_REACH, height, width)
    grown = paste.grown(CONTEXT, height, width)
    top, bottom = _stepped(grown.top, grown.bottom, height)
    left, right = _stepped(grown.left, grown.right, width)
    crop = Box(top, left, bottom, right)
    return (crop, paste) if worth_a_part(crop, height, width) else None


def worth_a_part(part: Box, height: int, width: int) -> bool:
    """Whether making only ``part`` of a height × width picture saves enough over making all of it."""
    return part.area <= MAX_CROP_SHARE * height * width


def _stepped(start: int, stop: int, limit: int) -> tuple[int, int]:
    """[start, stop) grown to a multiple of SHAPE_STEP within [0, limit), its start on the ALIGN grid."""
    length = -(-(stop - start) // SHAPE_STEP) * SHAPE_STEP
    if start + length <= limit:
        return start, start + length
    return max(0, (limit - length) // ALIGN * ALIGN), limit


# Reach of PIL's filters, in pixels of the smaller picture: Lanczos (the shrinking to the network
# side, imaging.resize) and bicubic (enlarge_with_detail both ways).
LANCZOS_SUPPORT, BICUBIC_SUPPORT = 3, 2


def to_smaller(changed: Box, large: tuple[int, int], small: tuple[int, int], support: float = LANCZOS_SUPPORT) -> Box:
    """The pixels of ``large`` (width, height) shrunk to ``small`` that ``changed`` reaches."""
    (width, height), (small_width, small_height) = large, small
    sx, sy = width / small_width, height / small_height
    return Box(max(0, math.floor(changed.top / sy - support - 0.5)), max(0, math.floor(changed.left / sx - support - 0.5)),
               min(small_height, math.ceil(changed.bottom / sy + support)), min(small_width, math.ceil(changed.right / sx + support)))


def to_larger(part: Box, small: tuple[int, int], large: tuple[int, int], support: float = BICUBIC_SUPPORT) -> Box:
    """The pixels of ``small`` (width, height) enlarged to ``large`` that ``part`` reaches."""
    (small_width, small_height), (width, height) = small, large
    sx, sy = width / small_width, height / small_height
    return Box(max(0, math.floor((part.top - support - 0.5) * sy - 0.5)), max(0, math.floor((part.left - support - 0.5) * sx - 0.5)),
               min(height, math.ceil((part.bottom + support + 0.5) * sy)), min(width, math.ceil((part.right + support + 0.5) * sx)))


def resized_part(picture: np.ndarray, size: tuple[int, int], part: Box, resample: Image.Resampling, support: float,
                 whole: tuple[int, int] | None = None, at: tuple[int, int] = (0, 0)) -> np.ndarray:
    """``part`` of a picture resized to ``size`` (width, height), made from a window of it only.
    ``picture`` is the picture, or a window of it at ``at`` (top, left) when ``whole`` (width,
    height) gives the picture's size. uint8 H×W×3, or float32 H×W×3 (resized channel by channel)."""
    whole = whole or (picture.shape[1], picture.shape[0])
    top, left = at
    sx, sy = whole[0] / size[0], whole[1] / size[1]
    reach_x, reach_y = support * max(sx, 1.0) + 1, support * max(sy, 1.0) + 1
    x0 = max(left, math.floor(part.left * sx - reach_x)) - left
    x1 = min(left + picture.shape[1], math.ceil(part.right * sx + reach_x)) - left
    y0 = max(top, math.floor(part.top * sy - reach_y)) - top
    y1 = min(top + picture.shape[0], math.ceil(part.bottom * sy + reach_y)) - top
    window = np.ascontiguousarray(picture[y0:y1, x0:x1])
    # The window's sampling positions are the whole's, shifted by the window's corner.
    box = (part.left * sx - x0 - left, part.top * sy - y0 - top, part.right * sx - x0 - left, part.bottom * sy - y0 - top)
    out_size = (part.right - part.left, part.bottom - part.top)
    if window.dtype == np.uint8:
        return np.asarray(Image.fromarray(window).resize(out_size, resample, box=box))
    return np.stack([np.asarray(Image.fromarray(np.ascontiguousarray(window[..., channel]), mode="F").resize(out_size, resample, box=box))
                     for channel in range(window.shape[2])], axis=-1)


def enlarged_part(painted: np.ndarray, crop: Box, content: np.ndarray, painted_size: tuple[int, int], part: Box) -> np.ndarray:
    """``part`` of pictures.enlarge_with_detail's picture (``content`` painted at ``painted_size``
    and enlarged with its detail), from ``painted``, the painting's ``crop`` only."""
    whole = (content.shape[1], content.shape[0])
    shrunk = resized_part(content, painted_size, crop, Image.Resampling.BICUBIC, BICUBIC_SUPPORT)
    change = painted.astype(np.float32) - shrunk
    enlarged = resized_part(change, whole, part, Image.Resampling.BICUBIC, BICUBIC_SUPPORT, whole=painted_size, at=(crop.top, crop.left))
    enlarged += content[part.slices()]
    enlarged += 0.5
    return np.clip(enlarged, 0, 255).astype(np.uint8)
