"""A compact super-resolution network: residual convolutions, then a pixel shuffle, on top of a bicubic base.

The network only learns the difference between a bicubic enlargement and the sharp picture, so
even a small, briefly trained one never does worse than the resize it starts from by much, and
all its capacity goes into edges and texture.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from genart_core.models.config_bounds import check_parameter_budget, config_from_card
from genart_core.validate import as_int

_FIELD_READERS = {
    "scale": lambda value, what: as_int(value, what, 2, 4),
    "width": lambda value, what: as_int(value, what, 1, 1024),
    "blocks": lambda value, what: as_int(value, what, 0, 64),
}


@dataclass(frozen=True)
class SRConfig:
    scale: int = 2  # 2 or 4: how many times the network enlarges each side
    width: int = 32  # feature channels
    blocks: int = 4  # residual blocks of two 3×3 convolutions

    def __post_init__(self) -> None:
        if self.scale not in (2, 4):
            raise ValueError(f"scale must be 2 or 4, not {self.scale}")
        check_parameter_budget(self.parameter_estimate(), "This super-resolution config")

    def parameter_estimate(self) -> int:
        body = 2 * self.blocks * 9 * self.width * self.width
        return 9 * 3 * self.width + body + 9 * self.width * 3 * self.scale * self.scale

    @property
    def receptive_radius(self) -> int:
        """How many input pixels away a pixel of the output can still see (3×3 convolutions)."""
        return 2 + 2 * self.blocks

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict, what: str = "The super-resolution config") -> "SRConfig":
        return config_from_card(cls, values, _FIELD_READERS, what)


class _ResidualBlock(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.first = nn.Conv2d(width, width, 3, padding=1)
        self.second = nn.Conv2d(width, width, 3, padding=1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features + self.second(F.leaky_relu(self.first(features), 0.1))


class SRNet(nn.Module):
    """images B×3×H×W in [0, 1] -> B×3×(scale·H)×(scale·W), not clamped (callers clamp once at the end)."""

    def __init__(self, config: SRConfig) -> None:
        super().__init__()
        self.config = config
        self.head = nn.Conv2d(3, config.width, 3, padding=1)
        self.body = nn.Sequential(*(_ResidualBlock(config.width) for _ in range(config.blocks)))
        # One convolution makes scale² sub-pixel planes per colour; the shuffle lays them out.
        self.tail = nn.Conv2d(config.width, 3 * config.scale * config.scale, 3, padding=1)
        self.shuffle = nn.PixelShuffle(config.scale)
        nn.init.zeros_(self.tail.weight)  # starts as the plain bicubic enlargement
        nn.init.zeros_(self.tail.bias)

    @property
    def scale(self) -> int:
        return self.config.scale

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        base = F.interpolate(images, scale_factor=self.config.scale, mode="bicubic", align_corners=False)
        features = F.leaky_relu(self.head(images), 0.1)
        features = features + self.body(features)  # B×width×H×W
        return base + self.shuffle(self.tail(features))  # B×3×sH×sW
