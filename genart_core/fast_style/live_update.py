"""Live mode's updates: restyle only the part of the canvas a stroke changed.

A stroke changes a small part of the picture, yet a full pass restyles all of it (0.08 s of network
and 0.02 s of grid removal at 512² on the quiet 2-core CPU; twice that and more on a busy one).
Everything in the instant path is local except the network's normalisation statistics (and the
style vector, which strength ≠ 1 takes partly from the whole picture). So a Live update keeps the
previous update's statistics and vector (the base), restyles a crop around the changed pixels and
pastes the crop's middle into the previous picture.

How far is far enough, measured on the astronaut at 512² in bf16 (an 8-pixel square inverted; crops
of growing margins against the whole picture, all with the same statistics): a changed pixel moves the network's output up to 55 pixels away (more than 4 levels only within 33), and a
crop gives a pixel the output of the whole picture once it has 56 pixels of context (48: at most
3 levels, 0.01 on average). The grid removal reaches 26 pixels and needs 28 of context. The
reaches below stop where the rest is a level or two; pixels further away keep their old values.

The kept statistics drift from the picture's as strokes add up: after four blocks of flat colour
(a tenth of the astronaut), a full pass with fresh statistics differed from the crops' picture by 8
levels on average. So the same Live request sent again, with nothing changed, makes a full pass
that records them afresh: the window sends it once the strokes pause (desktop_app/instant_style.py).
A change that covers most of the picture gets a full pass too: the crop would cost as much.
"""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np

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
    content: np.ndarray
    image: np.ndarray
    vector: np.ndarray
    statistics: list | None  # the runtime's normalisation statistics (None: it records none)
    settled: bool  # made by a full pass: its statistics are the picture's own

    def fits(self, request: FastStyleRequest, backend: str, content: np.ndarray) -> bool:
        """Whether ``request`` differs from the base's only in its content (same size, same runtime)."""
        return request == self.request and backend == self.backend and content.shape == self.content.shape


class LiveMemo:
    """The newest LiveBase of one worker's engine (kept in its model cache)."""

    def __init__(self) -> None:
        self.base: LiveBase | None = None


def changed_box(before: np.ndarray, after: np.ndarray) -> Box | None:
    """The smallest box holding every pixel that differs between two same-sized pictures; None if none does."""
    changed = np.any(before != after, axis=-1)
    rows, columns = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    if rows.size == 0:
        return None
    return Box(int(rows[0]), int(columns[0]), int(rows[-1]) + 1, int(columns[-1]) + 1)


def crop_plan(changed: Box, height: int, width: int) -> tuple[Box, Box] | None:
    """(crop, paste) for a change: the crop to restyle and the part of it to paste; None when the
    crop is so large that a full pass is as cheap."""
    paste = changed.grown(PASTE_REACH, height, width)
    grown = paste.grown(CONTEXT, height, width)
    top, bottom = _stepped(grown.top, grown.bottom, height)
    left, right = _stepped(grown.left, grown.right, width)
    crop = Box(top, left, bottom, right)
    if crop.area > MAX_CROP_SHARE * height * width:
        return None
    return crop, paste


def _stepped(start: int, stop: int, limit: int) -> tuple[int, int]:
    """[start, stop) grown to a multiple of SHAPE_STEP within [0, limit), its start on the ALIGN grid."""
    length = -(-(stop - start) // SHAPE_STEP) * SHAPE_STEP
    if start + length <= limit:
        return start, start + length
    return max(0, (limit - length) // ALIGN * ALIGN), limit
