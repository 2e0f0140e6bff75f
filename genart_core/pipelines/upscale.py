"""Enlarging a picture 2× or 4× with a learned upscaler, tile by tile (UpscaleRequest, and upscale_array for other pipelines).

Our models come in families (genart-sr: a 2× and a 4× network), and the one made for the asked
scale runs. Otherwise a network that enlarges s× runs as often as it takes to reach the asked
scale (a 2× network twice for 4×; a 4× network once for 2×, then a Lanczos reduction). Tiles overlap and are
blended with feathered weights (genart_core.tiling), so memory for the network stays bounded
and there are no seams. Progress comes per tile with a small preview; Cancel is checked between
tiles, and Stop & Keep returns the tiles made so far blended over a Lanczos enlargement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from genart_core.api import CancelToken, GenArtError, GenerationInfo, Progress, ProgressCallback, Result
from genart_core.engine import ModelCache
from genart_core.image_limits import MAX_PIXELS
from genart_core.imaging import resize, to_rgb
from genart_core.requests.upscale import DEFAULT_TILE, DEFAULT_UPSCALER, SCALES, UpscaleRequest
from genart_core.tiling import TileBlender, tile_grid
from genart_core.upscalers import Upscaler, load, resolve

PREVIEW_SIDE = 256
MIN_TILE, MAX_TILE = 32, 2048


@dataclass
class Upscaled:
    image: np.ndarray  # uint8 H×W×3, or ×4 when the input had alpha
    upscaler: str
    tiles_done: int
    tiles_total: int

    @property
    def stopped(self) -> bool:
        return self.tiles_done < self.tiles_total


def check_settings(image: np.ndarray | None, scale: int, detail: float, tile: int) -> None:
    """Refuse what cannot be done, with a message a person can act on, before any work."""
    if image is None or image.dtype != np.uint8 or image.ndim not in (2, 3) or min(image.shape[:2]) < 1:
        raise GenArtError("Give the upscaler a picture (8-bit greyscale, RGB or RGBA).")
    if scale not in SCALES:
        raise GenArtError(f"The upscaler enlarges {' or '.join(f'{s}×' for s in SCALES)}, not {scale}×.")
    if not 0.0 <= detail <= 1.0:
        raise GenArtError(f"Detail goes from 0 (a plain Lanczos enlargement) to 1 (all the network's detail), not {detail}.")
    if not MIN_TILE <= tile <= MAX_TILE:
        raise GenArtError(f"Tiles must be {MIN_TILE} to {MAX_TILE} pixels, not {tile}.")
    height, width = image.shape[:2]
    if height * width * scale * scale > MAX_PIXELS:
        raise GenArtError(
            f"{width}×{height} enlarged {scale}× would be {width * scale}×{height * scale} pixels, more than the "
            f"{MAX_PIXELS / 1e6:g} megapixels a picture may have. Upscale a selection, or 2× instead of 4×."
        )


def load_upscaler(model: str, cache: ModelCache | None = None, scale: int | None = None) -> Upscaler:
    """The upscaler ``model`` names, for enlarging ``scale``× (see upscalers.resolve)."""
    spec = resolve(model, scale)
    if cache is None:
        return load(spec)
    return cache.get_or_load(("upscaler", spec.kind, spec.location), lambda: load(spec))


def _passes(network_scale: int, scale: int) -> int:
    return max(1, math.ceil(math.log(scale) / math.log(network_scale) - 1e-9))


def _lanczos_float(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    return resize(rgb, width, height).astype(np.float32) / 255.0


class _TileRunner:
    """Runs one upscaler over pictures tile by tile, counting tiles across passes for progress."""

    def __init__(self, upscaler: Upscaler, tile: int, on_progress: ProgressCallback, cancel: CancelToken) -> None:
        self.upscaler, self.tile = upscaler, tile
        self.overlap = 2 * upscaler.margin + max(8, upscaler.margin)
        if tile <= self.overlap + 8:
            raise GenArtError(f"Tiles of {tile} pixels are too small for {upscaler.name}; use at least {self.overlap + 16}.")
        self.on_progress, self.cancel = on_progress, cancel
        self.done, self.total = 0, 0  # tiles, over every pass
        self.stopped = False  # Stop & Keep came: the tiles left are not made

    def tiles_for(self, height: int, width: int) -> int:
        return len(tile_grid(height, width, self.tile, self.overlap))

    @torch.inference_mode()
    def run(self, rgb: np.ndarray, phase: str, base: np.ndarray | None = None) -> np.ndarray:
        """float H×W×3 in [0, 1] -> the network's enlargement (float, s·H×s·W×3); on Stop & Keep,
        the tiles done so far over ``base`` (a Lanczos enlargement, made here if not given), and
        self.stopped is set."""
        height, width = rgb.shape[:2]
        s = self.upscaler.scale
        if base is None:
            base = _lanczos_float((rgb * 255).round().astype(np.uint8), width * s, height * s)
        blender = TileBlender(height, width, s, self.upscaler.margin, self.overlap)
        preview_step = max(1, math.ceil(max(height, width) * s / PREVIEW_SIDE))
        for tile in tile_grid(height, width, self.tile, self.overlap):
            if self.done and self.cancel.stop_requested():
                self.stopped = True
                return blender.blend_over(base)
            self.cancel.raise_if_cancelled()  # nothing to keep before the first tile
            crop = rgb[tile.top:tile.top + tile.height, tile.left:tile.left + tile.width]
            pixels = torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1)[None].to(self.upscaler.device)
            output = self.upscaler.forward(pixels)[0].clamp(0, 1).permute(1, 2, 0).float().cpu().numpy()
            blender.add(tile, output)
            self.done += 1
            preview = (blender.blend_over(base, preview_step).clip(0, 1) * 255).round().astype(np.uint8)
            self.on_progress(Progress(self.done, self.total, phase, preview))
        return blender.blend_over(base)


def upscale(
    image: np.ndarray, scale: int = 2, model: str = DEFAULT_UPSCALER, detail: float = 1.0,
    on_progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
    tile: int = DEFAULT_TILE, cache: ModelCache | None = None,
) -> Upscaled:
    """The enlarged picture with how it was made (see upscale_array)."""
    check_settings(image, scale, detail, tile)
    cancel = cancel or CancelToken()
    report = on_progress or (lambda progress: None)
    height, width = image.shape[:2]
    rgb8 = to_rgb(image[:, :, :3] if image.ndim == 3 and image.shape[2] == 4 else image)
    lanczos = _lanczos_float(rgb8, width * scale, height * scale)
    if detail == 0.0:  # nothing of the network would show: skip it
        return Upscaled(_finish(image, lanczos), "Lanczos", 0, 0)
    report(Progress(0, 1, "Loading the upscaler"))
    upscaler = load_upscaler(model, cache, scale)
    passes = _passes(upscaler.scale, scale)
    sizes = [(height * upscaler.scale**i, width * upscaler.scale**i) for i in range(passes)]
    runner = _TileRunner(upscaler, tile, report, cancel)
    runner.total = sum(runner.tiles_for(h, w) for h, w in sizes)
    picture = rgb8.astype(np.float32) / 255.0
    for index in range(passes):
        phase = "Upscaling" if passes == 1 else f"Upscaling, pass {index + 1}/{passes}"
        # When the network's scale is the one asked, the final Lanczos enlargement is this pass's base too.
        picture = runner.run(picture, phase, lanczos if upscaler.scale == scale else None)
        if runner.stopped:
            break  # Stop & Keep: the rest is Lanczos
    if picture.shape[:2] != lanczos.shape[:2]:
        picture = _lanczos_float((picture.clip(0, 1) * 255).round().astype(np.uint8), width * scale, height * scale)
    enlarged = lanczos + detail * (picture - lanczos)
    return Upscaled(_finish(image, enlarged), upscaler.name, runner.done, runner.total)


def _finish(image: np.ndarray, enlarged: np.ndarray) -> np.ndarray:
    """uint8 RGB, with the input's alpha (enlarged by Lanczos) put back."""
    rgb = (enlarged.clip(0, 1) * 255).round().astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 4:
        alpha = resize(np.ascontiguousarray(image[:, :, 3]), rgb.shape[1], rgb.shape[0])
        return np.dstack([rgb, alpha])
    return rgb


