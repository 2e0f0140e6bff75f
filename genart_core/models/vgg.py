"""VGG-19's convolutional part as a feature extractor for style transfer.

Sixteen 3×3 convolutions in five blocks (2, 2, 4, 4, 4), each followed by a ReLU, with 2×2
pooling between blocks. Layers are named like the papers: ``conv3_2`` / ``relu3_2``. The
channel widths are configurable so tests can build a tiny network of the same shape.

The module takes images already normalised for its weights; :class:`VGGFeatures` wraps it with
that normalisation so callers always pass RGB in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from genart_core.api import GenArtError

# Convolutions per block in VGG-19.
BLOCK_DEPTHS = (2, 2, 4, 4, 4)
CONV_NAMES = tuple(f"conv{b + 1}_{i + 1}" for b, depth in enumerate(BLOCK_DEPTHS) for i in range(depth))
RELU_NAMES = tuple(name.replace("conv", "relu") for name in CONV_NAMES)

# ImageNet statistics for the two input conventions VGG weights come with.
CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)  # Oxford/Caffe/Keras: BGR, 0–255, mean subtracted
TORCH_RGB_MEAN = (0.485, 0.456, 0.406)  # torchvision: RGB, 0–1, mean and std
TORCH_RGB_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class VGGConfig:
    # Output channels of each block's convolutions; (64, 128, 256, 512, 512) is the real VGG-19.
    widths: tuple[int, ...] = (64, 128, 256, 512, 512)
    # "avg" gives smoother gradients for image optimisation (Gatys et al.); "max" is what VGG was trained with.
    pooling: str = "avg"
    # How the weights expect their input: "caffe" (BGR 0–255 minus mean) or "torch" (RGB, mean/std).
    input_space: str = "caffe"


class VGG19Features(nn.Module):
    """Runs only as deep as the deepest requested layer and returns those layers' activations."""

    def __init__(self, config: VGGConfig = VGGConfig()) -> None:
        super().__init__()
        self.config = config
        self.convs = nn.ModuleDict()
        in_channels = 3
        for name in CONV_NAMES:
            block = int(name[4]) - 1
            self.convs[name] = nn.Conv2d(in_channels, config.widths[block], kernel_size=3, padding=1)
            in_channels = config.widths[block]
        self._pool = F.avg_pool2d if config.pooling == "avg" else F.max_pool2d

    def forward(
        self, x: torch.Tensor, layers: tuple[str, ...], between_layers: Callable[[], None] | None = None
    ) -> dict[str, torch.Tensor]:
        """x: N×3×H×W, normalised for the weights -> {relu name: N×C×h×w}.

        ``between_layers`` runs before each convolution and, when ``x`` needs a gradient, again
        as the backward pass reaches each one: at 1024 px one forward and backward pass takes
        seconds on a small CPU, one layer a fraction of that, so a Cancel raised there is quick.
        """
        deepest = max(RELU_NAMES.index(name) for name in layers)
        needed = min_input_side(RELU_NAMES[deepest])
        if min(x.shape[-2:]) < needed:
            raise GenArtError(
                f"VGG-19 needs pictures of at least {needed}×{needed} pixels to reach {RELU_NAMES[deepest]}; "
                f"this one is {x.shape[-1]}×{x.shape[-2]}."
            )
        wanted = set(layers)
        out: dict[str, torch.Tensor] = {}
        for index, conv_name in enumerate(CONV_NAMES[: deepest + 1]):
            if index > 0 and conv_name.endswith("_1"):
                x = self._pool(x, kernel_size=2, stride=2)
            if between_layers is not None:
                between_layers()
                if x.requires_grad:
                    x.register_hook(lambda grad: between_layers())
            x = F.relu(self.convs[conv_name](x))
            relu_name = RELU_NAMES[index]
            if relu_name in wanted:
                out[relu_name] = x
        return out


def min_input_side(layer: str) -> int:
    """The smallest picture side that still reaches ``layer``: each 2×2 pooling before it halves the side."""
    return 2 ** (int(layer[4]) - 1)


class VGGFeatures(nn.Module):
    """VGG19Features that takes RGB images in [0, 1] and applies its weights' normalisation."""

    def __init__(self, net: VGG19Features, source: str) -> None:
        super().__init__()
        self.net = net
        self.source = source  # "oxford", "torchvision" or a file name: goes into the artwork's metadata
        if net.config.input_space == "caffe":
            # RGB [0,1] -> BGR [0,255] minus mean: scale by 255, flip channels, subtract.
            scale = torch.full((3,), 255.0)
            mean = torch.tensor(CAFFE_BGR_MEAN)
            self._flip = True
        else:
            scale = 1.0 / torch.tensor(TORCH_RGB_STD)
            mean = torch.tensor(TORCH_RGB_MEAN) / torch.tensor(TORCH_RGB_STD)
            self._flip = False
        self.register_buffer("scale", scale.view(1, 3, 1, 1), persistent=False)
        self.register_buffer("shift", mean.view(1, 3, 1, 1), persistent=False)

    def forward(
        self, rgb: torch.Tensor, layers: tuple[str, ...], between_layers: Callable[[], None] | None = None
    ) -> dict[str, torch.Tensor]:
        x = rgb.flip(1) if self._flip else rgb
        return self.net(x * self.scale - self.shift, layers, between_layers)
