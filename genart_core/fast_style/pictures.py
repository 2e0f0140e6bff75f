"""Pictures for the instant networks: checked, RGB, and sized the way each network wants them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from genart_core.api import GenArtError
from genart_core.imaging import fit_within, load_image, to_pil, to_rgb

PREDICTOR_SIDE = 256  # the style predictor's fixed input
MIN_STYLE_SIDE = 32  # below this a style image holds no texture to learn from


def style_square(source: str | Path | np.ndarray) -> np.ndarray:
    """A style image (path or uint8 array) as the predictor's 256×256×3 uint8 input: the largest
    centred square, resized. Broken, huge (ImageLoadError), tiny (GenArtError) images are refused;
    greyscale and transparent ones become RGB (transparency over white)."""
    picture = to_rgb(source if isinstance(source, np.ndarray) else load_image(source))
    height, width = picture.shape[:2]
    if min(height, width) < MIN_STYLE_SIDE:
        raise GenArtError(
            f"The style image is {width}×{height} pixels: too small to carry a style. "
            f"Use one at least {MIN_STYLE_SIDE} pixels on each side (a few hundred is best)."
        )
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = to_pil(picture[top : top + side, left : left + side])
    return np.asarray(square.resize((PREDICTOR_SIDE, PREDICTOR_SIDE), Image.Resampling.LANCZOS))


def content_picture(source: str | Path | np.ndarray, size: int | None) -> np.ndarray:
    """The content as uint8 RGB with its longer side at most ``size`` (None: its own size)."""
    picture = to_rgb(source if isinstance(source, np.ndarray) else load_image(source))
    return fit_within(picture, size) if size else picture


def to_nhwc(picture: np.ndarray) -> np.ndarray:
    """uint8 H×W×3 -> float32 1×H×W×3 in [0, 1] (the ONNX graphs' layout)."""
    return (picture.astype(np.float32) / 255.0)[None]


def from_nhwc(batch: np.ndarray) -> np.ndarray:
    """float 1×H×W×3 in [0, 1] -> uint8 H×W×3."""
    return (np.clip(batch[0], 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def keep_content_colors(result: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The content's colours with the result's brightness (Rec. 601 luminance): adding the same
    amount to R, G and B moves the luminance by that amount and leaves the chroma alone."""
    weights = np.array([0.299, 0.587, 0.114], np.float32)
    result_f, content_f = result.astype(np.float32), content.astype(np.float32)
    shift = result_f @ weights - content_f @ weights
    return np.clip(content_f + shift[..., None] + 0.5, 0, 255).astype(np.uint8)
