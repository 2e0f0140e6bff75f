"""Cheap previews of diffusion latents: a linear latent -> RGB map instead of a VAE decode.

The map is fitted once per model by least squares on the VAE's own encoder: a few colour-block
images are encoded, and we solve for the 3×C matrix (plus bias) that best turns each latent
pixel back into the average colour of the image patch it came from. That works for any VAE
(SD 1.x/2.x, SDXL, the tiny ones in tests) without hand-copied coefficients, and a preview then
costs one small matrix product per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class LatentPreview:
    weight: torch.Tensor  # 3×C, float32
    bias: torch.Tensor  # 3, float32

    def __call__(self, latents: torch.Tensor) -> np.ndarray:
        """latents (1×)C×h×w, as the pipeline holds them (already scaled) -> uint8 h×w×3."""
        if latents.dim() == 4:
            latents = latents[0]
        rgb = torch.einsum("oc,chw->ohw", self.weight, latents.detach().float().cpu()) + self.bias[:, None, None]
        return rgb.add(1).mul(127.5).clamp(0, 255).round().byte().permute(1, 2, 0).numpy()


def _colour_blocks(count: int, size: int, blocks: int, generator: torch.Generator) -> torch.Tensor:
    """count×3×size×size in [0, 1]: random solid-colour tiles, so each latent pixel sees one colour."""
    colours = torch.rand(count, 3, blocks, blocks, generator=generator)
    return F.interpolate(colours, size=(size, size), mode="nearest")


@torch.inference_mode()
def fit_latent_preview(vae, samples: int = 6, latent_size: int = 16) -> LatentPreview:
    """Fit the latent -> RGB map for ``vae`` (an AutoencoderKL), as described in the module doc."""
    factor = 2 ** (len(vae.config.block_out_channels) - 1)
    size = latent_size * factor
    images = _colour_blocks(samples, size, latent_size // 4, torch.Generator().manual_seed(0))
    parameter = next(vae.parameters())
    encoded = vae.encode((images * 2 - 1).to(parameter.device, parameter.dtype)).latent_dist.mean.float().cpu()
    latents = encoded * float(getattr(vae.config, "scaling_factor", 1.0) or 1.0)
    target = F.avg_pool2d(images * 2 - 1, factor)  # N×3×h×w in [-1, 1]
    x = latents.permute(0, 2, 3, 1).reshape(-1, latents.shape[1])
    x = torch.cat([x, torch.ones(len(x), 1)], dim=1)
    y = target.permute(0, 2, 3, 1).reshape(-1, 3)
    solution = torch.linalg.lstsq(x, y).solution  # (C+1)×3
    return LatentPreview(weight=solution[:-1].T.contiguous(), bias=solution[-1].contiguous())
