"""Hires fix for Stable Diffusion models: a picture larger than the model's native size without
the repeated subjects a direct large text-to-image run makes.

One job, per image: the base image at the request's width×height (the model's native size), its
enlargement by hires_scale (a learned upscaler, or Lanczos), then image-to-image over the
enlargement at the low hires_denoise with the same prompt and seed, which redraws the detail the
enlargement could only guess. Outputs larger than the model repaints in one pass go in
overlapping tiles (genart_core.pipelines.tiled_img2img). One progress bar spans the phases, each
named in the progress; previews, Cancel and Stop and keep work in every phase (a stop keeps the
latest picture: the base image, the enlargement, or the hires pass so far).

Parameters are recorded as AUTOMATIC1111 writes them: Size is the base size, "Hires upscale",
"Hires upscaler" and "Denoising strength" say how it was enlarged, so A1111 and Reproduce remake it.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from genart_core.api import Cancelled, GenArtError, GenerationInfo, Result
from genart_core.engine import Batch, RunContext
from genart_core.imaging import resize
from genart_core.metadata import file_name_of
from genart_core.phases import PhasedProgress
from genart_core.pipelines import diffusion, tiled_img2img
from genart_core.requests.diffusion import HIRES_LANCZOS, HIRES_SCALE_RANGE, ImageToImageRequest, TextToImageRequest

log = logging.getLogger(__name__)

MAX_OUTPUT_SIDE = 4096  # pixels; the canvas and the server take up to this
BASE, UPSCALING, HIRES_PASS = "Base image", "Upscaling", "Hires pass"
# Weights of the progress bar's phases, in UNet evaluations at the native size: the base image
# costs its steps, the hires pass its steps times its area in native images; genart-sr's
# 512 -> 1024 costs less than one step of even a narrow SD-1.5-shaped UNet at 512 (bench/detail.py
# hires: 3.4 s against 9 s a step, both on the loaded shared CPU), Lanczos nothing.
LEARNED_UPSCALER_WEIGHT = 1


def check_request(request: TextToImageRequest, offline: bool) -> None:
    """A clear message for a hires fix that cannot run, before any model loads."""
    if offline:
        raise GenArtError("Hires fix is for Stable Diffusion models; the offline model's pictures are enlarged by the upscaler already. Turn Hires fix off.")
    if request.mode != "txt2img":
        raise GenArtError("Hires fix enlarges text-to-image results; for image-to-image use Image ▸ Upscale, or turn Hires fix off.")
    low, high = HIRES_SCALE_RANGE
    if not low < request.hires_scale <= high:
        raise GenArtError(f"The hires fix scale must be above {low:g} and at most {high:g}.")
    if not 0.0 < request.hires_denoise <= 1.0:
        raise GenArtError("The hires fix denoising strength must be above 0 and at most 1.")
    width, height = final_size(request)
    if max(width, height) > MAX_OUTPUT_SIDE:
        raise GenArtError(f"With hires fix the picture would be {width}×{height}; at most {MAX_OUTPUT_SIDE} pixels a side. Lower the scale or the size.")
    if request.hires_upscaler != HIRES_LANCZOS:
        from genart_core import upscalers

        upscalers.resolve(request.hires_upscaler)  # says which upscalers there are when it is not one


def final_size(request: TextToImageRequest) -> tuple[int, int]:
    """The hires result's (width, height): the base size times the scale, in whole multiples of 8."""
    return (_round8(request.width * request.hires_scale), _round8(request.height * request.hires_scale))


def _round8(side: float) -> int:
    return max(8, int(round(side / 8)) * 8)


def hires_pass_request(request: TextToImageRequest, image: np.ndarray, seed: int) -> ImageToImageRequest:
    """The image-to-image request that repaints ``image`` (the enlargement) with ``request``'s settings."""
    values = {field.name: getattr(request, field.name) for field in dataclasses.fields(TextToImageRequest)}
    height, width = image.shape[:2]
    values.update(seed=seed, count=1, width=width, height=height, hires_scale=1.0)
    return ImageToImageRequest(**values, init_image=image, strength=request.hires_denoise)


