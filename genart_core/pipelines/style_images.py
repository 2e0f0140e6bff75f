"""Image tensors for style transfer: sizes, and the colour handling behind "preserve colours".

Tensors are float 1×3×H×W in [0, 1] (genart_core.imaging.to_tensor / from_tensor convert).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from genart_core.models.vgg import min_input_side

# Every picture VGG sees is at least this many pixels on each side: twice the least that reaches
# relu5_1, so that layer's Gram matrix averages over a 2×2 map rather than one position.
NETWORK_MIN_SIDE = 2 * min_input_side("relu5_1")

Padding = tuple[int, int, int, int]  # pixels added at the top, bottom, left and right


def scaled_hw(height: int, width: int, side: int) -> tuple[int, int]:
    """(height, width) with the longer side at ``side``."""
    scale = side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize_long_side(tensor: torch.Tensor, side: int) -> torch.Tensor:
    return resize_to(tensor, scaled_hw(*tensor.shape[-2:], side))


def resize_to(tensor: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(tensor.shape[-2:]) == tuple(size):
        return tensor
    shrinking = size[0] < tensor.shape[-2]
    # Antialiasing when shrinking keeps the style's fine texture from aliasing into noise.
    return F.interpolate(tensor, size=size, mode="bicubic", align_corners=False, antialias=shrinking).clamp(0, 1)


def luminance(tensor: torch.Tensor) -> torch.Tensor:
    r, g, b = tensor[:, 0:1], tensor[:, 1:2], tensor[:, 2:3]
    return 0.299 * r + 0.587 * g + 0.114 * b


def grey_matched(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """The style's luminance with the content's mean and contrast, as three equal channels."""
    y_style, y_content = luminance(style), luminance(content)
    # Population deviations (correction=0): a one-pixel picture has a deviation of 0, not NaN.
    spread = y_content.std(correction=0) / (y_style.std(correction=0) + 1e-6)
    matched = (y_style - y_style.mean()) * spread + y_content.mean()
    return matched.clamp(0, 1).expand(-1, 3, -1, -1).contiguous()


def put_back_colour(result: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """The content's colours with the result's luminance: adding the same amount to R, G and B
    changes Y by that amount and leaves the chroma (Cb, Cr) unchanged."""
    content = resize_to(content, tuple(result.shape[-2:]))
    return (content + (luminance(result) - luminance(content))).clamp(0, 1)


def match_colours(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Recolour ``style`` so its RGB mean and covariance equal the content's (linear colour transfer)."""
    s = style[0].reshape(3, -1).double()
    c = content[0].reshape(3, -1).double()
    mu_s, mu_c = s.mean(1, keepdim=True), c.mean(1, keepdim=True)
    eye = torch.eye(3, dtype=torch.float64) * 1e-5
    # Population covariances: a one-pixel picture has none (not NaN), and eye keeps it invertible.
    chol_s = torch.linalg.cholesky(torch.cov(s, correction=0) + eye)
    chol_c = torch.linalg.cholesky(torch.cov(c, correction=0) + eye)
    transform = chol_c @ torch.linalg.inv(chol_s)
    out = transform @ (s - mu_s) + mu_c
    return out.reshape(style.shape).float().clamp(0, 1)


def upsample_with_detail(image: torch.Tensor, content: torch.Tensor, between_steps: Callable[[], None] | None = None) -> torch.Tensor:
    """The previous scale's result at ``content``'s size, plus the content detail it was too small to hold.

    Upsampling alone gives a blurred picture whose content features at the new size are far off;
    adding the content's band between the two sizes (a Laplacian-pyramid level) puts its edges
    back, so the new scale spends its iterations on style rather than on re-sharpening.
    ``between_steps`` runs between the two resizes (each takes a second at 1024 px on a busy CPU).
    """
    size = tuple(content.shape[-2:])
    if tuple(image.shape[-2:]) == size:
        return image.to(content.device)
    coarse_content = resize_to(content, tuple(image.shape[-2:]))
    if between_steps is not None:
        between_steps()
    # up(image) + content - up(coarse content) with one resize fewer: interpolation is linear.
    change = F.interpolate(image.to(content.device) - coarse_content, size=size, mode="bicubic", align_corners=False)
    return (content + change).clamp(0, 1)

def network_padding(height: int, width: int, min_side: int = NETWORK_MIN_SIDE) -> Padding:
    """The padding that brings a height×width picture up to ``min_side`` on each side, split evenly.

    Thin or tiny pictures (a 3×500 strip, a 10:1 panorama's coarse scales, a 1×1 dot) are mirrored
    out to a size the network can pool down, optimised like any other, and cropped back: scaling
    them up instead would multiply a long strip's pixels by the same factor as its short side.
    """
    extra_h, extra_w = max(0, min_side - height), max(0, min_side - width)
    return extra_h // 2, extra_h - extra_h // 2, extra_w // 2, extra_w - extra_w // 2


def pad_mirrored(tensor: torch.Tensor, padding: Padding) -> torch.Tensor:
    """``tensor`` (…×H×W) with ``padding`` pixels mirrored out from its edges, as many times as needed:
    a padding wider than the picture (torch's "reflect" refuses those) repeats it, mirrored."""
    top, bottom, left, right = padding
    if not any(padding):
        return tensor
    rows = _mirrored_positions(tensor.shape[-2], top, bottom).to(tensor.device)
    columns = _mirrored_positions(tensor.shape[-1], left, right).to(tensor.device)
    return tensor.index_select(-2, rows).index_select(-1, columns)


def crop_padding(tensor: torch.Tensor, padding: Padding) -> torch.Tensor:
    top, bottom, left, right = padding
    return tensor[..., top : tensor.shape[-2] - bottom, left : tensor.shape[-1] - right]


def fit_for_network(tensor: torch.Tensor) -> torch.Tensor:
    """A style image mirrored out to the network's smallest side (its Gram matrices average over
    positions, so the mirrored copies change its statistics little)."""
    return pad_mirrored(tensor, network_padding(*tensor.shape[-2:]))


def _mirrored_positions(length: int, before: int, after: int) -> torch.Tensor:
    # Symmetric extension (the edge pixel repeats, so a 1-pixel side works): period 2·length.
    positions = torch.arange(-before, length + after) % (2 * length)
    return torch.where(positions < length, positions, 2 * length - 1 - positions)
