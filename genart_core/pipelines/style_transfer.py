"""Neural style transfer (Gatys et al.) made fast enough for a CPU.

The pixels of the result are optimised so that its VGG-19 features match the content image's on
relu4_2 and the style images' Gram matrices on relu1_1…relu5_1, with a total-variation term.
What makes it quick:

* coarse to fine: most iterations run at ¼ and ½ size, each scale starting from the previous
  result upsampled, with the content's finer detail added back, so the full-size scale only refines;
* VGG runs in bf16 with channels_last where that is faster (AMX CPUs, GPUs), only up to relu5_1;
  Gram matrices and losses stay in fp32;
* Adam by default (L-BFGS is noisy with bf16 gradients; both are available).

Scales larger than ``max_pixels`` are optimised in overlapping tiles against the same global
style statistics, so memory stays bounded for large images.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from genart_core.api import GenArtError, GenerationInfo, Result
from genart_core.device import choose_device, fast_dtype, seeded_generator
from genart_core.engine import RunContext, stopped_during_image
from genart_core.imaging import load_image, to_rgb
from genart_core.models.vgg import VGGFeatures
from genart_core.requests.style import ColorMode, Init, Preset, StyleTransferRequest
from genart_core.vgg_weights import load_vgg

log = logging.getLogger(__name__)

CONTENT_LAYER = "relu4_2"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
ALL_LAYERS = STYLE_LAYERS + (CONTENT_LAYER,)


@dataclass(frozen=True)
class LossWeights:
    content: float = 1.0
    # Multiplied by the request's strength. Losses are relative errors, so these are unit-free.
    style: float = 4.0
    # Per style layer, relu1_1…relu5_1: the fine layers carry the texture, the deep ones the forms.
    layers: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0)
    tv: float = 2.0


@dataclass(frozen=True)
class Plan:
    """A preset: the scales (fractions of the output's long side, coarse to fine) and iterations at each."""

    scales: tuple[float, ...]
    iterations: tuple[int, ...]
    optimizer: str = "adam"
    # A preview every this many iterations (and after every scale).
    preview_every: int = 10


PRESETS: dict[Preset, Plan] = {
    # A visible result within a couple of seconds: most work at ¼ size, a short touch-up at full size.
    Preset.PREVIEW: Plan(scales=(0.25, 0.5, 1.0), iterations=(50, 15, 3), preview_every=5),
    # About 19 s at 512 px on a 2-core CPU; (100, 40, 12) took 30 s and looked the same.
    Preset.BALANCED: Plan(scales=(0.25, 0.5, 1.0), iterations=(60, 25, 8), preview_every=5),
    # Reaches the loss of 300 single-scale L-BFGS evaluations ~13× sooner (bench/style_transfer.py).
    # Measured against it: L-BFGS at full size (its first ~15 evaluations gain little; 10× at best)
    # and an extra ⅛ scale (slower to that loss, and a higher final loss).
    Preset.BEST: Plan(scales=(0.25, 0.5, 1.0), iterations=(60, 25, 100)),
}
# Scales smaller than this are skipped: VGG's fifth block would see a handful of pixels.
MIN_SIDE = 64
# (coarsest scale, later scales). Later scales start close; 0.025 lowered Balanced's final loss
# from 0.84 to 0.80 against 0.015, and 0.04 overshot (0.84).
ADAM_LR = (0.03, 0.025)
MAX_PREVIEW_SIDE = 768
# At most this often: progress reports, and previews (which also wait for every preview_every-th iteration).
REPORT_INTERVAL_S = 0.1
PREVIEW_INTERVAL_S = 0.25
# Scales above this many pixels are optimised in tiles: about 1 GB of bf16 activations, and one
# evaluation (the time Cancel may have to wait) stays under a second on an AMX CPU.
MAX_PIXELS = 768 * 768
TILE_OVERLAP = 64


# -- images as tensors ------------------------------------------------------------------------
def image_tensor(array: np.ndarray) -> torch.Tensor:
    """uint8 H×W×C -> float 1×3×H×W in [0, 1]."""
    return torch.from_numpy(to_rgb(array).copy()).permute(2, 0, 1)[None].float().div(255.0)


def to_uint8(tensor: torch.Tensor) -> np.ndarray:
    return tensor[0].detach().float().clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).numpy()


