"""Brush maths on premultiplied pixels: soft round dabs, strokes with a fixed opacity, flood fill.

A stroke keeps its own coverage mask (the strongest dab at each pixel) and blends the colour
over the layer as it was when the stroke began, so crossing a stroke over itself does not build
up past the chosen opacity — the way painting programs behave.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from desktop_app.canvas.tiles import TileBackup, tile_slices, tiles_in

Box = tuple[int, int, int, int]  # left, top, right, bottom (half-open), image pixels


@dataclass
class BrushSettings:
    size: float = 24.0  # diameter in image pixels at full pressure
    hardness: float = 0.7  # 0 = soft airbrush edge, 1 = crisp edge
    opacity: float = 1.0  # 0..1 for the whole stroke
    colour: tuple[int, int, int] = (20, 20, 28)


def dab_coverage(cx: float, cy: float, radius: float, hardness: float, box: Box) -> np.ndarray:
    """Coverage (0..1, float32) of a round dab centred at (cx, cy), over ``box``."""
    left, top, right, bottom = box
    dy = np.arange(top, bottom, dtype=np.float32) + 0.5 - cy
    dx = np.arange(left, right, dtype=np.float32) + 0.5 - cx
    distance = np.sqrt(dy[:, None] ** 2 + dx[None, :] ** 2)
    core = radius * hardness
    # Full coverage inside the core, a smoothstep fall-off to the rim; at least one pixel of ramp
    # so even a hard brush has anti-aliased edges.
    t = np.clip((distance - core) / max(radius - core, 1.0), 0.0, 1.0)
    return 1.0 - t * t * (3.0 - 2.0 * t)


class Stroke:
    """One press-drag-release of a brush, eraser or mask brush on one pixel array."""

    def __init__(self, pixels: np.ndarray, colour: np.ndarray, settings: BrushSettings, erase: bool, clip: Box) -> None:
        self.pixels = pixels
        self.colour = colour  # premultiplied native float32 pixel, see pixels.premultiplied_colour
        self.settings = settings
        self.erase = erase
        self.clip = clip
        self.backup = TileBackup(pixels)
        # np.zeros maps pages lazily: only the area the stroke crosses costs memory.
        self.coverage = np.zeros(pixels.shape[:2], np.float32)
        self._last: tuple[float, float, float] | None = None
        self._carry = 0.0  # distance left over from the previous segment before the next dab

    def move_to(self, x: float, y: float, pressure: float) -> Box | None:
        """Extend the stroke to (x, y); returns the box whose pixels changed, or None."""
        if self._last is None:
            self._last = (x, y, pressure)
            return self._apply([(x, y, pressure)])
        x0, y0, p0 = self._last
        length = math.hypot(x - x0, y - y0)
        spacing = max(1.0, 0.12 * self.settings.size * max(p0, pressure))
        dabs = []
        position = spacing - self._carry
        while position <= length:
            t = position / length
            dabs.append((x0 + (x - x0) * t, y0 + (y - y0) * t, p0 + (pressure - p0) * t))
            position += spacing
        self._carry = length - (position - spacing)
        self._last = (x, y, pressure)
        return self._apply(dabs) if dabs else None

    def _radius(self, pressure: float) -> float:
        # Pressure scales the size down to a fifth, so a light touch still leaves a mark.
        return max(0.5, self.settings.size / 2 * (0.2 + 0.8 * pressure))

    def _apply(self, dabs: list[tuple[float, float, float]]) -> Box | None:
        changed: Box | None = None
        for cx, cy, pressure in dabs:
            reach = self._radius(pressure) + 1.5
            box = (
                max(self.clip[0], int(cx - reach)),
                max(self.clip[1], int(cy - reach)),
                min(self.clip[2], int(math.ceil(cx + reach))),
                min(self.clip[3], int(math.ceil(cy + reach))),
            )
            if box[2] <= box[0] or box[3] <= box[1]:
                continue
            cover = dab_coverage(cx, cy, self._radius(pressure), self.settings.hardness, box)
            target = self.coverage[box[1] : box[3], box[0] : box[2]]
            np.maximum(target, cover * (0.35 + 0.65 * pressure), out=target)
            changed = box if changed is None else _union(changed, box)
        if changed is not None:
            self._blend(changed)
        return changed

    def _blend(self, box: Box) -> None:
        """Recompute the stroke's pixels in ``box`` from the originals and the coverage."""
        self.backup.save(*box)
        left, top, right, bottom = box
        for key in tiles_in(left, top, right, bottom):
            rows, cols = tile_slices(*key, self.pixels.shape)
            ys = slice(max(rows.start, top), min(rows.stop, bottom))
            xs = slice(max(cols.start, left), min(cols.stop, right))
            original = self.backup.before[key][ys.start - rows.start : ys.stop - rows.start, xs.start - cols.start : xs.stop - cols.start]
            alpha = (self.coverage[ys, xs] * self.settings.opacity)[:, :, None]
            base = original.astype(np.float32) * (1.0 - alpha)
            if not self.erase:
                base += self.colour * alpha
            self.pixels[ys, xs] = (base + 0.5).astype(np.uint8)


def fill_region(composite: np.ndarray, x: int, y: int, tolerance: int, clip: Box) -> np.ndarray | None:
    """Pixels connected to (x, y) whose colour is within ``tolerance`` of it: a bool H×W, or None."""
    left, top, right, bottom = clip
    if not (left <= x < right and top <= y < bottom):
        return None
    area = composite[top:bottom, left:right].astype(np.int16)
    seed = area[y - top, x - left]
    similar = np.abs(area - seed).max(axis=2) <= tolerance
    from scipy import ndimage  # 0.2 s to import: only when the fill tool is first used, not at start-up

    labels, _count = ndimage.label(similar)
    region = np.zeros(composite.shape[:2], bool)
    region[top:bottom, left:right] = labels == labels[y - top, x - left]
    return region


def paint_region(backup: TileBackup, region: np.ndarray, colour: np.ndarray, opacity: float) -> Box | None:
    """Blend ``colour`` over ``backup.pixels`` where ``region`` is set (backing the tiles up first)."""
    pixels = backup.pixels
    rows, cols = np.nonzero(region.any(axis=1))[0], np.nonzero(region.any(axis=0))[0]
    if not len(rows):
        return None
    box = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
    backup.save(*box)
    ys, xs = slice(box[1], box[3]), slice(box[0], box[2])
    alpha = region[ys, xs, None].astype(np.float32) * opacity
    blended = pixels[ys, xs].astype(np.float32) * (1.0 - alpha) + colour * alpha
    pixels[ys, xs] = (blended + 0.5).astype(np.uint8)
    return box


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
