"""The arbitrary-style transformer (Ghiasi et al. 2017, as in Magenta's small mobile model): a
content image and a 100-number style vector in, the stylised image out.

contract: 9×9 conv, two stride-2 3×3 convs (ReLU; the batch norm is folded into their biases)
residual: five blocks of two 3×3 convs, each followed by conditional instance normalisation
expand:   two ×2 nearest upsamplings each followed by a 3×3 conv, then a 9×9 conv, each with
          conditional instance norm (ReLU; sigmoid at the end)

Conditional instance norm: every channel is normalised over the image, then scaled and shifted
by γ and β computed from the style vector by a linear map: all the style lives in those maps.
Every convolution pads by reflection, so the network runs at any size; sizes that are not a
multiple of 4 are padded up and cropped back.

The norms' statistics are the only thing that reaches across the whole picture: everything else
sees ~50 pixels around. With NormMoments one pass records them and a later pass on a part of the
picture uses them, so the part comes out as it would within the whole (Live mode restyles only
where a stroke changed the canvas).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class StyleTransformerConfig:
    contract_widths: tuple[int, int, int] = (8, 16, 32)
    expand_widths: tuple[int, int] = (16, 8)
    residual_blocks: int = 5
    style_size: int = 100
    epsilon: float = 1e-5


class NormMoments:
    """Every conditional instance norm's per-channel mean and variance, in the order a pass meets
    the norms: recorded over the picture (``NormMoments()``) or replayed (``NormMoments(recorded)``).

    Both run as batch norm over a batch of one picture, whose statistics are the picture's own:
    torch's fused kernel, as fast as the plain pass's instance norm (measuring them with var_mean
    made a 512² pass 2.3 times as slow in bf16), and the recording and replaying passes then
    normalise alike, so a replayed part matches the recorded whole to the rounding."""

    def __init__(self, recorded: list[tuple[torch.Tensor, torch.Tensor]] | None = None) -> None:
        self.recording = recorded is None
        self.values: list[tuple[torch.Tensor, torch.Tensor]] = [] if recorded is None else list(recorded)
        self._next = 0

    def normalise(self, x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, epsilon: float) -> torch.Tensor:
        """``x`` (1×C×H×W) normalised by its own statistics (recorded) or the next recorded ones, then γ, β (C)."""
        if x.shape[0] != 1:
            raise ValueError("NormMoments: one picture at a time")
        if self.recording:
            channels, pixels = x.shape[1], x.shape[2] * x.shape[3]
            mean, variance = torch.zeros(channels, device=x.device), torch.ones(channels, device=x.device)
            # momentum 1: the running statistics become this picture's (the variance unbiased, as torch keeps it)
            out = F.batch_norm(x, mean, variance, gamma, beta, training=True, momentum=1.0, eps=epsilon)
            self.values.append((mean, variance * ((pixels - 1) / pixels) if pixels > 1 else variance))
            return out
        if self._next >= len(self.values):
            raise ValueError("NormMoments: fewer recorded moments than the network has norms")
        mean, variance = self.values[self._next]
        self._next += 1
        return F.batch_norm(x, mean, variance, gamma, beta, training=False, eps=epsilon)


class ConditionalInstanceNorm(nn.Module):
    def __init__(self, channels: int, style_size: int, epsilon: float) -> None:
        super().__init__()
        self.scale = nn.Linear(style_size, channels)  # γ(style)
        self.shift = nn.Linear(style_size, channels)  # β(style)
        self.epsilon = epsilon

    def forward(self, x: torch.Tensor, style: torch.Tensor, moments: NormMoments | None = None) -> torch.Tensor:
        # x: N×C×H×W, style: N×S -> N×C×H×W; γ and β: N×C, a row per picture
        gamma, beta = self.scale(style), self.shift(style)
        if moments is not None:
            return moments.normalise(x, gamma[0].float(), beta[0].float(), self.epsilon)
        if x.shape[0] == 1 and not torch.is_grad_enabled():
            # One picture, inferring: batch norm over a batch of one is this instance norm, with γ
            # and β in torch's fused kernel (a 512² pass in bf16 took 0.068 s against 0.085 s with
            # two more passes over the activations here). Learning keeps the formula below, which
            # the shipped learned styles were tuned with.
            return F.batch_norm(x, None, None, gamma[0].float(), beta[0].float(), training=True, eps=self.epsilon)
        return F.instance_norm(x, eps=self.epsilon) * gamma[:, :, None, None] + beta[:, :, None, None]


class ReflectConv(nn.Sequential):
    """Reflection padding then a convolution: no dark borders at any size."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int = 1) -> None:
        super().__init__(nn.ReflectionPad2d(kernel // 2), nn.Conv2d(in_channels, out_channels, kernel, stride))


class ResidualBlock(nn.Module):
    def __init__(self, channels: int, config: StyleTransformerConfig) -> None:
        super().__init__()
        self.conv1 = ReflectConv(channels, channels, 3)
        self.norm1 = ConditionalInstanceNorm(channels, config.style_size, config.epsilon)
        self.conv2 = ReflectConv(channels, channels, 3)
        self.norm2 = ConditionalInstanceNorm(channels, config.style_size, config.epsilon)

    def forward(self, x: torch.Tensor, style: torch.Tensor, moments: NormMoments | None = None) -> torch.Tensor:
        y = F.relu(self.norm1(self.conv1(x), style, moments))
        return x + self.norm2(self.conv2(y), style, moments)


class UpsampleConv(nn.Module):
    """×``factor`` nearest upsampling, a convolution and conditional instance norm."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, factor: int, config: StyleTransformerConfig) -> None:
        super().__init__()
        self.factor = factor
        self.conv = ReflectConv(in_channels, out_channels, kernel)
        self.norm = ConditionalInstanceNorm(out_channels, config.style_size, config.epsilon)

    def forward(self, x: torch.Tensor, style: torch.Tensor, moments: NormMoments | None = None) -> torch.Tensor:
        if self.factor > 1:
            x = F.interpolate(x, scale_factor=self.factor, mode="nearest")
        return self.norm(self.conv(x), style, moments)


class StyleTransformer(nn.Module):
    # The two stride-2 convolutions: inputs are padded to a multiple of this.
    SIZE_MULTIPLE = 4

    def __init__(self, config: StyleTransformerConfig = StyleTransformerConfig()) -> None:
        super().__init__()
        self.config = config
        c1, c2, c3 = config.contract_widths
        e1, e2 = config.expand_widths
        self.contract = nn.ModuleList([ReflectConv(3, c1, 9), ReflectConv(c1, c2, 3, 2), ReflectConv(c2, c3, 3, 2)])
        self.residual = nn.ModuleList([ResidualBlock(c3, config) for _ in range(config.residual_blocks)])
        self.expand = nn.ModuleList([UpsampleConv(c3, e1, 3, 2, config), UpsampleConv(e1, e2, 3, 2, config), UpsampleConv(e2, 3, 9, 1, config)])

    def forward(self, content: torch.Tensor, style: torch.Tensor, moments: NormMoments | None = None) -> torch.Tensor:
        # content: N×3×H×W in [0, 1], style: N×100 -> N×3×H×W in [0, 1]; see NormMoments
        height, width = content.shape[-2:]
        pad_h, pad_w = -height % self.SIZE_MULTIPLE, -width % self.SIZE_MULTIPLE
        x = F.pad(content, (0, pad_w, 0, pad_h), mode="reflect") if pad_h or pad_w else content
        for conv in self.contract:
            x = F.relu(conv(x))  # N×8×H×W, N×16×H/2×W/2, N×32×H/4×W/4
        for block in self.residual:
            x = block(x, style, moments)  # N×32×H/4×W/4
        x = F.relu(self.expand[0](x, style, moments))  # N×16×H/2×W/2
        x = F.relu(self.expand[1](x, style, moments))  # N×8×H×W
        x = torch.sigmoid(self.expand[2](x, style, moments))  # N×3×H×W
        return x[..., :height, :width]


def norm_bias_names(model: StyleTransformer) -> dict[str, int]:
    """The biases of the γ(style) and β(style) maps, name -> channels: the normalisation
    parameters Learn this style may shift (``residual.0.norm1.scale.bias``…)."""
    return {
        f"{name}.bias": module.out_features
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and name.endswith(("scale", "shift"))
    }
