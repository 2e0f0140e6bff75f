"""Image loading and conversion: files -> uint8 H×W×C numpy arrays, with the checks users need.

Every load goes through :func:`load_image`, which reads the header first so an enormous image is
refused before any pixel is decoded, applies EXIF orientation, and converts palette, greyscale,
16-bit, CMYK and alpha images to RGB or RGBA.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from genart_core.api import GenArtError

if TYPE_CHECKING:
    import torch

# 64 megapixels: a 8000×8000 photo opens, a 30000×30000 one (2.7 GB decoded) is refused.
MAX_PIXELS = 64_000_000


class ImageLoadError(GenArtError):
    """An image could not be used; the message says which file and why."""


def _describe(source: str | Path | bytes) -> str:
    return "The dropped image data" if isinstance(source, bytes) else f"“{Path(source).name}”"


def _open(source: str | Path | bytes) -> Image.Image:
    what = _describe(source)
    if not isinstance(source, bytes):
        path = Path(source)
        if path.is_dir():
            raise ImageLoadError(f"{what} is a folder, not an image.")
        if not path.exists():
            raise ImageLoadError(f"{what} does not exist (it may have been moved or deleted).")
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check would warn or raise with a technical message; ours is clearer.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    except Image.DecompressionBombError as exc:
        # Pillow refuses images past twice its own limit before we can see the size.
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        amount = f" ({int(pixels.group(1)) / 1e6:.0f} megapixels)" if pixels else ""
        raise ImageLoadError(
            f"{what} is too large{amount}; the limit is {MAX_PIXELS / 1e6:.0f} megapixels. "
            "Scale it down in another editor first."
        ) from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"{what} is not an image this app can read (PNG, JPEG, WebP, BMP, TIFF, GIF).") from None
    except PermissionError:
        raise ImageLoadError(f"{what} could not be read: permission denied.") from None
    except OSError as exc:
        raise ImageLoadError(f"{what} could not be read: {exc.strerror or exc}.") from None


def _check_size(image: Image.Image, what: str, max_pixels: int) -> None:
    width, height = image.size
    if width <= 0 or height <= 0:
        raise ImageLoadError(f"{what} has no pixels.")
    if width * height > max_pixels:
        raise ImageLoadError(
            f"{what} is too large: {width}×{height} pixels ({width * height / 1e6:.0f} megapixels); "
            f"the limit is {max_pixels / 1e6:.0f} megapixels. Scale it down in another editor first."
        )


def _to_8bit(image: Image.Image) -> Image.Image:
    """16-bit and float greyscale ('I;16', 'I', 'F') -> 'L' by scaling to the value range."""
    array = np.asarray(image, dtype=np.float64)
    if image.mode == "F":
        low, high = float(array.min()), float(array.max())
        array = (array - low) / (high - low or 1.0) * 255.0
    elif array.max() > 255:  # integer data past 8 bits is taken as 16-bit
        array = array / 65535.0 * 255.0
    return Image.fromarray(np.clip(array, 0, 255).round().astype(np.uint8), mode="L")


def normalise_mode(image: Image.Image) -> Image.Image:
    """Any Pillow mode -> 'RGB' or 'RGBA' (alpha is kept only when the image has some)."""
    if image.mode in {"I;16", "I;16B", "I;16L", "I", "F"}:
        image = _to_8bit(image)
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in {"1", "L", "CMYK", "YCbCr", "LAB", "HSV"}:
        image = image.convert("RGB")
    if image.mode in {"LA", "PA", "La", "RGBa"}:
        image = image.convert("RGBA")
    if image.mode not in {"RGB", "RGBA"}:
        image = image.convert("RGB")
    return image


def load_pil(source: str | Path | bytes, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Open, check, decode, orient and normalise an image file or in-memory encoded bytes."""
    what = _describe(source)
    image = _open(source)
    _check_size(image, what, max_pixels)
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageLoadError(f"{what} is damaged or incomplete and could not be decoded ({exc}).") from None
    return normalise_mode(image)


def load_image(source: str | Path | bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """A file (or encoded bytes) as a uint8 H×W×3 (RGB) or H×W×4 (RGBA) array."""
    return np.asarray(load_pil(source, max_pixels)).copy()


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
