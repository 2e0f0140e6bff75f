"""Refine: the optimisation-based style transfer (style_objective.py), started from the instant
result instead of the photo, at full size only: the instant network has already done the coarse
work that Balanced spends its ¼ and ½ scales on.

Besides the pixels, Refine tunes how much of the photo comes back into the instant result, on a
coarse map (``refine``): the network loses more of some subjects than Balanced does, and pixel
steps of 0.02 cannot bring a face back in ten iterations, while one number per 32-pixel cell moves
the whole cell towards the photo at once."""

from __future__ import annotations

import time
from typing import Callable

import torch
import torch.nn.functional as F

from genart_core.api import GenArtError, GenerationInfo, Result
from genart_core.device import choose_device, fast_dtype
from genart_core.engine import RunContext, mark_stopped
from genart_core.imaging import from_tensor, to_tensor
from genart_core.pipelines import fast_style
from genart_core.pipelines.style_images import resize_long_side, resize_to
from genart_core.pipelines.style_objective import ADAM_MOMENTUM, LossWeights, Objective, Stopped, StepCallback, style_grams
from genart_core.pipelines.style_transfer import MAX_PIXELS, get_features, prepare
from genart_core.requests.fast_style import RefineRequest
from genart_core.requests.style import StyleSource, StyleTransferRequest
from genart_core.styles import find_style

PREVIEW_EVERY = 2
# Adam's step in pixel values, at style_objective.ADAM_MOMENTUM. At 512 px, from the shipped learned
# styles, with torch's momentum 0.9 in both, the best rate (0.015) reached Balanced's total loss on 14
# of the 18 pairs of bench/fast_style.py --quality; with momentum 0.6 in Refine alone, 0.02 reached 17.
# On the four pairs 0.015 had missed, momentum 0.5 at 0.01 and 0.025, momentum 0 and 0.3, rates
# falling from 0.03, and L-BFGS (which spends its first evaluations finding a step size) did worse.
# With Balanced at 0.6 too, 0.025 and 0.03 were mixed against 0.02 on the six pairs it then missed
# (better on Mosaic, worse on Stained glass).
REFINE_LR = 0.02
# The photo blend map: cells along the longer side (32 px at 512), and Adam's step on a cell's share
# of the photo (0: the instant result there, 1: the photo). Every cell starts at 0, so the photo comes
# back only where the objective's gradient asks for it. At 512 px from the shipped learned styles, each
# Refine scored against its pair's Balanced: on the 18 pairs of bench/fast_style.py --quality, pixels
# alone reached Balanced's total loss on 13 and this map on 17 (mean 0.947 -> 0.916 of Balanced's
# total); on the photos the styles were learned on, 15 -> 16 of 18 (0.898 -> 0.890). One blend number
# for the whole picture reached 14 (fixed at 0.25, or tuned from 0.15); the map starting at 0.2 with
# a step of 0.05 reached 17 too but did worse on the learning photos (16, 0.896). Mosaic on the
# astronaut stays 6-8 % short: with 32 or 64 cells, with the map starting at 0.3, and from the instant
# result at strength 0.6 or 0.8.
BLEND_CELLS = 16
BLEND_LR = 0.1


def blend_map_shape(height: int, width: int) -> tuple[int, int, int, int]:
    long_side = max(height, width)
    return 1, 1, max(1, round(BLEND_CELLS * height / long_side)), max(1, round(BLEND_CELLS * width / long_side))


