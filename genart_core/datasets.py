"""Training images: a folder chosen by the user, or data sets that need no download.

``load_dataset(source, size, channels)`` returns uint8 N×size×size×channels plus labels when the
source has them. Sources: a folder path, ``bundled:digits`` (digits rendered from the installed
fonts with elastic distortion, MNIST-like: white on black, 20 px box centred by mass),
``bundled:sklearn-digits`` (scikit-learn's 8×8 digits, upscaled) and ``bundled:faces``
(scikit-image's lfw_subset).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from genart_core.api import GenArtError
from genart_core.imaging import ImageLoadError, load_pil, square_crop

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"}
FONT_FOLDERS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts", Path("C:/Windows/Fonts"), Path("/Library/Fonts"))
MAX_FOLDER_IMAGES = 50_000
# Symbol and dingbat fonts draw pictures where digits should be (URW's D050000L is Dingbats).
NOT_DIGIT_FONTS = ("Math", "Symbol", "Dingbats", "D050000L", "Fallback")


class DatasetError(GenArtError):
    """Training data could not be read; the message says what to fix."""


@dataclass
class Dataset:
    images: np.ndarray  # uint8 N×H×W×C
    labels: np.ndarray | None  # int N, where the source has classes
    description: str


def load_dataset(source: str, size: int, channels: int, count: int = 20_000, seed: int = 0) -> Dataset:
    if source == "bundled:digits":
        images, labels = synthetic_digits(count, size, seed)
        data = Dataset(images[..., None], labels, f"{count} digits rendered from fonts, elastic distortion, seed {seed}")
    elif source == "bundled:sklearn-digits":
        data = _sklearn_digits(size)
    elif source == "bundled:faces":
        data = _lfw_faces(size)
    else:
        data = folder_images(Path(source), size)
    data.images = to_channels(data.images, channels)
    return data


def to_channels(images: np.ndarray, channels: int) -> np.ndarray:
    """uint8 …×C images with ``channels`` channels: grey from RGB by luma, RGB from grey by repeating."""
    if images.shape[-1] == channels:
        return images
    if channels == 1:  # ITU-R 601 luma
        grey = images[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        return grey.round().clip(0, 255).astype(np.uint8)[..., None]
    return np.repeat(images, 3, axis=-1)


def folder_images(folder: Path, size: int) -> Dataset:
    """Every image in ``folder`` (and below), centre-cropped to a square and resized to ``size``."""
    if not folder.is_dir():
        raise DatasetError(f"The training folder {folder} does not exist or is not a folder.")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise DatasetError(f"The folder {folder} contains no images (PNG, JPEG, WebP, BMP, TIFF, GIF).")
    images, skipped = [], 0
    for path in files[:MAX_FOLDER_IMAGES]:
        try:
            picture = load_pil(path).convert("RGB")
        except ImageLoadError as exc:
            log.warning("Skipping %s", exc)
            skipped += 1
            continue
        images.append(np.asarray(square_crop(picture).resize((size, size), Image.Resampling.LANCZOS)))
    if len(images) < 2:
        raise DatasetError(f"The folder {folder} has fewer than two readable images; a model needs more to learn from.")
    note = f", {skipped} unreadable skipped" if skipped else ""
    return Dataset(np.stack(images), None, f"{len(images)} images from {folder}{note}")


def _sklearn_digits(size: int) -> Dataset:
    from sklearn.datasets import load_digits

    digits = load_digits()
    # Values 0..16 on an 8×8 grid; the bicubic upscale keeps them recognisable, if soft.
    images = [
        np.asarray(Image.fromarray((d * 255 / 16).astype(np.uint8)).resize((size, size), Image.Resampling.BICUBIC))
        for d in digits.images
    ]
    return Dataset(np.stack(images)[..., None], digits.target.astype(np.int64), "scikit-learn digits (1797, 8×8 upscaled)")


def _lfw_faces(size: int) -> Dataset:
    from skimage.data import lfw_subset

    faces = lfw_subset()  # 200 greyscale 25×25 floats in [0, 1]
    images = [np.asarray(Image.fromarray((f * 255).astype(np.uint8)).resize((size, size), Image.Resampling.BICUBIC)) for f in faces]
    return Dataset(np.stack(images)[..., None], None, "scikit-image lfw_subset (200 faces, upscaled)")


# -- digits rendered from fonts --------------------------------------------------------------

def installed_fonts() -> list[Path]:
    """Every TrueType/OpenType font file in the usual font folders."""
    fonts = []
    for folder in FONT_FOLDERS:
        if folder.is_dir():
            fonts += sorted(p for p in folder.rglob("*") if p.suffix.lower() in {".ttf", ".otf"})
    return fonts


# Unicode promises never to assign U+FFFF, so every font draws its missing-glyph box (.notdef) for it.
_NEVER_A_GLYPH = "\uffff"


def _glyph_picture(font: ImageFont.FreeTypeFont, text: str, side: int = 64, thinning_pen: int = 1) -> np.ndarray:
    """``text`` in white on a black ``side`` square, its strokes thinned by a ``thinning_pen``-wide
    minimum filter (1: as drawn)."""
    picture = Image.new("L", (side, side), 0)
    ImageDraw.Draw(picture).text((side / 2, side / 2), text, fill=255, font=font, anchor="mm")
    if thinning_pen > 1:
        picture = picture.filter(ImageFilter.MinFilter(thinning_pen))
    return np.asarray(picture)


def draws_every_digit(font_path: Path) -> bool:
    """Whether the font has a real glyph for each of 0–9: ink, and not the box it draws for a
    character it lacks (fallback fonts such as DroidSansFallback draw that box for digits)."""
    try:
        font = ImageFont.truetype(str(font_path), 40)
    except OSError:  # a damaged or unsupported font file
        return False
    missing = _glyph_picture(font, _NEVER_A_GLYPH)
    for digit in "0123456789":
        picture = _glyph_picture(font, digit)
        if not picture.any() or np.array_equal(picture, missing):
            return False
    return True


# The smallest size and the thinning pen of _render_digit: a font must keep solid ink under both.
_SMALLEST_DIGIT_SIZE = 56
_THINNING_PEN = 3


def has_strokes_to_thin(font_path: Path) -> bool:
    """Whether every digit keeps solid ink when drawn at the smallest training size and thinned
    with the training pen. Hairline fonts (DejaVuSans-ExtraLight) lose their strokes there and
    would teach faint grey smudges as digits."""
    font = ImageFont.truetype(str(font_path), _SMALLEST_DIGIT_SIZE)
    return all(_glyph_picture(font, digit, side=96, thinning_pen=_THINNING_PEN).max() == 255 for digit in "0123456789")


@functools.cache
def digit_fonts() -> tuple[Path, ...]:
    """Installed fonts that draw real digits: not symbol or dingbat fonts (whose digits are
    pictures), with a glyph for every digit, and with strokes that survive thinning."""
    named = [f for f in installed_fonts() if not any(word in f.name for word in NOT_DIGIT_FONTS)]
    return tuple(f for f in named if draws_every_digit(f) and has_strokes_to_thin(f))


def synthetic_digits(count: int, size: int = 28, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``count`` handwriting-like digits (uint8 N×size×size, white on black) and their labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count)
    return render_digits(labels, size, rng), labels.astype(np.int64)


def render_digits(
    labels: np.ndarray, size: int, rng: np.random.Generator, fonts: Sequence[Path] | None = None, detail: int = 1,
) -> np.ndarray:
    """One digit per label (uint8 N×size×size, white on black), each in a random font of ``fonts``
    (default: every font of ``digit_fonts``). ``detail`` draws each digit on a canvas that many
    times larger before framing it (for sharp pictures much larger than 28 px: the upscalers'
    ground truth); detail 1 draws exactly the digits it always drew."""
    fonts = digit_fonts() if fonts is None else fonts
    if not fonts:
        raise DatasetError("No fonts were found to draw digits with; train on a folder of images instead.")
    images = np.empty((len(labels), size, size), np.uint8)
    for index, label in enumerate(labels):
        font = fonts[rng.integers(len(fonts))]
        images[index] = _render_digit(str(label), font, size, rng, detail)
    return images


def _render_digit(text: str, font_path: Path, size: int, rng: np.random.Generator, detail: int = 1) -> np.ndarray:
    canvas = 96 * detail  # lengths below in canvas pixels scale with it
    font = ImageFont.truetype(str(font_path), int(rng.uniform(_SMALLEST_DIGIT_SIZE, 72) * detail))
    picture = Image.new("L", (canvas, canvas), 0)
    ImageDraw.Draw(picture).text((canvas / 2, canvas / 2), text, fill=255, font=font, anchor="mm")
    # Stroke weight: thicken or thin like different pens.
    weight = rng.integers(-1, 3)
    if weight > 0:
        picture = picture.filter(ImageFilter.MaxFilter(2 * weight * detail + 1))
    elif weight < 0:
        picture = picture.filter(ImageFilter.MinFilter((_THINNING_PEN - 1) * detail + 1))
    # Slant and rotation as handwriting has them.
    shear = rng.uniform(-0.3, 0.3)
    picture = picture.transform(picture.size, Image.Transform.AFFINE, (1, shear, -shear * canvas / 2, 0, 1, 0), Image.Resampling.BILINEAR)
    picture = picture.rotate(rng.uniform(-12, 12), Image.Resampling.BILINEAR)
    # Smoothing noise over σ·detail leaves a field 1/detail as strong, hence alpha·detail² for the
    # same distortion relative to the digit.
    array = _elastic(np.asarray(picture, np.float32), rng, alpha=rng.uniform(30, 80) * detail**2, sigma=8.0 * detail)
    return _mnist_frame(array, size)


def _elastic(image: np.ndarray, rng: np.random.Generator, alpha: float, sigma: float) -> np.ndarray:
    """Simard-style elastic distortion: a smoothed random displacement field."""
    from scipy.ndimage import gaussian_filter, map_coordinates

    height, width = image.shape
    dx = gaussian_filter(rng.uniform(-1, 1, image.shape), sigma) * alpha
    dy = gaussian_filter(rng.uniform(-1, 1, image.shape), sigma) * alpha
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    return map_coordinates(image, [rows + dy, cols + dx], order=1, mode="constant")


def _mnist_frame(image: np.ndarray, size: int) -> np.ndarray:
    """Crop to the ink, fit into a box of 20/28 of the side, centre by mass (as MNIST does)."""
    ys, xs = np.nonzero(image > 30)
    if len(ys) == 0:
        return np.zeros((size, size), np.uint8)
    crop = image[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    box = round(size * 20 / 28)
    scale = box / max(crop.shape)
    new_h, new_w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    small = np.asarray(Image.fromarray(crop.clip(0, 255).astype(np.uint8)).resize((new_w, new_h), Image.Resampling.LANCZOS), np.float32)
    total = small.sum() or 1.0
    cy = (small.sum(axis=1) * np.arange(new_h)).sum() / total
    cx = (small.sum(axis=0) * np.arange(new_w)).sum() / total
    top = int(round(size / 2 - cy))
    left = int(round(size / 2 - cx))
    top, left = min(max(top, 0), size - new_h), min(max(left, 0), size - new_w)
    out = np.zeros((size, size), np.float32)
    out[top : top + new_h, left : left + new_w] = small
    return out.clip(0, 255).astype(np.uint8)
