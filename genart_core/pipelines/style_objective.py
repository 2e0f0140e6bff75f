"""The style-transfer objective and its optimisation: VGG-19 content, Gram-matrix style and
total-variation losses, Adam or L-BFGS on the pixels, and overlapping tiles for large images."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Callable

import torch

from genart_core.api import GenArtError
from genart_core.models.vgg import VGGFeatures

CONTENT_LAYER = "relu4_2"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
ALL_LAYERS = STYLE_LAYERS + (CONTENT_LAYER,)
# Pixels per position of CONTENT_LAYER's features: three 2× poolings lie below relu4_2.
CONTENT_STRIDE = 8
TILE_OVERLAP = 64  # pixels shared by neighbouring tiles, blended with a feathered weight


@dataclass(frozen=True)
class LossWeights:
    content: float = 1.0
    # Multiplied by the request's strength. Losses are relative errors, so these are unit-free.
    style: float = 4.0
    # Per style layer, relu1_1…relu5_1: the fine layers carry the texture, the deep ones the forms.
    layers: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0)
    tv: float = 2.0


# -- the objective ----------------------------------------------------------------------------
def gram(features: torch.Tensor) -> torch.Tensor:
    # N×C×h×w -> C×C, averaged over positions (fp32 whatever the features' dtype)
    flat = features.float().flatten(2)[0]
    return flat @ flat.T / flat.shape[1]


def total_variation(image: torch.Tensor) -> torch.Tensor:
    return (image[..., 1:, :] - image[..., :-1, :]).pow(2).mean() + (image[..., :, 1:] - image[..., :, :-1]).pow(2).mean()


class Objective:
    """content + strength·style + tv loss for one scale (or tile), as relative squared errors.

    Each term is divided by its target's energy, so the weights mean the same for either VGG
    source (whose activations differ in scale by ~100×) and at every image size.
    """

    def __init__(
        self,
        features: VGGFeatures,
        dtype: torch.dtype,
        content: torch.Tensor,
        style_grams: dict[str, torch.Tensor],
        weights: LossWeights,
        strength: float,
        between_layers: Callable[[], None] | None = None,
    ) -> None:
        self.features, self.dtype, self.weights, self.strength = features, dtype, weights, strength
        # Runs between VGG's layers, forward and backward (Cancel, Stop and keep): see VGG19Features.forward.
        self.between_layers = between_layers
        self._set_style_grams(style_grams)
        with torch.no_grad():
            self.content_target = self._run(content, (CONTENT_LAYER,))[CONTENT_LAYER].float()
        self._content_energy = self.content_target.pow(2).sum()

    def with_content_target(self, content_target: torch.Tensor) -> Objective:
        """The same objective against other CONTENT_LAYER features (Learn this style cuts a crop's
        from its whole photo's), without running VGG for them."""
        other = copy.copy(self)
        other.content_target, other._content_energy = content_target, content_target.pow(2).sum()
        return other

    def with_style_grams(self, style_grams: dict[str, torch.Tensor]) -> Objective:
        """The same objective against other Gram matrices (Learn this style judges a crop against
        the painting's crops of its size), without running VGG for the content again."""
        other = copy.copy(self)
        other._set_style_grams(style_grams)
        return other

    def _set_style_grams(self, style_grams: dict[str, torch.Tensor]) -> None:
        self.style_grams = style_grams
        self._style_energy = {name: g.pow(2).sum() for name, g in style_grams.items()}

    def _run(self, image: torch.Tensor, layers: tuple[str, ...]) -> dict[str, torch.Tensor]:
        x = image.to(self.dtype).contiguous(memory_format=torch.channels_last)
        return self.features(x, layers, self.between_layers)

    def __call__(self, image: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        feats = self._run(image, ALL_LAYERS)
        content = (feats[CONTENT_LAYER].float() - self.content_target).pow(2).sum() / self._content_energy
        style = image.new_zeros(())
        for layer, layer_weight in zip(STYLE_LAYERS, self.weights.layers):
            style = style + layer_weight * self._style_term(feats, layer)
        style = style / sum(self.weights.layers)
        tv = total_variation(image)
        total = self.weights.content * content + self.weights.style * self.strength * style + self.weights.tv * tv
        parts = {"content": content.item(), "style": style.item(), "tv": tv.item(), "total": total.item()}
        return total, parts

    def _style_term(self, feats: dict[str, torch.Tensor], layer: str) -> torch.Tensor:
        return (gram(feats[layer]) - self.style_grams[layer]).pow(2).sum() / self._style_energy[layer]

    def style_layer_losses(self, image: torch.Tensor) -> dict[str, float]:
        """Each style layer's own loss (unweighted), no gradient: which scale of the painting a
        picture misses (bench/learned_style_reach.py --layers)."""
        with torch.no_grad():
            feats = self._run(image, STYLE_LAYERS)
            return {layer: self._style_term(feats, layer).item() for layer in STYLE_LAYERS}


def style_grams(
    features: VGGFeatures,
    dtype: torch.dtype,
    styles: list[tuple[torch.Tensor, float]],
    between_layers: Callable[[], None] | None = None,
) -> dict[str, torch.Tensor]:
    """Weighted average of each style image's Gram matrices (multi-style fusion and interpolation)."""
    total_weight = sum(weight for _, weight in styles)
    fused: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for image, weight in styles:
            feats = features(image.to(dtype).contiguous(memory_format=torch.channels_last), STYLE_LAYERS, between_layers)
            for layer in STYLE_LAYERS:
                contribution = gram(feats[layer]) * (weight / total_weight)
                fused[layer] = fused[layer] + contribution if layer in fused else contribution
    return fused


# -- optimisation -----------------------------------------------------------------------------
StepCallback = Callable[[int, torch.Tensor, dict[str, float]], None]


class Stopped(Exception):
    """Stop and keep, raised between VGG's layers or evaluations (the only way out of an L-BFGS step).

    Whoever knows the picture so far fills in ``picture`` on the way out: optimise() the pixels
    it works on, then the pipeline the whole picture they are part of.
    """

    def __init__(self, picture: torch.Tensor | None = None) -> None:
        super().__init__()
        self.picture = picture


# Adam's momentum (β₁, its gradients' running average). Torch's default 0.9 averages over about ten
# steps, as many as Refine takes and more than Balanced's full-size scale (8): the average cannot turn
# before the run ends. At 512 px, with 0.6, Balanced's total loss fell on all 18 built-in style × photo
# pairs of bench/fast_style.py --quality (mean 1.339 -> 1.191; Mosaic on the astronaut 1.368 -> 1.236)
# in the same time. Refine's figures are in fast_refine.py, learning's in learn_style.py.
ADAM_MOMENTUM = 0.6


def optimise(image: torch.Tensor, objective: Objective, evaluations: int, method: str, lr: float, on_step: StepCallback) -> torch.Tensor:
    """Spend ``evaluations`` loss evaluations improving a copy of ``image``.

    ``on_step(n, pixels, losses)`` runs after every evaluation (progress, previews). It may raise
    Cancelled or Stopped, as may the objective's between_layers; a Stopped leaves with the pixels
    so far. L-BFGS uses a strong-Wolfe line search, which may evaluate several times per
    iteration: without it L-BFGS diverges on this objective.
    """
    pixels = image.detach().clone().requires_grad_(True)
    count = 0
    # L-BFGS's line search evaluates trial points that can be far worse than where it stands (and
    # look broken): previews and Stop and keep get the best point evaluated so far instead.
    keep_best = method == "lbfgs"
    best_loss, best_pixels = math.inf, pixels

    def closure() -> torch.Tensor:
        nonlocal count, best_loss, best_pixels
        optimiser.zero_grad(set_to_none=True)
        loss, parts = objective(pixels)
        loss.backward()
        # The network runs channels_last, so the gradient may come back in that layout; L-BFGS needs it flat.
        pixels.grad = pixels.grad.contiguous()
        count += 1
        if keep_best and parts["total"] < best_loss:
            best_loss, best_pixels = parts["total"], pixels.detach().clone()
        on_step(count, best_pixels, parts)
        return loss

    if method == "lbfgs":
        optimiser: torch.optim.Optimizer = torch.optim.LBFGS(
            [pixels], lr=1.0, max_iter=20, history_size=50, line_search_fn="strong_wolfe"
        )
    elif method == "adam":
        optimiser = torch.optim.Adam([pixels], lr=lr, betas=(ADAM_MOMENTUM, 0.999))
    else:
        raise GenArtError(f"Unknown optimiser “{method}”: use adam or lbfgs.")
    try:
        while count < evaluations:
            if method == "lbfgs":
                # Up to 20 iterations per call (clamping in between), never past the evaluation budget.
                optimiser.param_groups[0]["max_eval"] = evaluations - count
            optimiser.step(closure)
            with torch.no_grad():
                pixels.clamp_(0, 1)
    except Stopped as stop:
        # A Stopped from inside an evaluation leaves the pixels as the last finished step made them.
        stop.picture = best_pixels.detach().clone()
        raise
    return pixels.detach()


def tiles(height: int, width: int, max_pixels: int, overlap: int = TILE_OVERLAP) -> list[tuple[int, int, int, int]]:
    """Overlapping (top, bottom, left, right) boxes covering the image, each at most ``max_pixels``."""
    if height * width <= max_pixels:
        return [(0, height, 0, width)]
    side = max(2 * overlap + 32, int(math.sqrt(max_pixels)))
    rows = max(1, math.ceil((height - overlap) / (side - overlap)))
    cols = max(1, math.ceil((width - overlap) / (side - overlap)))
    tile_h = min(height, math.ceil((height + (rows - 1) * overlap) / rows))
    tile_w = min(width, math.ceil((width + (cols - 1) * overlap) / cols))
    boxes = []
    for r in range(rows):
        top = min(height - tile_h, r * (tile_h - overlap))
        for c in range(cols):
            left = min(width - tile_w, c * (tile_w - overlap))
            boxes.append((top, top + tile_h, left, left + tile_w))
    return boxes


def feather(height: int, width: int, overlap: int) -> torch.Tensor:
    """A 1×1×H×W blending weight that ramps up over ``overlap`` pixels at every edge."""
    ramp_y = torch.clamp((torch.arange(height) + 1) / (overlap + 1), max=1.0)
    ramp_x = torch.clamp((torch.arange(width) + 1) / (overlap + 1), max=1.0)
    wy = torch.minimum(ramp_y, ramp_y.flip(0))
    wx = torch.minimum(ramp_x, ramp_x.flip(0))
    return (wy[:, None] * wx[None, :])[None, None]

