"""Tile snapshots: what an edit changed, stored as the 64×64 tiles it touched (not whole images).

A brush stroke on a 4096×4096 layer typically touches a few dozen tiles, so its undo record is
kilobytes where a full copy would be 64 MB.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect

TILE = 64


def tiles_in(left: int, top: int, right: int, bottom: int):
    """(tile_y, tile_x) of every tile overlapping the half-open box [left, right) × [top, bottom)."""
    for tile_y in range(top // TILE, (bottom - 1) // TILE + 1):
        for tile_x in range(left // TILE, (right - 1) // TILE + 1):
            yield tile_y, tile_x


def tile_slices(tile_y: int, tile_x: int, shape: tuple[int, ...]) -> tuple[slice, slice]:
    top, left = tile_y * TILE, tile_x * TILE
    return slice(top, min(top + TILE, shape[0])), slice(left, min(left + TILE, shape[1]))


class TileBackup:
    """The original content of every tile an edit is about to touch."""

    def __init__(self, pixels: np.ndarray) -> None:
        self.pixels = pixels
        self.before: dict[tuple[int, int], np.ndarray] = {}

    def save(self, left: int, top: int, right: int, bottom: int) -> None:
        """Back up the not-yet-saved tiles of a box (call before writing into it)."""
        for key in tiles_in(left, top, right, bottom):
            if key not in self.before:
                self.before[key] = self.pixels[tile_slices(*key, self.pixels.shape)].copy()

    def changes(self) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
        """(tile_y, tile_x, before, after) for each tile whose pixels really changed."""
        found = []
        for (tile_y, tile_x), before in self.before.items():
            after = self.pixels[tile_slices(tile_y, tile_x, self.pixels.shape)]
            if not np.array_equal(before, after):
                found.append((tile_y, tile_x, before, after.copy()))
        return found


def bounds(tiles: list[tuple[int, int]], shape: tuple[int, ...]) -> QRect:
    """The image rectangle covering some tiles."""
    rect = QRect()
    for tile_y, tile_x in tiles:
        rows, cols = tile_slices(tile_y, tile_x, shape)
        rect = rect.united(QRect(cols.start, rows.start, cols.stop - cols.start, rows.stop - rows.start))
    return rect
