"""A tiny VGG-shaped network saved as safetensors, and small images, for the style transfer tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file

from genart_core.models.vgg import VGG19Features, VGGConfig

TINY_WIDTHS = (4, 8, 8, 16, 16)


def save_tiny_vgg(folder: Path, seed: int = 0) -> Path:
    """VGG-19's sixteen convolutions with a few channels each, seeded, as a .safetensors file."""
    torch.manual_seed(seed)
    net = VGG19Features(VGGConfig(widths=TINY_WIDTHS, input_space="torch"))
    path = folder / "tiny_vgg.safetensors"
    state = {name: tensor.contiguous() for name, tensor in net.convs.state_dict().items()}
    save_file(state, str(path), metadata={"input_space": "torch"})
    return path


def stripes(size: int = 96, period: int = 8, seed: int = 0) -> np.ndarray:
    """A strongly textured, colourful 'style': diagonal stripes with noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size]
    on = ((x + y) // period) % 2 == 0
    image = np.where(on[..., None], [230, 40, 30], [20, 40, 200]).astype(np.float32)
    image += rng.normal(0, 20, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def scene(width: int = 96, height: int = 72) -> np.ndarray:
    """A smooth 'photo': a disc on a gradient."""
    y, x = np.mgrid[0:height, 0:width]
    image = np.stack([x * 255 / width, y * 255 / height, np.full_like(x, 120)], axis=2).astype(np.float32)
    disc = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (min(width, height) / 4) ** 2
    image[disc] = (250, 240, 200)
    return image.astype(np.uint8)


def write(path: Path, array: np.ndarray) -> Path:
    Image.fromarray(array).save(path)
    return path
