"""Neural style transfer (Gatys et al.) made fast enough for a CPU: the presets and the job.

The pixels of the result are optimised so that its VGG-19 features match the content image's on
relu4_2 and the style images' Gram matrices on relu1_1…relu5_1, with a total-variation term
(style_objective.py); style_images.py sizes the pictures and keeps the content's colours.
What makes it quick:

* coarse to fine: most iterations run at ¼ and ½ size, each scale starting from the previous
  result upsampled, with the content's finer detail added back, so the full-size scale only refines;
* VGG runs in bf16 with channels_last where that is faster (AMX CPUs, GPUs), only up to relu5_1;
  Gram matrices and losses stay in fp32;
* Adam by default (L-BFGS is noisy with bf16 gradients; both are available).

Scales larger than ``MAX_PIXELS`` are optimised in overlapping tiles against the same global
style statistics, so memory stays bounded for large images; pictures thinner than VGG can pool
are mirrored out to its smallest side and cropped back (style_images.network_padding). Cancel and
Stop and keep are checked between VGG's layers, so they answer within one layer's time.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from genart_core.api import GenArtError, GenerationInfo, Result
from genart_core.device import choose_device, fast_dtype, seeded_generator
from genart_core.engine import RunContext, mark_stopped
from genart_core.imaging import from_tensor, load_image, to_tensor
from genart_core.models.vgg import VGGFeatures
from genart_core.pipelines.style_images import (
    Padding,
    crop_padding,
    fit_for_network,
    grey_matched,
    luminance,
    match_colours,
    network_padding,
    pad_mirrored,
    put_back_colour,
    resize_long_side,
    resize_to,
    scaled_hw,
    upsample_with_detail,
)
from genart_core.pipelines.style_objective import TILE_OVERLAP, LossWeights, Objective, Stopped, feather, optimise, style_grams, tiles
from genart_core.requests.style import ColorMode, Init, Preset, StyleTransferRequest
from genart_core.vgg_weights import load_vgg

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Plan:
    """A preset: the scales (fractions of the output's long side, coarse to fine) and iterations at each."""

    scales: tuple[float, ...]
    iterations: tuple[int, ...]
    # A preview every this many iterations (and after every scale).
    preview_every: int = 10


PRESETS: dict[Preset, Plan] = {
    # A visible result within a couple of seconds: most work at ¼ size, a short touch-up at full size.
    Preset.PREVIEW: Plan(scales=(0.25, 0.5, 1.0), iterations=(50, 15, 3), preview_every=5),
    # About 19 s at 512 px on a 2-core CPU; (100, 40, 12) took 30 s and looked the same.
    Preset.BALANCED: Plan(scales=(0.25, 0.5, 1.0), iterations=(60, 25, 8), preview_every=5),
    # Reaches the loss of 300 single-scale L-BFGS evaluations ~14× sooner (bench/style_transfer.py).
    # Measured against it: L-BFGS at full size (its first ~15 evaluations gain little; 10× at best)
    # and an extra ⅛ scale (slower to that loss, and a higher final loss).
    Preset.BEST: Plan(scales=(0.25, 0.5, 1.0), iterations=(60, 25, 100)),
}
# Style images are shown to VGG at most this large (memory); prepare() shrinks them to it once.
MAX_STYLE_SIDE = 1024
# Scales smaller than this are skipped: VGG's fifth block would see a handful of pixels.
MIN_SIDE = 64
# (coarsest scale, later scales). Later scales start close; at Adam momentum 0.9, 0.025 lowered
# Balanced's final loss from 0.84 to 0.80 against 0.015, and 0.04 overshot (0.84). Rechecked at
# momentum 0.6 (style_objective.ADAM_MOMENTUM) on six bench pairs: (0.03, 0.035), (0.04, 0.025) and
# (0.03, 0.02) each ended lower on at most three of the six.
ADAM_LR = (0.03, 0.025)
MAX_PREVIEW_SIDE = 768
# At most this often: progress reports, and previews (which also wait for every preview_every-th iteration).
REPORT_INTERVAL_S = 0.1
PREVIEW_INTERVAL_S = 0.25
# Scales above this many pixels are optimised in tiles: about 1 GB of bf16 activations, and one
# evaluation (the time Cancel may have to wait) stays under a second on an AMX CPU.
MAX_PIXELS = 768 * 768
# Adam throughout unless the request asks for L-BFGS: from an upsampled start L-BFGS spends its
# first ~15 evaluations for little gain, and is noisy with bf16 gradients.
DEFAULT_OPTIMIZER = "adam"


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
    return to_tensor(array)


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
        image = to_tensor(load_image(style.path))
        # Once here rather than at every stage: shrinking a large painting takes seconds on a busy CPU.
        image = resize_long_side(image, min(max(image.shape[-2:]), MAX_STYLE_SIDE))
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


@dataclass(frozen=True)
class Stage:
    """One scale of the coarse-to-fine schedule: the picture's size there, the mirrored padding that
    brings it up to what VGG needs, and the tiles of the padded picture."""

    number: int  # from 1
    of: int
    size: tuple[int, int]  # (height, width) of the picture at this scale
    side: int  # its long side
    iterations: int  # per tile
    padding: Padding
    boxes: tuple[tuple[int, int, int, int], ...]

    @property
    def cost(self) -> int:
        """Pixel-evaluations: VGG's time grows with the pixels it sees, so this is the stage's share of the time."""
        return self.iterations * sum((bottom - top) * (right - left) for top, bottom, left, right in self.boxes)

    @property
    def phase(self) -> str:
        return f"Stylising at {self.size[1]}×{self.size[0]} ({self.number}/{self.of})"


def scale_sides(plan: Plan, side: int) -> list[tuple[int, int]]:
    """(long side, iterations) per scale, skipping scales too small for VGG."""
    steps = [(round(side * f), n) for f, n in zip(plan.scales, plan.iterations) if round(side * f) >= MIN_SIDE]
    return steps or [(side, plan.iterations[-1])]


def plan_stages(plan: Plan, height: int, width: int, iterations_scale: float) -> list[Stage]:
    """The stages that make a height×width result."""
    sides = scale_sides(plan, max(height, width))
    stages = []
    for number, (side, iterations) in enumerate(sides, start=1):
        size = scaled_hw(height, width, side)
        padding = network_padding(*size)
        padded = (size[0] + padding[0] + padding[1], size[1] + padding[2] + padding[3])
        boxes = tuple(tiles(*padded, MAX_PIXELS))
        stages.append(Stage(number, len(sides), size, side, max(1, round(iterations * iterations_scale)), padding, boxes))
    return stages


def get_features(request: StyleTransferRequest, ctx: RunContext, device: torch.device, dtype: torch.dtype) -> VGGFeatures:
    def on_download(done: int, total: int) -> None:
        ctx.report(done >> 20, max(1, total >> 20), "Downloading VGG-19 weights (MB)")

    def loader() -> VGGFeatures:
        ctx.report(0, 1, "Loading VGG-19")
        model = load_vgg(request.weights, on_download, ctx.cancel)
        return model.to(device=device, dtype=dtype, memory_format=torch.channels_last)

    return ctx.cache.get_or_load(("vgg19", request.weights, str(device), str(dtype)), loader)


@dataclass
class _Job:
    """What every stage of one run needs."""

    request: StyleTransferRequest
    prepared: Prepared
    features: VGGFeatures
    dtype: torch.dtype
    device: torch.device
    method: str
    reporter: "_Reporter"


def run(request: StyleTransferRequest, ctx: RunContext) -> Result:
    started = time.perf_counter()
    device = choose_device()
    dtype = fast_dtype(device) if request.precision == "auto" else torch.float32
    plan = PRESETS[Preset(request.preset)]
    method = request.optimizer or DEFAULT_OPTIMIZER  # recorded as the sampler
    prepared = prepare(request)
    features = get_features(request, ctx, device, dtype)
    ctx.check_cancelled()
    stages = plan_stages(plan, *prepared.content.shape[-2:], request.iterations_scale)

    def show(image: torch.Tensor) -> np.ndarray:
        preview = image if max(image.shape[-2:]) <= MAX_PREVIEW_SIDE else resize_long_side(image, MAX_PREVIEW_SIDE)
        if request.preserve_colors == ColorMode.LUMINANCE:
            preview = put_back_colour(preview, prepared.colour_content)
        return from_tensor(preview)

    job = _Job(request, prepared, features, dtype, device, method, _Reporter(ctx, stages, plan.preview_every, show))
    # The coarsest stage starts from this picture (a "Refine" start image would take its place).
    image = initial_image(request, resize_to(prepared.content, stages[0].size))
    stopped = ""  # "k/N" once Stop and keep ended the optimisation after evaluation k of N
    try:
        for stage in stages:
            image = _stylise_stage(job, stage, image)
    except Stopped as stop:
        # The picture as far as it got, at the size asked for rather than the scale it reached.
        stopped = f"{job.reporter.evaluations}/{job.reporter.total_evaluations}"
        image = upsample_with_detail(stop.picture, prepared.content.to(stop.picture.device))
    final = image.cpu()
    if request.preserve_colors == ColorMode.LUMINANCE:
        final = put_back_colour(final, prepared.colour_content)
    array = from_tensor(final)
    elapsed = time.perf_counter() - started
    info = _info(request, array, features.source, method, job.reporter.total_evaluations)
    ended = mark_stopped(info, 0, 1, stopped) if stopped else ""
    return Result(images=[array], infos=[info], extras={"seconds": elapsed, "losses": job.reporter.losses}, stopped=ended)


def _stylise_stage(job: _Job, stage: Stage, image: torch.Tensor) -> torch.Tensor:
    """The previous stage's picture (or the start) stylised at ``stage``'s size; on Stop and keep,
    raises Stopped with the whole picture as far as it got. Cancel is checked between every step
    that takes long on a busy CPU at 1024 px: resizes, and VGG's layers."""
    request, check = job.request, job.reporter.check
    box = None  # the tile being optimised
    try:
        content = resize_to(job.prepared.content, stage.size).to(job.device)
        check()
        image = upsample_with_detail(image, content, check)
        padded_content, padded = pad_mirrored(content, stage.padding), pad_mirrored(image, stage.padding)
        style_side = _style_side(stage.side, request.style_scale)
        styles = []
        for style, weight in job.prepared.styles:
            check()
            styles.append((fit_for_network(resize_long_side(style, style_side)).to(job.device), weight))
        grams = style_grams(job.features, job.dtype, styles, check)
        lr = ADAM_LR[0] if stage.number == 1 else ADAM_LR[1]
        result = torch.zeros_like(padded)
        coverage = torch.zeros_like(padded[:, :1])
        for box in stage.boxes:
            top, bottom, left, right = box
            tile_content = padded_content[..., top:bottom, left:right]
            objective = Objective(job.features, job.dtype, tile_content, grams, LossWeights(), request.strength, check)
            on_step = job.reporter.on_step_for(padded, box, stage)
            tile = optimise(padded[..., top:bottom, left:right], objective, stage.iterations, job.method, lr, on_step)
            blend = feather(bottom - top, right - left, TILE_OVERLAP) if len(stage.boxes) > 1 else 1.0
            result[..., top:bottom, left:right] += tile * blend
            coverage[..., top:bottom, left:right] += blend
    except Stopped as stop:
        if box is None:  # before the first tile: the picture this stage started from
            stop.picture = image
        elif stop.picture is None:  # setting up a tile
            stop.picture = crop_padding(padded, stage.padding)
        else:  # inside optimise: its pixels so far
            stop.picture = crop_padding(_pasted(padded, stop.picture, box), stage.padding)
        raise
    image = crop_padding(result / coverage.clamp_min(1e-6), stage.padding)
    job.reporter.stage_done(stage, image)
    return image


def _pasted(whole: torch.Tensor, part: torch.Tensor, box: tuple[int, int, int, int]) -> torch.Tensor:
    """``whole`` with ``part`` in ``box`` (a tile alone is an odd preview or result)."""
    if part.shape == whole.shape:
        return part
    pasted = whole.clone()
    pasted[..., box[0] : box[1], box[2] : box[3]] = part
    return pasted


# Progress runs from 0 to this many units, in proportion to the estimated time.
PROGRESS_UNITS = 1000


class _Reporter:
    """Turns loss evaluations into progress reports (weighted by their cost, so the bar follows the
    time) and previews, and Stop and keep into Stopped."""

    def __init__(self, ctx: RunContext, stages: list[Stage], preview_every: int, show) -> None:
        self.ctx, self.preview_every, self.show = ctx, preview_every, show
        self.total_evaluations = sum(stage.iterations * len(stage.boxes) for stage in stages)
        self.evaluations = 0  # over all stages and tiles
        self._total_cost = sum(stage.cost for stage in stages)
        self._cost_done = 0
        self.losses: dict[str, float] = {}  # the latest evaluation's
        self._last_report = self._last_preview = 0.0

    def check(self) -> None:
        """Between evaluations and VGG's layers: raises Cancelled on Cancel, Stopped on Stop and keep."""
        if self.ctx.stop_requested():
            raise Stopped()

    @property
    def units(self) -> int:
        return min(PROGRESS_UNITS, round(PROGRESS_UNITS * self._cost_done / self._total_cost))

    def on_step_for(self, padded: torch.Tensor, box: tuple[int, int, int, int], stage: Stage):
        """optimise()'s on_step for the tile ``box`` of ``padded`` (the whole padded picture at ``stage``)."""
        tile_pixels = (box[1] - box[0]) * (box[3] - box[2])

        def on_step(step: int, pixels: torch.Tensor, parts: dict[str, float]) -> None:
            self.evaluations += 1
            self._cost_done += tile_pixels
            self.losses.update(parts)
            self.check()
            # Small images iterate in milliseconds: limit reports so a GUI is not flooded.
            now = time.perf_counter()
            preview_due = step % self.preview_every == 0 and now - self._last_preview >= PREVIEW_INTERVAL_S
            if preview_due or now - self._last_report >= REPORT_INTERVAL_S:
                preview = self.show(crop_padding(_pasted(padded, pixels, box), stage.padding)) if preview_due else None
                self.ctx.report(self.units, PROGRESS_UNITS, stage.phase, preview)
                self._last_report = now
                if preview_due:
                    self._last_preview = now

        return on_step

    def stage_done(self, stage: Stage, image: torch.Tensor) -> None:
        self.ctx.report(self.units, PROGRESS_UNITS, stage.phase, self.show(image))


def _style_side(content_side: int, style_scale: float) -> int:
    # The style is shown to VGG at the content's scale (times style_scale), capped to bound memory.
    return max(MIN_SIDE, min(round(content_side * style_scale), MAX_STYLE_SIDE))


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
