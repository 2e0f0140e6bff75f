"""Image conversions: uint8 H×W×C numpy arrays to and from Pillow images and torch tensors.

Reading files lives in :mod:`genart_core.image_decoding` (re-exported here, so callers keep
one import): it checks files and headers first, decodes within bounds and returns 8-bit RGB/RGBA.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from genart_core.image_decoding import load_image as load_image, load_pil as load_pil
from genart_core.image_limits import MAX_PIXELS as MAX_PIXELS, ImageLoadError as ImageLoadError

if TYPE_CHECKING:
    import torch

def to_pil(array: np.ndarray) -> Image.Image:
    if array.dtype != np.uint8:
        raise TypeError(f"expected a uint8 image, got {array.dtype}")
    if array.ndim == 2:
        return Image.fromarray(array, mode="L")
    return Image.fromarray(array, mode={3: "RGB", 4: "RGBA"}[array.shape[2]])


def to_rgb(array: np.ndarray, background: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """Drop alpha by compositing over ``background``; greyscale becomes three channels."""
    if array.ndim == 2:
        return np.repeat(array[:, :, None], 3, axis=2)
    if array.shape[2] == 3:
        return array
    alpha = array[:, :, 3:4].astype(np.float32) / 255.0
    colour = array[:, :, :3].astype(np.float32)
    composed = colour * alpha + np.asarray(background, np.float32) * (1.0 - alpha)
    return composed.round().astype(np.uint8)


def fit_within(array: np.ndarray, max_side: int) -> np.ndarray:
    """Scale down (never up) so the longer side is at most ``max_side`` (Lanczos)."""
    height, width = array.shape[:2]
    if max(height, width) <= max_side:
        return array
    scale = max_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(to_pil(array).resize(size, Image.Resampling.LANCZOS))


def resize(array: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.asarray(to_pil(array).resize((width, height), Image.Resampling.LANCZOS))


def to_tensor(array: np.ndarray) -> "torch.Tensor":
    """uint8 H×W×3 -> float 1×3×H×W in [0, 1]."""
    import torch

    rgb = to_rgb(array)
    return torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float().div(255.0)


def from_tensor(tensor: "torch.Tensor") -> np.ndarray:
    """float (1×)3×H×W in [0, 1] -> uint8 H×W×3."""
    if tensor.dim() == 4:
        tensor = tensor[0]
    return tensor.detach().float().clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy()


def batch_from_tensor(images: "torch.Tensor") -> np.ndarray:
    """float B×C×H×W in [0, 1] (C = 1 or 3) -> uint8 B×H×W×3."""
    pixels = (images.detach().float().clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
    return np.repeat(pixels, 3, axis=3) if pixels.shape[3] == 1 else pixels


def square_crop(picture: Image.Image) -> Image.Image:
    """The largest centred square of ``picture``."""
    width, height = picture.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return picture.crop((left, top, left + side, top + side))
