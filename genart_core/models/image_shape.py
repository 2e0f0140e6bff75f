"""The image shapes the small GAN and VAE support, shared so both check them the same way."""

from __future__ import annotations

SIZES = (28, 32, 64)  # 28 = 7·2², 32 = 8·2², 64 = 8·2³


def check_image_shape(image_size: int, channels: int) -> None:
    if image_size not in SIZES:
        raise ValueError(f"image_size must be one of {SIZES}, not {image_size}")
    if channels not in (1, 3):
        raise ValueError("channels must be 1 (greyscale) or 3 (RGB)")


def resolution_steps(image_size: int) -> int:
    """How many ×2 steps separate the network's smallest feature map (7 or 8 px) from the image."""
    return 3 if image_size == 64 else 2
