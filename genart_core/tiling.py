"""Running an image network tile by tile with overlap, and blending the tiles without seams.

A network sees only a few pixels around each output pixel (its receptive field), but at a tile's
cut edge it sees zero padding instead of the picture, so the outermost ``margin`` pixels of a
tile's output are wrong. Neighbouring tiles overlap by more than twice that; each tile's weight
is 0 over its cut margin and then rises smoothly to 1, so the blended picture takes every pixel
from tiles that saw its whole neighbourhood, and the result matches one untiled pass to within
rounding. Sides on the picture's own border keep weight 1 (the network pads there in both cases).
Network memory depends on the tile size only; the accumulators are output-sized float32 planes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tile:
    """A window of the input picture (pixels)."""

    top: int
    left: int
    height: int
    width: int


def _starts(size: int, tile: int, overlap: int) -> list[int]:
    if size <= tile:
        return [0]
    count = math.ceil((size - overlap) / (tile - overlap))
    return [round(i * (size - tile) / (count - 1)) for i in range(count)]


def tile_grid(height: int, width: int, tile: int, overlap: int) -> list[Tile]:
    """Windows of at most ``tile``×``tile`` covering the picture, neighbours overlapping by ≥ ``overlap``, row by row."""
    if tile <= overlap:
        raise ValueError(f"a tile of {tile} pixels cannot overlap its neighbour by {overlap}")
    return [
        Tile(top, left, min(tile, height), min(tile, width))
        for top in _starts(height, tile, overlap)
        for left in _starts(width, tile, overlap)
    ]


def _ramp(length: int, scale: int, start_cut: bool, end_cut: bool, margin: int, overlap: int) -> np.ndarray:
    """Weights along one side of a tile's output (``length`` input pixels × ``scale``)."""
    centres = (np.arange(length * scale, dtype=np.float32) + 0.5) / scale  # in input pixels
    weights = np.ones(length * scale, np.float32)
    rise = max(1.0, overlap - 2 * margin)
    for cut, distance in ((start_cut, centres), (end_cut, length - centres)):
        if cut:
            position = np.clip((distance - margin) / rise, 0.0, 1.0)
            weights *= 0.5 - 0.5 * np.cos(np.pi * position)  # smooth: no kink for the eye to catch
    return weights


class TileBlender:
    """Accumulates network outputs of tiles (float H×W×3 at ``scale``×) into one picture."""

    def __init__(self, height: int, width: int, scale: int, margin: int, overlap: int) -> None:
        if overlap <= 2 * margin:
            raise ValueError(f"tiles must overlap by more than twice their margin ({margin}), not {overlap}")
        self.height, self.width, self.scale = height, width, scale
        self.margin, self.overlap = margin, overlap
        self._sum = np.zeros((height * scale, width * scale, 3), np.float32)
        self._weight = np.zeros((height * scale, width * scale, 1), np.float32)

    def add(self, tile: Tile, output: np.ndarray) -> None:
        s = self.scale
        expected = (tile.height * s, tile.width * s, 3)
        if output.shape != expected:
            raise ValueError(f"a tile's output should be {expected}, not {output.shape}")
        rows = _ramp(tile.height, s, tile.top > 0, tile.top + tile.height < self.height, self.margin, self.overlap)
        columns = _ramp(tile.width, s, tile.left > 0, tile.left + tile.width < self.width, self.margin, self.overlap)
        weights = (rows[:, None] * columns[None, :])[:, :, None]
        where = np.s_[tile.top * s:(tile.top + tile.height) * s, tile.left * s:(tile.left + tile.width) * s]
        self._sum[where] += output * weights
        self._weight[where] += weights

    def blend_over(self, base: np.ndarray, step: int = 1) -> np.ndarray:
        """The blended tiles (float), with ``base`` (float H×W×3 at the output size) showing
        wherever no tile has landed yet and fading in where tiles only partly cover. ``step`` > 1
        returns every step-th pixel only (cheap previews)."""
        total = self._weight[::step, ::step]
        uncovered = np.clip(1.0 - total, 0.0, 1.0)
        return (self._sum[::step, ::step] + base[::step, ::step] * uncovered) / np.maximum(total, 1.0)
