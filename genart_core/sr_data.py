"""Training and evaluation data for the bundled upscaler: photos and textures that ship in
scikit-image and scikit-learn, shrunk with the degradations real pictures carry.

A low-resolution picture in the wild is rarely a clean bicubic reduction: it was blurred by a lens
or a resize, carries sensor noise, went through JPEG, and was reduced by some other filter. The
network learns to undo a random mix of those, so it sharpens real pictures and our own generated
ones rather than only textbook reductions. The held-out photos are never used in training;
scripts/train_upscaler.py and bench/detail.py report on them.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter

from genart_core.fast_style.content_photos import shipped_photo

# Photos and textures of varied kinds: people and things, fur, leaves, stone, stars, cells, print.
TRAINING_PHOTOS = (
    "skimage:coffee", "skimage:rocket", "sklearn:china", "skimage:hubble_deep_field", "skimage:immunohistochemistry",
    "skimage:retina", "skimage:brick", "skimage:grass", "skimage:gravel", "skimage:camera", "skimage:moon",
    "skimage:coins", "skimage:clock", "skimage:page", "skimage:text", "skimage:colorwheel", "skimage:cell",
)
# skimage's "cat" is the same photo as "chelsea", so it is left out of training too.
HELD_OUT_PHOTOS = ("skimage:astronaut", "skimage:chelsea", "sklearn:flower")

_RESAMPLERS = (Image.Resampling.BICUBIC, Image.Resampling.BILINEAR, Image.Resampling.BOX, Image.Resampling.LANCZOS)


def photos(names: tuple[str, ...]) -> list[np.ndarray]:
    return [shipped_photo(name) for name in names]


def shrink(picture: np.ndarray, scale: int, resample=Image.Resampling.BICUBIC) -> np.ndarray:
    height, width = picture.shape[:2]
    return np.asarray(Image.fromarray(picture).resize((width // scale, height // scale), resample))


def degrade(picture: np.ndarray, scale: int, rng: np.random.Generator) -> np.ndarray:
    """A random realistic reduction of a uint8 RGB picture by ``scale``: blur, a random resampling
    filter, sensor noise and JPEG, each with its own chance and strength."""
    image = Image.fromarray(picture)
    if rng.random() < 0.6:
        image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.2, 1.2))))
    resample = _RESAMPLERS[int(rng.integers(len(_RESAMPLERS)))]
    small = np.asarray(image.resize((picture.shape[1] // scale, picture.shape[0] // scale), resample), np.float32)
    if rng.random() < 0.5:
        small = small + rng.normal(0.0, float(rng.uniform(1.0, 6.0)), small.shape)
    small = small.clip(0, 255).round().astype(np.uint8)
    if rng.random() < 0.5:
        buffer = io.BytesIO()
        Image.fromarray(small).save(buffer, "JPEG", quality=int(rng.integers(50, 96)))
        small = np.asarray(Image.open(buffer).convert("RGB"))
    return small


def degrade_fixed(picture: np.ndarray, scale: int) -> np.ndarray:
    """The one reproducible "degraded" input the figures use: blur σ 0.8, bicubic, noise σ 3, JPEG 75."""
    image = Image.fromarray(picture).filter(ImageFilter.GaussianBlur(0.8))
    small = np.asarray(image.resize((picture.shape[1] // scale, picture.shape[0] // scale), Image.Resampling.BICUBIC), np.float32)
    small = (small + np.random.default_rng(0).normal(0.0, 3.0, small.shape)).clip(0, 255).round().astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(small).save(buffer, "JPEG", quality=75)
    return np.asarray(Image.open(buffer).convert("RGB"))


def random_crop_pair(
    pictures: list[np.ndarray], crop: int, scale: int, rng: np.random.Generator, clean_share: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(degraded crop, sharp crop) from a random picture, flipped and turned at random; a
    ``clean_share`` of them shrunk by plain bicubic instead of the random degradations."""
    picture = pictures[int(rng.integers(len(pictures)))]
    top = int(rng.integers(picture.shape[0] - crop + 1))
    left = int(rng.integers(picture.shape[1] - crop + 1))
    sharp = np.rot90(picture[top:top + crop, left:left + crop], int(rng.integers(4)))
    if rng.random() < 0.5:
        sharp = sharp[:, ::-1]
    sharp = np.ascontiguousarray(sharp)
    if clean_share and rng.random() < clean_share:  # no draw without it: older trainings stay reproducible
        return shrink(sharp, scale), sharp
    return degrade(sharp, scale, rng), sharp


def even_crop(picture: np.ndarray, multiple: int) -> np.ndarray:
    """The picture cut to sides divisible by ``multiple``, so reduction and enlargement line up."""
    height, width = picture.shape[:2]
    return picture[: height - height % multiple, : width - width % multiple]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two uint8 pictures, in dB (higher is closer)."""
    error = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if error == 0 else float(10 * np.log10(255.0**2 / error))
