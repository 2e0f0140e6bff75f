"""Removing the fine grid the instant network paints over every picture.

The network halves the picture twice with strided convolutions and doubles it twice again, and its
int8-trained weights leave a pattern locked to that 4-pixel grid: up to ±10 levels (of 255) on
flat areas, a grid of fine ridges that no painting has (it shows as sharp peaks at multiples of ¼
cycle per pixel in the picture's spectrum). Its strength changes across the picture, so it is
estimated locally: the picture less its 4×4 box mean (which holds no period-4 pattern at
all) leaves the grid and the painting's own fine detail; averaging that over the pixels at the
same place in their 4×4 cell, across ~30 pixels around, keeps the grid and averages the painting's
detail away. Where the grid's strength changes within those ~30 pixels the estimate spreads: a
32-pixel block at the edge of the learned Cubist cat, with little grid of its own (0.7 levels rms),
took on 2.3 from its neighbour's (6.8). Subtracting, at each pixel, the smaller of this estimate and
one over 1 cell (nothing where they disagree in sign) stopped that spread, but left a coherent grid
everywhere the narrow estimate came out smaller (the untuned astronaut's peaks 22–42 times the
median instead of 3–4). numpy on the instant path (which loads neither torch nor scipy); the same steps on
torch tensors for learning.
"""

from __future__ import annotations

import numpy as np

PERIOD = 4  # two stride-2 halvings and two doublings
# Radius in grid cells of the box blur (run twice, about a Gaussian of σ 2.8 cells, ~11 pixels)
# that averages the painting's own detail away from the grid. Smaller follows the grid's changes
# more closely but takes more of the painting's own detail with it: at radius 1 / 3 / 8 the grid
# left in 32-pixel blocks of the untuned Cubist cat went from 3.57 levels (rms) to 0.81 / 1.30 /
# 2.13, and the grid-free picture of tests/core/test_network_grid.py changed by 3.09 / 1.37 / 0.69.
CELL_RADIUS = 3


# Pictures with a side under two blur windows of cells are left as they are.
MIN_SIDE = 2 * PERIOD * (2 * CELL_RADIUS + 1)


def without_grid(picture: np.ndarray) -> np.ndarray:
    """``picture`` (uint8 H×W×3, as the network painted it) with the network's 4-pixel grid taken out."""
    height, width = picture.shape[:2]
    if min(height, width) < MIN_SIDE:
        return picture
    # Whole cells: pad by reflection to a multiple of the period, crop back at the end.
    padded = np.pad(picture, ((0, -height % PERIOD), (0, -width % PERIOD), (0, 0)), mode="reflect").astype(np.float32)
    padded -= grid_in(padded, np, 0)
    padded += 0.5
    return np.clip(padded[:height, :width], 0, 255).astype(np.uint8)


def without_grid_tensor(pictures):
    """The same for a torch N×C×H×W float tensor, differentiably (Learn this style tunes the network
    for the pictures the instant path shows); not clamped. torch is imported only here."""
    import torch
    import torch.nn.functional as F

    height, width = pictures.shape[-2:]
    if min(height, width) < MIN_SIDE:
        return pictures
    padded = F.pad(pictures, (0, -width % PERIOD, 0, -height % PERIOD), mode="reflect")
    return (padded - grid_in(padded, torch, 2))[..., :height, :width]


def grid_in(values, xp, height_axis: int):
    """The grid in ``values`` (a numpy array or torch tensor, ``xp`` its module; float, its height at
    ``height_axis`` and width next, both multiples of PERIOD)."""
    width_axis = height_axis + 1
    detail = values - _box_mean(_box_mean(values, PERIOD, height_axis, xp), PERIOD, width_axis, xp)
    shape = tuple(values.shape)
    rows, columns = shape[height_axis] // PERIOD, shape[width_axis] // PERIOD
    # Axes (…, i, a, j, b, …): the pixel at (a, b) in cell (i, j). Blurring along i and j averages
    # each place in the cell over the cells around it.
    cells = detail.reshape(*shape[:height_axis], rows, PERIOD, columns, PERIOD, *shape[width_axis + 1 :])
    window = 2 * CELL_RADIUS + 1
    for _ in range(2):
        cells = _box_mean(_box_mean(cells, window, height_axis, xp), window, height_axis + 2, xp)
    return cells.reshape(shape)


def _box_mean(values, size: int, axis: int, xp):
    """The mean of ``size`` neighbours along ``axis`` (mirrored at the ends, edge included), same
    shape: a sum of shifted slices, which for these short windows beats running sums."""
    before, after = size // 2, size - 1 - size // 2
    length = values.shape[axis]

    def part(start: int, stop: int):
        index = [slice(None)] * values.ndim
        index[axis] = slice(start, stop)
        return values[tuple(index)]

    padded = xp.concatenate([xp.flip(part(0, before), (axis,)), values, xp.flip(part(length - after, length), (axis,))], axis=axis)
    index = [slice(None)] * values.ndim

    def shifted(start: int):
        index[axis] = slice(start, start + length)
        return padded[tuple(index)]

    total = shifted(0) + shifted(1)
    for start in range(2, size):
        total += shifted(start)
    total *= 1 / size
    return total
