"""The sharper-VAE training terms: a perceptual (VGG-19 feature) reconstruction distance and the
adversarial patch losses of a VAE-GAN, plus reading their settings back from a model card.

Why these VGG layers: the images are 28×28. relu1_2 (full size, 5-pixel receptive field) sees
stroke edges, relu2_2 (14×14, 14 px) stroke shapes and junctions, relu3_1 (7×7, 24 px) the
digit's parts. Deeper layers are 3×3 and 1×1 maps of ImageNet object features with no room left
for detail, and reaching them costs most of the network. The early layers are generic edge and
texture detectors, so the ImageNet weights transfer to greyscale digits; a small net of our own
would have to be trained on digits first, and the independent classifier that measures the
result must stay independent of training.

Each term is scaled to the same per-image, summed-over-pixels scale as the VAE's Bernoulli
reconstruction term, so a weight of 1 makes it about as strong as the pixel loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from genart_core.validate import as_dict, as_float

PERCEPTUAL_LAYERS = ("relu1_2", "relu2_2", "relu3_1")
MAX_TERM_WEIGHT = 1000.0


class PerceptualDistance(nn.Module):
    """Per-image distance of VGG-19 features, each feature vector scaled to unit length first (as
    LPIPS does), so every layer counts alike whatever its activations' magnitude."""

    def __init__(self, vgg: nn.Module) -> None:
        super().__init__()
        self.vgg = vgg.eval().requires_grad_(False)

    def forward(self, decoded: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
        """B×C×H×W in [0, 1] (C = 1 or 3) -> the batch mean of Σ_layers mean_positions ‖f̂ − f‖² × H·W."""
        pixels = images.shape[-2] * images.shape[-1]
        with torch.no_grad():
            target = self.vgg(_rgb(images), PERCEPTUAL_LAYERS)
        made = self.vgg(_rgb(decoded), PERCEPTUAL_LAYERS)
        total = decoded.new_zeros((), dtype=torch.float32)
        for layer in PERCEPTUAL_LAYERS:
            difference = _unit(made[layer].float()) - _unit(target[layer].float())
            total = total + difference.pow(2).sum(dim=1).mean()
        return total * pixels


def _rgb(images: torch.Tensor) -> torch.Tensor:
    return images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images


def _unit(features: torch.Tensor) -> torch.Tensor:
    return features / (features.pow(2).sum(dim=1, keepdim=True).sqrt() + 1e-6)


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Patch-wise BCE: real patches towards 1, decoded ones towards 0."""
    real = F.binary_cross_entropy_with_logits(real_logits.float(), torch.ones_like(real_logits, dtype=torch.float32))
    fake = F.binary_cross_entropy_with_logits(fake_logits.float(), torch.zeros_like(fake_logits, dtype=torch.float32))
    return real + fake


def adversarial_loss(fake_logits: torch.Tensor, pixels: int) -> torch.Tensor:
    """The decoder's non-saturating loss (every patch should pass as real), × H·W to match the pixel term."""
    target = torch.ones_like(fake_logits, dtype=torch.float32)
    return F.binary_cross_entropy_with_logits(fake_logits.float(), target) * pixels


@dataclass(frozen=True)
class TrainingTerms:
    """The reconstruction terms a VAE was trained with (0 = not used)."""

    perceptual_weight: float = 0.0
    adversarial_weight: float = 0.0

    def describe(self) -> str:
        parts = ["pixel BCE"]
        if self.perceptual_weight:
            parts.append(f"VGG perceptual ×{self.perceptual_weight:g}")
        if self.adversarial_weight:
            parts.append(f"PatchGAN adversarial ×{self.adversarial_weight:g}")
        return " + ".join(parts)


def terms_from_card(card: dict[str, Any], what: str) -> TrainingTerms:
    """The terms recorded in a card's "settings"; cards from before these terms existed used none.
    A wrong type or a value out of range is an InvalidDataError naming the field."""
    settings = card.get("settings")
    if settings is None:
        return TrainingTerms()
    settings = as_dict(settings, f"{what}: settings")
    values = {}
    for name in ("perceptual_weight", "adversarial_weight"):
        if name in settings:
            values[name] = as_float(settings[name], f"{what}: settings: {name}", 0.0, MAX_TERM_WEIGHT)
    return TrainingTerms(**values)

