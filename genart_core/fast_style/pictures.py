"""Pictures for the instant networks: checked, RGB, and sized the way each network wants them."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from genart_core.api import GenArtError
from genart_core.imaging import fit_within, load_image, resize, to_pil, to_rgb

PREDICTOR_SIDE = 256  # the style predictor's fixed input
MIN_STYLE_SIDE = 32  # below this a style image holds no texture to learn from
FLAT_LEVELS = 2  # a style image whose every channel spans at most this many levels is one flat colour
# The network's activations take ~150 bytes a pixel: 4096² is about 2.5 GB, beyond which memory runs out.
MAX_CONTENT_SIDE = 4096
# The network pads each side by reflection (up to 4 pixels, twice halved): thinner pictures cannot be padded.
MIN_CONTENT_SIDE = 16


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


def painting_square(path: str | Path) -> np.ndarray:
    """style_square of a style image a person chose, refused when it holds no texture at all (a
    blank or fully transparent file, which would quietly wash the photo out). Not for the
    content's own style vector: a blank canvas is a fine thing to paint on."""
    square = style_square(path)
    if int(np.ptp(square, axis=(0, 1)).max()) <= FLAT_LEVELS:
        raise GenArtError(
            f"The style image “{Path(path).name}” is one flat colour (blank, or fully transparent): it has no "
            "style to take. Choose a painting or a photo with some texture."
        )
    return square


def content_picture(source: str | Path | np.ndarray, size: int | None) -> np.ndarray:
    """The content as uint8 RGB with its longer side at most ``size`` (None: its own size)."""
    picture = to_rgb(source if isinstance(source, np.ndarray) else load_image(source))
    picture = fit_within(picture, size) if size else picture
    if max(picture.shape[:2]) > MAX_CONTENT_SIDE:
        raise GenArtError(
            f"Instant style transfer works on pictures up to {MAX_CONTENT_SIDE} pixels on the longer side; "
            f"this one is {picture.shape[1]}×{picture.shape[0]}. Choose a smaller size."
        )
    if min(picture.shape[:2]) < MIN_CONTENT_SIDE:
        raise GenArtError(
            f"The picture is {picture.shape[1]}×{picture.shape[0]} pixels: instant style transfer needs at least "
            f"{MIN_CONTENT_SIDE} on each side."
        )
    return picture


def painting_size(picture: np.ndarray, network_side: int | None) -> tuple[int, int]:
    """(width, height) the network paints ``picture`` at: its longer side at most ``network_side``,
    but never so small that the shorter side drops below MIN_CONTENT_SIDE (a long strip is painted
    at its own size)."""
    height, width = picture.shape[:2]
    scale = min(1.0, network_side / max(height, width)) if network_side else 1.0
    if min(height, width) * scale < MIN_CONTENT_SIDE:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def enlarge_with_detail(painted: np.ndarray, content: np.ndarray) -> np.ndarray:
    """``painted`` (the network's picture of ``content`` made smaller) at content's size, with the
    content's detail that the smaller size could not hold: enlarge(painted − shrink(content)) +
    content, a Laplacian-pyramid step. Enlarging alone gives a soft picture; this keeps the photo's
    edges sharp and the strokes as painted. The numpy and PIL twin of the optimisation's
    style_images.upsample_with_detail: the instant path does not load torch."""
    height, width = content.shape[:2]
    small_h, small_w = painted.shape[:2]
    shrunk = np.asarray(to_pil(content).resize((small_w, small_h), Image.Resampling.BICUBIC), np.float32)
    change = painted.astype(np.float32) - shrunk
    enlarged = np.stack([np.asarray(Image.fromarray(np.ascontiguousarray(change[..., channel]), mode="F").resize((width, height), Image.Resampling.BICUBIC))
                         for channel in range(3)], axis=-1)
    enlarged += content
    enlarged += 0.5
    return np.clip(enlarged, 0, 255).astype(np.uint8)


def paint_at_network_side(stylize: Callable[[np.ndarray], np.ndarray], content: np.ndarray,
                          network_side: int | None) -> tuple[np.ndarray, tuple[int, int]]:
    """``stylize``'s picture of ``content``, painted at ``painting_size`` and brought back to
    content's size with its detail; and the (width, height) it was painted at."""
    size = painting_size(content, network_side)
    if size == (content.shape[1], content.shape[0]):
        return stylize(content), size
    return enlarge_with_detail(stylize(resize(content, *size)), content), size


# Both conversions make as few new arrays as they can: at 512² each fresh float array costs more in
# first-touch page faults than its arithmetic (4 arrays took ~3 ms of CPU, in place ~0.7 ms).
_INVERSE_255 = np.float32(1 / 255)


def to_nhwc(picture: np.ndarray) -> np.ndarray:
    """uint8 H×W×3 -> float32 1×H×W×3 in [0, 1] (the ONNX graphs' layout), in one pass."""
    return np.multiply(picture, _INVERSE_255, dtype=np.float32)[None]


def from_nhwc(batch: np.ndarray) -> np.ndarray:
    """float 1×H×W×3 in [0, 1] -> uint8 H×W×3 (rounded)."""
    scaled = np.clip(batch[0], 0.0, 1.0)
    scaled *= 255.0
    scaled += 0.5
    return scaled.astype(np.uint8)


def keep_content_colors(result: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The content's colours with the result's brightness (Rec. 601 luminance): adding the same
    amount to R, G and B moves the luminance by that amount and leaves the chroma alone."""
    weights = np.array([0.299, 0.587, 0.114], np.float32)
    result_f, content_f = result.astype(np.float32), content.astype(np.float32)
    shift = result_f @ weights - content_f @ weights
    return np.clip(content_f + shift[..., None] + 0.5, 0, 255).astype(np.uint8)