def upscale_array(
    image: np.ndarray, scale: int = 2, model: str = DEFAULT_UPSCALER, detail: float = 1.0,
    on_progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
    tile: int = DEFAULT_TILE, cache: ModelCache | None = None,
) -> np.ndarray:
    """``image`` (uint8 H×W, H×W×3 or H×W×4) enlarged ``scale``× (2 or 4) by ``model`` (see
    UpscaleRequest); ``detail`` 0 is a plain Lanczos enlargement, 1 the network's output. For
    other pipelines (hires fix, GAN/VAE enlargements): pass ctx.cache to keep the network loaded.
    Cancel raises Cancelled; Stop & Keep returns the tiles made so far over a Lanczos enlargement."""
    return upscale(image, scale, model, detail, on_progress, cancel, tile, cache).image


def run(request: UpscaleRequest, ctx) -> Result:
    if not isinstance(request, UpscaleRequest):
        raise TypeError(f"The upscale pipeline cannot run {type(request).__name__}")
    made = upscale(request.image, request.scale, request.model, request.detail, ctx.on_progress, ctx.cancel, request.tile, ctx.cache)
    image = made.image
    info = GenerationInfo(
        width=image.shape[1], height=image.shape[0], model=made.upscaler, request=request.to_dict(),
        extra={"Upscale": request.scale, "Upscaler": made.upscaler, "Detail": request.detail, "Tile": request.tile},
    )
    stopped = ""
    if made.stopped:
        stopped = f"at tile {made.tiles_done}/{made.tiles_total}"
        info.extra["Stopped at tile"] = f"{made.tiles_done}/{made.tiles_total}"
    return Result([image], [info], stopped=stopped)