def resize_long_side(tensor: torch.Tensor, side: int) -> torch.Tensor:
    height, width = tensor.shape[-2:]
    scale = side / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    return resize_to(tensor, size)


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
    matched = (y_style - y_style.mean()) * (y_content.std() / (y_style.std() + 1e-6)) + y_content.mean()
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
    chol_s = torch.linalg.cholesky(torch.cov(s) + eye)
    chol_c = torch.linalg.cholesky(torch.cov(c) + eye)
    transform = chol_c @ torch.linalg.inv(chol_s)
    out = transform @ (s - mu_s) + mu_c
    return out.reshape(style.shape).float().clamp(0, 1)


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
    ) -> None:
        self.features, self.dtype, self.weights, self.strength = features, dtype, weights, strength
        self.style_grams = style_grams
        self.image_size = (int(content.shape[-2]), int(content.shape[-1]))
        with torch.no_grad():
            self.content_target = self._run(content, (CONTENT_LAYER,))[CONTENT_LAYER].float()
        self._content_energy = self.content_target.pow(2).sum()
        self._style_energy = {name: g.pow(2).sum() for name, g in style_grams.items()}

    def _run(self, image: torch.Tensor, layers: tuple[str, ...]) -> dict[str, torch.Tensor]:
        x = image.to(self.dtype).contiguous(memory_format=torch.channels_last)
        return self.features(x, layers)

    def __call__(self, image: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        feats = self._run(image, ALL_LAYERS)
        content = (feats[CONTENT_LAYER].float() - self.content_target).pow(2).sum() / self._content_energy
        style = image.new_zeros(())
        for layer, layer_weight in zip(STYLE_LAYERS, self.weights.layers):
            target = self.style_grams[layer]
            style = style + layer_weight * (gram(feats[layer]) - target).pow(2).sum() / self._style_energy[layer]
        style = style / sum(self.weights.layers)
        tv = total_variation(image)
        total = self.weights.content * content + self.weights.style * self.strength * style + self.weights.tv * tv
        parts = {"content": content.item(), "style": style.item(), "tv": tv.item(), "total": total.item()}
        return total, parts


def style_grams(
    features: VGGFeatures, dtype: torch.dtype, styles: list[tuple[torch.Tensor, float]]
) -> dict[str, torch.Tensor]:
    """Weighted average of each style image's Gram matrices (multi-style fusion and interpolation)."""
    total_weight = sum(weight for _, weight in styles)
    fused: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for image, weight in styles:
            feats = features(image.to(dtype).contiguous(memory_format=torch.channels_last), STYLE_LAYERS)
            for layer in STYLE_LAYERS:
                contribution = gram(feats[layer]) * (weight / total_weight)
                fused[layer] = fused[layer] + contribution if layer in fused else contribution
    return fused


# -- optimisation -----------------------------------------------------------------------------
StepCallback = Callable[[int, torch.Tensor, dict[str, float]], None]


class _Stopped(Exception):
    """Raised by on_step on Stop and keep: the only way out of an L-BFGS step between evaluations."""

    def __init__(self, picture: torch.Tensor) -> None:
        super().__init__()
        self.picture = picture  # the whole picture at the current scale, as far as it got


def optimise(image: torch.Tensor, objective: Objective, evaluations: int, method: str, lr: float, on_step: StepCallback) -> torch.Tensor:
    """Spend ``evaluations`` loss evaluations improving a copy of ``image``.

    ``on_step(n, pixels, losses)`` runs after every evaluation (progress, previews; it may raise
    Cancelled or _Stopped). L-BFGS uses a strong-Wolfe line search, which may evaluate several times per
    iteration: without it L-BFGS diverges on this objective.
    """
    pixels = image.detach().clone().requires_grad_(True)
    count = 0
    # L-BFGS's line search evaluates trial points that can be far worse than where it stands (and
    # look broken): previews and Stop and keep get the best point evaluated so far instead.
    best = {"loss": math.inf, "pixels": pixels}

    def closure() -> torch.Tensor:
        nonlocal count
        optimiser.zero_grad(set_to_none=True)
        loss, parts = objective(pixels)
        loss.backward()
        # The network runs channels_last, so the gradient may come back in that layout; L-BFGS needs it flat.
        pixels.grad = pixels.grad.contiguous()
        count += 1
        if method == "lbfgs" and parts["total"] < best["loss"]:
            best.update(loss=parts["total"], pixels=pixels.detach().clone())
        on_step(count, best["pixels"] if method == "lbfgs" else pixels, parts)
        return loss

    if method == "lbfgs":
        optimiser: torch.optim.Optimizer = torch.optim.LBFGS(
            [pixels], lr=1.0, max_iter=20, history_size=50, line_search_fn="strong_wolfe"
        )
    elif method == "adam":
        optimiser = torch.optim.Adam([pixels], lr=lr)
    else:
        raise GenArtError(f"Unknown optimiser “{method}”: use adam or lbfgs.")
    while count < evaluations:
        if method == "lbfgs":
            # Up to 20 iterations per call (clamping in between), never past the evaluation budget.
            optimiser.param_groups[0]["max_eval"] = evaluations - count
        optimiser.step(closure)
        with torch.no_grad():
            pixels.clamp_(0, 1)
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


# -- the pipeline ---------------------------------------------------------------------------
@dataclass
class Prepared:
    content: torch.Tensor  # 1×3×H×W at the output size, the image being stylised (grey in luminance mode)
    colour_content: torch.Tensor  # the original-colour content at the output size
    styles: list[tuple[torch.Tensor, float]]  # style images (recoloured as the colour mode says) and weights


def _load(source: str | Path | np.ndarray) -> torch.Tensor:
    array = source if isinstance(source, np.ndarray) else load_image(source)
    if array.ndim not in (2, 3) or array.shape[0] == 0 or array.shape[1] == 0:
        raise GenArtError("The content image is empty.")
    return image_tensor(array)


def output_side(content: torch.Tensor, size: int | None) -> int:
    own = max(content.shape[-2:])
    return own if size is None or size <= 0 or size > own else int(size)


def prepare(request: StyleTransferRequest) -> Prepared:
    if not request.styles:
        raise GenArtError("Choose at least one style.")
    if any(s.weight < 0 for s in request.styles) or sum(s.weight for s in request.styles) <= 0:
        raise GenArtError("Style weights must not be negative, and at least one must be above zero.")
    content = _load(request.content)
    content = resize_long_side(content, output_side(content, request.size))
    styles = []
    for style in request.styles:
        if style.weight == 0:
            continue
        image = image_tensor(load_image(style.path))
        if request.preserve_colors == ColorMode.MATCH:
            image = match_colours(image, content)
        elif request.preserve_colors == ColorMode.LUMINANCE:
            image = grey_matched(image, content)
        styles.append((image, style.weight))
    working = content
    if request.preserve_colors == ColorMode.LUMINANCE:
        working = luminance(content).expand(-1, 3, -1, -1).contiguous()
    return Prepared(working, content, styles)


def initial_image(request: StyleTransferRequest, content: torch.Tensor) -> torch.Tensor:
    """The coarsest scale's start: content (or noise) with seeded low-frequency perturbation."""
    generator = seeded_generator(request.seed)
    height, width = content.shape[-2:]
    coarse = torch.randn(1, 3, max(2, height // 8), max(2, width // 8), generator=generator)
    smooth = F.interpolate(coarse, size=(height, width), mode="bicubic", align_corners=False)
    fine = torch.randn(1, 3, height, width, generator=generator)
    if request.init == Init.NOISE:
        return (content.mean(dim=(2, 3), keepdim=True) + 0.2 * smooth + 0.1 * fine).clamp(0, 1)
    return (content + 0.12 * smooth + 0.04 * fine).clamp(0, 1)


def upsample_with_detail(image: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """The previous scale's result at ``content``'s size, plus the content detail it was too small to hold.

    Upsampling alone gives a blurred picture whose content features at the new size are far off;
    adding the content's band between the two sizes (a Laplacian-pyramid level) puts its edges
    back, so the new scale spends its iterations on style rather than on re-sharpening.
    """
    size = tuple(content.shape[-2:])
    if tuple(image.shape[-2:]) == size:
        return image.to(content.device)
    detail = content - resize_to(resize_to(content, tuple(image.shape[-2:])), size)
    return (resize_to(image.to(content.device), size) + detail).clamp(0, 1)


def scale_sides(plan: Plan, side: int) -> list[tuple[int, int]]:
    """(long side, iterations) per scale, skipping scales too small for VGG."""
    steps = [(round(side * f), n) for f, n in zip(plan.scales, plan.iterations) if round(side * f) >= MIN_SIDE]
    return steps or [(side, plan.iterations[-1])]


def get_features(request: StyleTransferRequest, ctx: RunContext, device: torch.device, dtype: torch.dtype) -> VGGFeatures:
    def on_download(done: int, total: int) -> None:
        ctx.report(done >> 20, max(1, total >> 20), "Downloading VGG-19 weights (MB)")

    def loader() -> VGGFeatures:
        ctx.report(0, 1, "Loading VGG-19")
        model = load_vgg(request.weights, on_download, ctx.cancel)
        return model.to(device=device, dtype=dtype, memory_format=torch.channels_last)

    return ctx.cache.get_or_load(("vgg19", request.weights, str(device), str(dtype)), loader)


def run(request: StyleTransferRequest, ctx: RunContext) -> Result:
    started = time.perf_counter()
    device = choose_device()
    dtype = fast_dtype(device) if request.precision == "auto" else torch.float32
    plan = PRESETS[Preset(request.preset)]
    method = request.optimizer or plan.optimizer  # recorded as the sampler
    prepared = prepare(request)
    features = get_features(request, ctx, device, dtype)
    ctx.check_cancelled()
    height, width = prepared.content.shape[-2:]
    schedule = [(side, max(1, round(n * request.iterations_scale))) for side, n in scale_sides(plan, max(height, width))]
    weights = LossWeights()

    # Progress counts iterations over all scales and tiles.
    boxes_per_scale = [len(tiles(*_scaled_hw(height, width, side), MAX_PIXELS)) for side, _ in schedule]
    total = sum(n * b for (_, n), b in zip(schedule, boxes_per_scale))
    done = 0

    def show(image: torch.Tensor) -> np.ndarray:
        preview = image if max(image.shape[-2:]) <= MAX_PREVIEW_SIDE else resize_long_side(image, MAX_PREVIEW_SIDE)
        if request.preserve_colors == ColorMode.LUMINANCE:
            preview = put_back_colour(preview, prepared.colour_content)
        return to_uint8(preview.cpu())

    image = initial_image(request, resize_long_side(prepared.content, schedule[0][0]))
    losses: dict[str, float] = {}
    last = {"report": 0.0, "preview": 0.0}
    stopped = ""  # "k/N" once Stop and keep ended the optimisation after evaluation k of N
    for scale_index, (side, iterations) in enumerate(schedule):
        content = resize_long_side(prepared.content, side).to(device)
        image = upsample_with_detail(image, content)
        styles = [(resize_long_side(s, _style_side(side, request.style_scale)).to(device), w) for s, w in prepared.styles]
        grams = style_grams(features, dtype, styles)
        phase = f"Stylising at {content.shape[-1]}×{content.shape[-2]} ({scale_index + 1}/{len(schedule)})"
        lr = ADAM_LR[0] if scale_index == 0 else ADAM_LR[1]
        result = torch.zeros_like(image)
        coverage = torch.zeros_like(image[:, :1])
        for top, bottom, left, right in tiles(*content.shape[-2:], MAX_PIXELS):
            objective = Objective(features, dtype, content[..., top:bottom, left:right], grams, weights, request.strength)
            start = image[..., top:bottom, left:right]

            def pasted(pixels: torch.Tensor, box: tuple[int, int, int, int] = (top, bottom, left, right)) -> torch.Tensor:
                """The whole picture with this tile's progress in it (a tile alone is an odd preview)."""
                if pixels.shape == image.shape:
                    return pixels
                whole = image.clone()
                whole[..., box[0] : box[1], box[2] : box[3]] = pixels
                return whole

            def on_step(step: int, pixels: torch.Tensor, parts: dict[str, float]) -> None:
                nonlocal done
                done += 1
                losses.update(parts)
                if ctx.stop_requested():  # raises Cancelled on Cancel
                    raise _Stopped(pasted(pixels).detach())
                # Small images iterate in milliseconds: limit reports so a GUI is not flooded.
                now = time.perf_counter()
                preview_due = step % plan.preview_every == 0 and now - last["preview"] >= PREVIEW_INTERVAL_S
                if preview_due or now - last["report"] >= REPORT_INTERVAL_S:
                    ctx.report(min(done, total), total, phase, show(pasted(pixels)) if preview_due else None)
                    last["report"] = now
                    if preview_due:
                        last["preview"] = now

            try:
                tile = optimise(start, objective, iterations, method, lr, on_step)
            except _Stopped as stop:
                image, stopped = stop.picture, f"{done}/{total}"
                break
            blend = feather(bottom - top, right - left, TILE_OVERLAP) if (bottom - top, right - left) != tuple(image.shape[-2:]) else 1.0
            result[..., top:bottom, left:right] += tile * blend
            coverage[..., top:bottom, left:right] += blend
        if stopped:
            break
        image = result / coverage.clamp_min(1e-6)
        ctx.report(min(done, total), total, phase, show(image))

    if stopped:  # the picture as far as it got, at the size asked for rather than the scale it reached
        image = upsample_with_detail(image, prepared.content.to(image.device))
    final = image.cpu()
    if request.preserve_colors == ColorMode.LUMINANCE:
        final = put_back_colour(final, prepared.colour_content)
    array = to_uint8(final)
    elapsed = time.perf_counter() - started
    info = _info(request, array, features.source, method, total)
    if stopped:
        info.extra["Stopped at step"] = stopped
    return Result(images=[array], infos=[info], extras={"seconds": elapsed, "losses": losses}, stopped=stopped_during_image(0, 1, stopped) if stopped else "")


def _scaled_hw(height: int, width: int, side: int) -> tuple[int, int]:
    scale = side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def _style_side(content_side: int, style_scale: float) -> int:
    # The style is shown to VGG at the content's scale (times style_scale), capped to bound memory.
    return max(MIN_SIDE, min(round(content_side * style_scale), 1024))


def _info(request: StyleTransferRequest, array: np.ndarray, source: str, method: str, steps: int) -> GenerationInfo:
    names = [s.name for s in request.styles]
    total_weight = sum(s.weight for s in request.styles)
    return GenerationInfo(
        prompt="style transfer: " + ", ".join(names),
        steps=steps,
        sampler=method,
        seed=request.seed,
        width=int(array.shape[1]),
        height=int(array.shape[0]),
        model=f"vgg19-{source}",
        extra={
            "Strength": request.strength,
            "Preserve colours": ColorMode(request.preserve_colors).value,
            "Preset": Preset(request.preset).value,
            "Init": Init(request.init).value,
            "Style weights": {s.name: round(s.weight / total_weight, 4) for s in request.styles},
        },
        request=request.to_dict(),
    )
