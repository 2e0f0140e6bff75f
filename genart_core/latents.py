"""Latent-space arithmetic and sample sheets, in numpy (no torch): slerp, interpolation paths, grids."""

from __future__ import annotations

import math

import numpy as np


def slerp(start: np.ndarray, end: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation: keeps the norm a Gaussian code typically has, unlike a straight line."""
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    cosine = np.dot(start, end) / max(np.linalg.norm(start) * np.linalg.norm(end), 1e-12)
    angle = math.acos(float(np.clip(cosine, -1.0, 1.0)))
    if angle < 1e-6:  # (almost) the same direction: a straight line is the same path
        return (1 - t) * start + t * end
    return (math.sin((1 - t) * angle) * start + math.sin(t * angle) * end) / math.sin(angle)


def interpolation_path(start: np.ndarray, end: np.ndarray, steps: int) -> np.ndarray:
    """``steps`` codes from ``start`` to ``end`` inclusive (steps × latent)."""
    if steps < 2:
        raise ValueError("An interpolation needs at least two steps.")
    return np.stack([slerp(start, end, i / (steps - 1)) for i in range(steps)]).astype(np.float32)


def make_grid(images: list[np.ndarray], columns: int = 8, gap: int = 1, background: int = 40) -> np.ndarray:
    """uint8 H×W×3 images (all one size) -> one sheet, ``columns`` per row, ``gap`` pixels apart."""
    if not images:
        raise ValueError("No images to put in a grid.")
    height, width = images[0].shape[:2]
    columns = max(1, min(columns, len(images)))
    rows = math.ceil(len(images) / columns)
    sheet = np.full((rows * (height + gap) + gap, columns * (width + gap) + gap, 3), background, np.uint8)
    for index, picture in enumerate(images):
        top, left = gap + (index // columns) * (height + gap), gap + (index % columns) * (width + gap)
        sheet[top : top + height, left : left + width] = picture[..., :3]
    return sheet


def enlarge(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement, so tiny samples stay crisp when shown or saved."""
    return image.repeat(factor, axis=0).repeat(factor, axis=1) if factor > 1 else image
