"""Layer pixels shared between numpy and Qt without copies.

A layer's pixels live in one numpy array in Qt's fastest format, ARGB32 premultiplied, and a
QImage views the same memory: brushes write with numpy, QPainter composites and draws.
In memory an ARGB32 pixel is B, G, R, A on little-endian machines and A, R, G, B on big-endian ones;
``ORDER`` maps RGBA to those byte positions.
"""

from __future__ import annotations

import sys

import numpy as np
from PySide6.QtGui import QImage

QT_FORMAT = QImage.Format.Format_ARGB32_Premultiplied
ORDER = [2, 1, 0, 3] if sys.byteorder == "little" else [1, 2, 3, 0]


def blank(width: int, height: int) -> np.ndarray:
    """Transparent pixels. np.zeros maps untouched memory lazily, so empty layers cost little."""
    return np.zeros((height, width, 4), np.uint8)


def from_rgba(image: np.ndarray) -> np.ndarray:
    """Straight uint8 RGB(A) H×W×C -> premultiplied native H×W×4."""
    height, width = image.shape[:2]
    out = np.empty((height, width, 4), np.uint8)
    if image.shape[2] == 3:
        out[..., ORDER[:3]] = image
        out[..., ORDER[3]] = 255
        return out
    alpha = image[..., 3:4].astype(np.uint16)
    out[..., ORDER[:3]] = ((image[..., :3] * alpha + 127) // 255).astype(np.uint8)
    out[..., ORDER[3]] = image[..., 3]
    return out


def to_rgba(native: np.ndarray) -> np.ndarray:
    """Premultiplied native H×W×4 -> straight uint8 RGBA H×W×4."""
    rgba = native[..., ORDER].astype(np.uint16)
    alpha = rgba[..., 3:4]
    safe = np.maximum(alpha, 1)
    rgba[..., :3] = np.where(alpha > 0, np.minimum((rgba[..., :3] * 255 + safe // 2) // safe, 255), 0)
    return rgba.astype(np.uint8)


def premultiplied_colour(rgb: tuple[int, int, int], alpha: float = 1.0) -> np.ndarray:
    """One colour as a native premultiplied float32 pixel (for blending maths)."""
    pixel = np.empty(4, np.float32)
    pixel[ORDER[:3]] = np.asarray(rgb, np.float32) * alpha
    pixel[ORDER[3]] = 255.0 * alpha
    return pixel


def view(pixels: np.ndarray) -> QImage:
    """A QImage over ``pixels`` (no copy): numpy writes show up in it. Keep ``pixels`` alive."""
    height, width = pixels.shape[:2]
    if not pixels.flags.c_contiguous:
        raise ValueError("layer pixels must be C-contiguous")
    return QImage(pixels.data, width, height, width * 4, QT_FORMAT)
