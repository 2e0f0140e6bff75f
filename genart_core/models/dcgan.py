"""DCGAN after the classic TensorFlow tutorial, complete and sized by a config.

The tutorial's generator is Dense(100 → 7·7·256, no bias) → BatchNorm → LeakyReLU → reshape →
ConvT 128 5×5/1 → BN → LReLU → ConvT 64 5×5/2 → BN → LReLU → ConvT C 5×5/2 → tanh (28×28).
The often-quoted short version drops the 64-channel stride-2 layer and stops at 14×14, which its
own 28×28 discriminator cannot take; here the number of stride-2 layers follows the image size.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from genart_core.models.config_bounds import check_parameter_budget, config_from_card
from genart_core.models.image_shape import check_image_shape, resolution_steps
from genart_core.validate import as_bool, as_float, as_int

_FIELD_READERS = {
    "image_size": lambda value, what: as_int(value, what, 1, 1024),
    "channels": lambda value, what: as_int(value, what, 1, 4),
    "latent_dim": lambda value, what: as_int(value, what, 1, 4096),
    # At least one channel left after halving at every layer (64 px halves three times).
    "width": lambda value, what: as_int(value, what, 16, 16_384),
    "critic": as_bool,
    "dropout": lambda value, what: as_float(value, what, 0.0, 0.99),
}


@dataclass(frozen=True)
class DCGANConfig:
    image_size: int = 28  # output side in pixels: 28, 32 or 64
    channels: int = 1  # 1 = greyscale, 3 = RGB
    latent_dim: int = 100  # length of the noise vector z
    width: int = 256  # channels after the dense layer (the tutorial's 256); halves at each layer
    critic: bool = False  # WGAN-GP critic: no dropout (the tutorial's discriminator has no BatchNorm)
    dropout: float = 0.3  # the tutorial's discriminator dropout (ignored for a critic)

    def __post_init__(self) -> None:
        check_image_shape(self.image_size, self.channels)
        check_parameter_budget(self.parameter_estimate(), "This GAN config")

    def parameter_estimate(self) -> int:
        """Weights of the generator and discriminator, from the layer sizes below (5×5 kernels)."""
        c, s = self.width, self.start_size
        generator = self.latent_dim * c * s * s + 25 * sum((c >> i) * (c >> (i + 1)) for i in range(self.upsamplings))
        generator += 25 * (c >> self.upsamplings) * self.channels
        widths = [self.channels] + [64 << i for i in range(self.upsamplings)]
        discriminator = 25 * sum(a * b for a, b in zip(widths, widths[1:])) + widths[-1] * s * s
        return generator + discriminator

    @property
    def upsamplings(self) -> int:
        """Stride-2 layers: 28 = 7·2², 32 = 8·2², 64 = 8·2³."""
        return resolution_steps(self.image_size)

    @property
    def start_size(self) -> int:
        return self.image_size >> self.upsamplings

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict, what: str = "The GAN config") -> "DCGANConfig":
        """A config from a card: wrong types, out-of-range values and oversized networks raise InvalidDataError."""
        return config_from_card(cls, values, _FIELD_READERS, what)


def _up(in_ch: int, out_ch: int, stride: int) -> nn.ConvTranspose2d:
    # 5×5 kernels, 'same' padding: stride 1 keeps the size, stride 2 doubles it exactly.
    return nn.ConvTranspose2d(in_ch, out_ch, 5, stride, padding=2, output_padding=stride - 1, bias=False)


class Generator(nn.Module):
    def __init__(self, config: DCGANConfig) -> None:
        super().__init__()
        self.config = config
        c, s = config.width, config.start_size
        self.project = nn.Sequential(
            nn.Linear(config.latent_dim, c * s * s, bias=False),  # B×100 -> B×(c·s·s)
            nn.BatchNorm1d(c * s * s),
            nn.LeakyReLU(0.2),
        )
        layers: list[nn.Module] = [_up(c, c // 2, 1), nn.BatchNorm2d(c // 2), nn.LeakyReLU(0.2)]  # c/2×s×s
        channels = c // 2
        for _ in range(config.upsamplings - 1):  # each doubles the side: c/4×2s×2s, …
            layers += [_up(channels, channels // 2, 2), nn.BatchNorm2d(channels // 2), nn.LeakyReLU(0.2)]
            channels //= 2
        layers += [_up(channels, config.channels, 2), nn.Tanh()]  # C×size×size in [-1, 1]
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        c, s = self.config.width, self.config.start_size
        return self.body(self.project(z).view(-1, c, s, s))


class Discriminator(nn.Module):
    """Conv 64 5×5/2 → LReLU → Dropout → Conv 128 5×5/2 → LReLU → Dropout (→ Conv 256 for 64 px) → Dense 1.

    Outputs a logit (BCE) or an unbounded score (WGAN-GP critic). No BatchNorm anywhere, so the
    gradient penalty, which needs per-sample gradients, is valid.
    """

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__()
        self.config = config
        dropout = 0.0 if config.critic else config.dropout
        layers: list[nn.Module] = []
        channels_in, channels_out = config.channels, 64
        for _ in range(config.upsamplings):
            layers += [nn.Conv2d(channels_in, channels_out, 5, 2, padding=2), nn.LeakyReLU(0.2)]
            if dropout:
                layers.append(nn.Dropout(dropout))
            channels_in, channels_out = channels_out, channels_out * 2
        s = config.start_size
        layers += [nn.Flatten(), nn.Linear(channels_in * s * s, 1)]  # B×(ch·s·s) -> B×1
        self.body = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.body(images).squeeze(1)


def init_weights(module: nn.Module) -> None:
    """The DCGAN paper's N(0, 0.02) initialisation; BatchNorm scales around 1."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
