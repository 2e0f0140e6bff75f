"""A small convolutional VAE: images in [0, 1] -> a Gaussian code -> logits of the image."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from genart_core.models.config_bounds import check_parameter_budget, config_from_card
from genart_core.models.image_shape import check_image_shape, resolution_steps
from genart_core.validate import as_float, as_int

_FIELD_READERS = {
    "image_size": lambda value, what: as_int(value, what, 1, 1024),
    "channels": lambda value, what: as_int(value, what, 1, 4),
    "latent_dim": lambda value, what: as_int(value, what, 1, 4096),
    "width": lambda value, what: as_int(value, what, 1, 16_384),
    "hidden": lambda value, what: as_int(value, what, 1, 1 << 20),
    "beta": lambda value, what: as_float(value, what, 0.0, 1e4),
}


@dataclass(frozen=True)
class VAEConfig:
    image_size: int = 28  # 28, 32 or 64 pixels
    channels: int = 1  # 1 = greyscale, 3 = RGB
    latent_dim: int = 16  # length of the code z
    width: int = 32  # channels of the first convolution; doubles at each downsampling
    hidden: int = 256  # the dense layer between the convolutions and the code
    beta: float = 1.0  # weight of the KL term (β-VAE); > 1 trades sharpness for a tidier latent space

    def __post_init__(self) -> None:
        check_image_shape(self.image_size, self.channels)
        check_parameter_budget(self.parameter_estimate(), "This VAE config")

    def parameter_estimate(self) -> int:
        """Weights of the encoder and decoder, from the layer sizes below (4×4 kernels)."""
        widths = [self.channels] + [self.width << i for i in range(self.downsamplings)]
        convolutions = 2 * 16 * sum(a * b for a, b in zip(widths, widths[1:]))  # down and mirrored up
        flat = self.bottom_channels * self.bottom_size**2
        dense = 2 * flat * self.hidden + 2 * self.hidden * self.latent_dim + self.latent_dim * self.hidden
        return convolutions + dense

    @property
    def downsamplings(self) -> int:
        return resolution_steps(self.image_size)

    @property
    def bottom_size(self) -> int:
        return self.image_size >> self.downsamplings  # 7 or 8

    @property
    def bottom_channels(self) -> int:
        return self.width * 2 ** (self.downsamplings - 1)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict, what: str = "The VAE config") -> "VAEConfig":
        """A config from a card: wrong types, out-of-range values and oversized networks raise InvalidDataError."""
        return config_from_card(cls, values, _FIELD_READERS, what)


class ConvVAE(nn.Module):
    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        self.config = config
        s, top = config.bottom_size, config.bottom_channels
        down: list[nn.Module] = []
        channels_in, channels_out = config.channels, config.width
        for _ in range(config.downsamplings):  # each halves the side: 28 -> 14 -> 7
            down += [nn.Conv2d(channels_in, channels_out, 4, 2, padding=1), nn.LeakyReLU(0.2)]
            channels_in, channels_out = channels_out, channels_out * 2
        self.encoder = nn.Sequential(
            *down,
            nn.Flatten(),  # B×(top·s·s)
            nn.Linear(top * s * s, config.hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(config.hidden, 2 * config.latent_dim),  # mean and log-variance
        )
        up: list[nn.Module] = []
        channels = top
        for _ in range(config.downsamplings - 1):
            up += [nn.ConvTranspose2d(channels, channels // 2, 4, 2, padding=1), nn.LeakyReLU(0.2)]
            channels //= 2
        up.append(nn.ConvTranspose2d(channels, config.channels, 4, 2, padding=1))  # C×size×size logits
        self.project = nn.Sequential(
            nn.Linear(config.latent_dim, config.hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(config.hidden, top * s * s),
            nn.LeakyReLU(0.2),
        )
        self.decoder = nn.Sequential(*up)

    def encode(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """B×C×H×W in [0, 1] -> (mean, log-variance), each B×latent."""
        mean, log_var = self.encoder(images).chunk(2, dim=1)
        return mean, log_var.clamp(-12.0, 8.0)  # keeps exp() finite in bf16 and early training

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        c, s = self.config.bottom_channels, self.config.bottom_size
        return self.decoder(self.project(z).view(-1, c, s, s))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """B×latent -> B×C×H×W in [0, 1]."""
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, images: torch.Tensor, generator: torch.Generator | None = None):
        mean, log_var = self.encode(images)
        noise = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        z = mean + noise * torch.exp(0.5 * log_var)  # reparameterisation trick
        return self.decode_logits(z), mean, log_var


def vae_loss(logits: torch.Tensor, images: torch.Tensor, mean: torch.Tensor, log_var: torch.Tensor, beta: float):
    """(total, reconstruction, KL), each averaged over the batch and summed over pixels / code."""
    batch = images.shape[0]
    reconstruction = nn.functional.binary_cross_entropy_with_logits(logits.float(), images, reduction="sum") / batch
    kl = -0.5 * torch.sum(1 + log_var.float() - mean.float().pow(2) - log_var.float().exp()) / batch
    return reconstruction + beta * kl, reconstruction, kl
