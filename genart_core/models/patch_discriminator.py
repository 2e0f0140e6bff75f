"""A small PatchGAN discriminator: one real/fake logit per overlapping patch, not per image.

Judging patches (Isola et al. 2017, pix2pix) makes the critic care about local texture — crisp
strokes against soft ones — which is the detail a pixel-wise VAE loss averages away. At 28×28
the output is a 7×7 map of logits, each looking at an 18×18 patch (receptive field of the three
convolutions below).
"""

from __future__ import annotations

from torch import nn


class PatchDiscriminator(nn.Module):
    def __init__(self, channels: int = 1, width: int = 32) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, padding=1),  # B×width×H/2×W/2
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, width * 2, 4, 2, padding=1),  # B×2width×H/4×W/4
            nn.GroupNorm(8, width * 2),  # batch-independent, so real and fake batches are judged alike
            nn.LeakyReLU(0.2),
            nn.Conv2d(width * 2, 1, 3, 1, padding=1),  # B×1×H/4×W/4: a logit per patch
        )

    def forward(self, images):
        """B×C×H×W in [0, 1] -> B×1×H/4×W/4 logits."""
        return self.layers(images * 2 - 1)
