"""How sharp generated images are: their mean gradient energy relative to the training data's.

Blur removes the large pixel-to-pixel differences at edges, so the mean of (∂x)² + (∂y)² over a
picture falls as it softens. ``sharpness`` divides that figure for samples by the same figure for
real images on the same scale: about 1 when samples are as crisp as the data, below 1 when blurred
(a 3×3 box blur of our font digits gives 0.36, a 2×2 one 0.59), above 1 when noisier than the data.
"""

from __future__ import annotations

import torch


def gradient_energy(images: torch.Tensor) -> float:
    """Mean of squared horizontal and vertical neighbour differences of B×C×H×W images (fp32)."""
    images = images.float()
    dx = images[..., :, 1:] - images[..., :, :-1]
    dy = images[..., 1:, :] - images[..., :-1, :]
    return float(dx.pow(2).mean() + dy.pow(2).mean())


def sharpness(samples: torch.Tensor, data: torch.Tensor) -> float:
    """``gradient_energy(samples) / gradient_energy(data)``, both B×C×H×W on the same scale."""
    reference = gradient_energy(data)
    return gradient_energy(samples) / reference if reference > 0 else 0.0
