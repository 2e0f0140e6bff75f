"""Refine: the optimisation-based style transfer (style_objective.py), started from the instant
result instead of the photo, at full size only: the instant network has already done the coarse
work that Balanced spends its ¼ and ½ scales on."""

from __future__ import annotations

import time

import torch

from genart_core.api import GenArtError, GenerationInfo, Result
from genart_core.device import choose_device, fast_dtype
from genart_core.engine import RunContext, mark_stopped
from genart_core.imaging import from_tensor, to_tensor
from genart_core.pipelines import fast_style
from genart_core.pipelines.style_images import resize_long_side, resize_to
from genart_core.pipelines.style_objective import LossWeights, Objective, Stopped, optimise, style_grams
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

    stopped_at = ""
    try:
        image = optimise(start, objective, request.iterations, "adam", REFINE_LR, on_step)
    except Stopped as stop:
        image, stopped_at = stop.picture.clamp(0, 1), f"{done[0]}/{request.iterations}"
    array = from_tensor(image)
    info = GenerationInfo(
        seed=request.instant.seed, width=array.shape[1], height=array.shape[0], model=request.instant.network,
        extra={**instant.infos[0].extra, "Refine iterations": request.iterations}, request=request.to_dict(),
    )
    stopped = mark_stopped(info, 0, 1, stopped_at) if stopped_at else ""
    return Result([array], [info], stopped=stopped, extras={"seconds": time.perf_counter() - started, "instant_seconds": instant.extras["seconds"],
                                                           "start_losses": start_losses, "losses": losses})