def refine(start: torch.Tensor, photo: torch.Tensor, objective: Callable[[torch.Tensor], tuple[torch.Tensor, dict[str, float]]],
           iterations: int, on_step: StepCallback) -> tuple[torch.Tensor, torch.Tensor]:
    """Adam on picture = start + blend·(photo − start) + change, for the pixels' ``change`` (at
    REFINE_LR) and the coarse ``blend`` map (at BLEND_LR, kept in [0, 1]); the picture is kept in
    [0, 1]. Returns the picture and the blend map. ``on_step`` runs after every evaluation
    with the picture evaluated, and may raise Cancelled or Stopped."""
    height, width = start.shape[-2:]
    toward_photo = photo - start
    change = torch.zeros_like(start, requires_grad=True)
    blend = torch.zeros(blend_map_shape(height, width), dtype=start.dtype, device=start.device, requires_grad=True)
    optimiser = torch.optim.Adam([{"params": [change], "lr": REFINE_LR}, {"params": [blend], "lr": BLEND_LR}], betas=(ADAM_MOMENTUM, 0.999))

    def blended() -> torch.Tensor:
        return start + F.interpolate(blend, size=(height, width), mode="bilinear", align_corners=False) * toward_photo

    for step in range(1, iterations + 1):
        optimiser.zero_grad(set_to_none=True)
        picture = blended() + change
        loss, parts = objective(picture)
        loss.backward()
        on_step(step, picture.detach(), parts)
        optimiser.step()
        with torch.no_grad():
            blend.clamp_(0, 1)
            base = blended()  # within [0, 1], as start and photo are
            change.copy_(torch.minimum(torch.maximum(change, -base), 1 - base))
    with torch.no_grad():
        return (blended() + change).clamp(0, 1), blend.detach()


def optimisation_request(request: RefineRequest) -> StyleTransferRequest:
    """The optimisation's view of the instant request: the paintings behind each style vector."""
    styles = []
    for source in request.instant.styles:
        path = source.path if source.kind == "image" else str(find_style(source.name).path)
        styles.append(StyleSource(source.name, path, source.weight))
    return StyleTransferRequest(content=request.instant.content, styles=tuple(styles), size=request.instant.size, weights=request.weights)


def run(request: RefineRequest, ctx: RunContext) -> Result:
    if request.iterations < 1:
        raise GenArtError("Refine needs at least one iteration.")
    started = time.perf_counter()
    instant = fast_style.run(request.instant, ctx)
    target = optimisation_request(request)
    prepared = prepare(target)
    height, width = prepared.content.shape[-2:]
    if height * width > MAX_PIXELS:
        raise GenArtError("Refine works on pictures up to 768×768 pixels; use Stylise for larger ones.")
    device = choose_device()
    dtype = fast_dtype(device)
    features = get_features(target, ctx, device, dtype)
    content = prepared.content.to(device)
    grams = style_grams(features, dtype, [(resize_long_side(image, max(height, width)).to(device), w) for image, w in prepared.styles])
    objective = Objective(features, dtype, content, grams, LossWeights(), 1.0)
    start = resize_to(to_tensor(instant.images[0]), (height, width)).to(device)
    losses: dict[str, float] = {}
    start_losses: dict[str, float] = {}
    done = [0]

    def on_step(step: int, pixels: torch.Tensor, parts: dict[str, float]) -> None:
        if step == 1:
            start_losses.update(parts)  # the instant result's own losses
        losses.update(parts)
        done[0] = step
        preview = from_tensor(pixels) if step % PREVIEW_EVERY == 0 else None
        ctx.report(step, request.iterations, "Refining", preview)
        if ctx.stop_requested():
            raise Stopped(pixels.detach().clone())

    stopped_at, blend = "", None
    try:
        image, blend = refine(start, content, objective, request.iterations, on_step)
    except Stopped as stop:
        image, stopped_at = stop.picture.clamp(0, 1), f"{done[0]}/{request.iterations}"
    array = from_tensor(image)
    info = GenerationInfo(
        seed=request.instant.seed, width=array.shape[1], height=array.shape[0], model=request.instant.network,
        extra={**instant.infos[0].extra, "Refine iterations": request.iterations,
               **({"Photo blended back": round(blend.mean().item(), 3)} if blend is not None else {})},
        request=request.to_dict(),
    )
    stopped = mark_stopped(info, 0, 1, stopped_at) if stopped_at else ""
    return Result([array], [info], stopped=stopped, extras={"seconds": time.perf_counter() - started, "instant_seconds": instant.extras["seconds"],
                                                           "start_losses": start_losses, "losses": losses})