def generate(loaded: diffusion.LoadedModel, request: TextToImageRequest, ctx: RunContext) -> Result:
    """Make request.count hires pictures, one at a time with seeds seed, seed+1, …"""
    width, height = final_size(request)
    tiles = tiled_img2img.plan(loaded, width, height)
    hires_steps = tiled_img2img.denoising_steps(request.steps, request.hires_denoise)
    tile_area = sum(tile.width * tile.height for tile in tiles) / (request.width * request.height)
    weights = {
        BASE: request.steps,
        UPSCALING: 0 if request.hires_upscaler == HIRES_LANCZOS else LEARNED_UPSCALER_WEIGHT,
        HIRES_PASS: round(hires_steps * tile_area),
    }
    phases = PhasedProgress(ctx, weights, request.count)
    base_request = dataclasses.replace(request, count=1, hires_scale=1.0)
    batch = Batch(ctx, request.count, request.seed)
    for index, seed in batch:
        base = diffusion.generate(loaded, dataclasses.replace(base_request, seed=seed), phases.context(BASE, index))
        image, info = base.images[0], base.infos[0]
        stopped_at = f"{tiled_img2img.stopped_step(base)} of the base image" if base.stopped else ""
        info.extra.pop("Stopped at step", None)  # Batch.stop_at says which phase it was
        if not stopped_at:
            image, stopped_at = _enlarge_and_repaint(loaded, request, image, seed, tiles, info, phases, index)
        _record(info, request)
        batch.images.append(image)
        batch.infos.append(info)
        if stopped_at:
            batch.stop_at(index, stopped_at)
            break
    return diffusion.batch_result(loaded, batch)


def _enlarge_and_repaint(
    loaded: diffusion.LoadedModel, request: TextToImageRequest, image: np.ndarray, seed: int,
    tiles: list, info: GenerationInfo, phases: PhasedProgress, index: int,
) -> tuple[np.ndarray, str]:
    """The enlargement of the base ``image`` and its hires pass: (the picture, "" or where Stop and
    keep ended it, as "k/N of the hires pass")."""
    width, height = final_size(request)
    enlarged = enlarge(image, width, height, request.hires_upscaler, phases.context(UPSCALING, index))
    hires_ctx = phases.context(HIRES_PASS, index)
    not_begun = f"0/{tiled_img2img.denoising_steps(request.steps, request.hires_denoise)} of the hires pass"
    try:
        if hires_ctx.stop_requested():  # during the upscaling: the enlargement is kept
            return enlarged, not_begun
        repainted = tiled_img2img.repaint(loaded, hires_pass_request(request, enlarged, seed), tiles, hires_ctx)
    except Cancelled:
        if not hires_ctx.cancel.keep_partial:
            raise
        return enlarged, not_begun  # Stop and keep came as the pass began
    if repainted.flagged:
        info.extra["Safety checker"] = diffusion.SAFETY_FLAGGED
    return repainted.image, f"{repainted.stopped} of the hires pass" if repainted.stopped else ""


def enlarge(image: np.ndarray, width: int, height: int, upscaler: str, ctx: RunContext) -> np.ndarray:
    """``image`` enlarged to width×height by ``upscaler``: Lanczos, or a learned upscaler at its
    next scale above (2× or 4×) and then Lanczos down to the size asked for (as A1111 does)."""
    if upscaler == HIRES_LANCZOS:
        ctx.report(1, 1, "Lanczos")
        return resize(image, width, height)
    from genart_core.pipelines.upscale import upscale_array
    from genart_core.requests.upscale import SCALES

    scale = width / image.shape[1]
    network_scale = next((s for s in SCALES if s >= scale - 1e-6), SCALES[-1])
    enlarged = upscale_array(image, network_scale, upscaler, on_progress=ctx.on_progress, cancel=ctx.cancel, cache=ctx.cache)
    return enlarged if enlarged.shape[:2] == (height, width) else resize(enlarged, width, height)


def upscaler_label(upscaler: str) -> str:
    """The name A1111 writes in "Hires upscaler": a file's name without its folders (privacy)."""
    return "Lanczos" if upscaler == HIRES_LANCZOS else file_name_of(upscaler)


def _record(info: GenerationInfo, request: TextToImageRequest) -> None:
    """The base image's info becomes the hires picture's: A1111's hires fields and our whole request."""
    info.extra.update({
        "Denoising strength": request.hires_denoise,
        "Hires upscale": request.hires_scale,
        "Hires upscaler": upscaler_label(request.hires_upscaler),
    })
    info.request = request.to_dict()
