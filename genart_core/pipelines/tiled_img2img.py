"""Image-to-image for pictures larger than a Stable Diffusion model repaints in one pass.

Used by the hires fix's pass, by plain image-to-image (``generate``) when its working size is
past what the model takes in one pass, and by inpainting a large masked region (inpaint_region,
which passes only the tiles that hold some of the mask; each tile gets its part of the mask).

A model repaints up to ONE_PASS_SIDES × its native side in one pass (SD 1.5: 1024×1024 pixels,
SDXL: 2048×2048); attention memory and time grow with the square of the pixels, and far past its
training size a UNet repeats subjects. A larger picture is repainted in overlapping tiles of that
size, each with the same settings (tile k uses seed + k, so tiles do not share one noise
pattern), blended with smooth weights across the overlaps (genart_core.tiling) so no seam shows.
The preview shows the whole picture: tiles done so far over the starting picture, and the tile
being repainted as its latent preview.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from genart_core.api import Cancelled, GenerationInfo, Progress, Result
from genart_core.engine import Batch, RunContext
from genart_core.imaging import resize
from genart_core.phases import PhasedProgress
from genart_core.pipelines import diffusion
from genart_core.requests.diffusion import ImageToImageRequest, InpaintRequest
from genart_core.tiling import Tile, TileBlender, tile_grid

ONE_PASS_SIDES = 2  # the largest picture repainted in one pass: this many native sides a side
OVERLAP_FRACTION = 4  # tiles overlap by a quarter of the native side (SD 1.5: 128 pixels)
PROGRESS_PER_TILE = 1000  # the pass's progress counts each tile in this many parts


@dataclass
class Repainted:
    image: np.ndarray
    stopped: str = ""  # "k/N of tile t/T" (or "k/N") when Stop and keep ended it after step k
    flagged: bool = False  # the model's safety checker blacked out (part of) it
    info: GenerationInfo | None = None  # the first tile's (its settings are every tile's)


def denoising_steps(steps: int, strength: float) -> int:
    """How many steps image-to-image runs (diffusion.generate's rule: at least one, int(steps × strength))."""
    return int(max(steps, math.ceil(1 / strength - 1e-9)) * strength)


def native_side(loaded: diffusion.LoadedModel) -> int:
    """The side the model was trained at, in pixels (SD 1.5: 512, SDXL: 1024)."""
    pipe = loaded.base
    return int(pipe.unet.config.sample_size) * int(pipe.vae_scale_factor)


def plan(loaded: diffusion.LoadedModel, width: int, height: int) -> list[Tile]:
    """The tiles that repaint a width×height picture: one when the model takes it in one pass."""
    return plan_for(native_side(loaded), width, height)


def plan_for(native: int, width: int, height: int) -> list[Tile]:
    """plan() for a model of native side ``native`` pixels."""
    tile = native * ONE_PASS_SIDES
    if width <= tile and height <= tile:
        return [Tile(0, 0, height, width)]
    return tile_grid(height, width, tile, native // OVERLAP_FRACTION)


def repaint(loaded: diffusion.LoadedModel, request: ImageToImageRequest, tiles: list[Tile], ctx: RunContext) -> Repainted:
    """``request`` (count 1) run over its starting picture tile by tile; Stop and keep ends it
    after the current tile's step, keeping the tiles done (the rest shows the starting picture)."""
    start = request.init_image
    if len(tiles) == 1:
        result = diffusion.generate(loaded, request, ctx)
        return Repainted(result.images[0], stopped_step(result), _flagged(result), result.infos[0])
    height, width = start.shape[:2]
    overlap = native_side(loaded) // OVERLAP_FRACTION
    blender = TileBlender(height, width, scale=1, margin=0, overlap=overlap)
    base = start.astype(np.float32)
    mosaic = Mosaic(start)
    repainted = Repainted(start)
    not_begun = f"0/{denoising_steps(request.steps, request.strength)} of tile {{}}/{len(tiles)}"
    for index, tile in enumerate(tiles):
        if ctx.stop_requested():
            repainted.stopped = not_begun.format(index + 1)
            break
        where = np.s_[tile.top : tile.top + tile.height, tile.left : tile.left + tile.width]
        tile_request = dataclasses.replace(request, init_image=np.ascontiguousarray(start[where]), width=tile.width, height=tile.height, seed=request.seed + index)
        if isinstance(request, InpaintRequest):  # inpainting in tiles (inpaint_region): each tile gets its part of the mask
            tile_request = dataclasses.replace(tile_request, mask=np.ascontiguousarray(request.mask[where]))
        try:
            result = diffusion.generate(loaded, tile_request, _tile_context(ctx, mosaic, tile, index, len(tiles)))
        except Cancelled:
            if not ctx.cancel.keep_partial:
                raise
            repainted.stopped = not_begun.format(index + 1)  # Stop and keep came just as this tile began
            break
        blender.add(tile, result.images[0].astype(np.float32))
        repainted.info = repainted.info or result.infos[0]
        mosaic.update(blender.blend_over(base, mosaic.step))
        repainted.flagged |= _flagged(result)
        if result.stopped:
            repainted.stopped = f"{stopped_step(result)} of tile {index + 1}/{len(tiles)}"
            break
    repainted.image = np.clip(blender.blend_over(base) + 0.5, 0, 255).astype(np.uint8)
    return repainted


REPAINT = "Repainting in tiles"  # the phase of plain image-to-image in tiles


def generate(loaded: diffusion.LoadedModel, request: ImageToImageRequest, ctx: RunContext) -> Result:
    """Plain image-to-image whose working size is past one pass: request.count pictures (seeds
    seed, seed+1, …), each repainted in tiles, then brought back to the starting picture's size
    as diffusion.generate does."""
    original = diffusion.init_image(request)
    width, height = diffusion.working_size(request)
    start = resize(original, width, height)
    tiles = plan(loaded, width, height)
    bar = PhasedProgress(ctx, {REPAINT: len(tiles)}, request.count)
    batch = Batch(ctx, request.count, request.seed)
    for index, seed in batch:
        one = dataclasses.replace(request, init_image=start, width=width, height=height, seed=seed, count=1)
        repainted = repaint(loaded, one, tiles, bar.context(REPAINT, index))
        if repainted.info is None:  # Stop and keep came before this picture's first tile
            batch.stop_before_next()
            break
        image = resize(repainted.image, original.shape[1], original.shape[0])
        batch.images.append(image)
        batch.infos.append(picture_info(repainted, request, seed, image, {"Tiles": len(tiles)}))
        if repainted.stopped:
            batch.stop_at(index, repainted.stopped)
            break
    return diffusion.batch_result(loaded, batch)


def picture_info(repainted: Repainted, request: ImageToImageRequest, seed: int, image: np.ndarray, fields: dict) -> GenerationInfo:
    """The info of a finished ``image`` that repaint() made: its first tile's settings with the
    picture's seed, size and request, and ``fields`` added. The tile's own "Stopped at step" is left
    out (Batch.stop_at says where in the picture); a safety checker's flag on any tile is kept."""
    extra = {**repainted.info.extra, **fields}
    extra.pop("Stopped at step", None)
    if repainted.flagged:
        extra["Safety checker"] = diffusion.SAFETY_FLAGGED
    height, width = image.shape[:2]
    return dataclasses.replace(repainted.info, seed=seed, width=width, height=height, extra=extra, request=request.to_dict())


def stopped_step(result) -> str:
    """"k/N" when Stop and keep ended ``result``'s (one) image after step k of N, else ""."""
    return str(result.infos[0].extra.get("Stopped at step", "")) if result.stopped else ""


def _flagged(result) -> bool:
    return any(info.extra.get("Safety checker") == diffusion.SAFETY_FLAGGED for info in result.infos)


PREVIEW_SIDE = 256  # pixels; the longer side of the whole-picture preview


class Mosaic:
    """The preview of a tiled pass: the picture so far, small, with the current tile's latent preview on it."""

    def __init__(self, start: np.ndarray) -> None:
        height, width = start.shape[:2]
        self.step = max(1, max(height, width) // PREVIEW_SIDE)
        self.picture = np.ascontiguousarray(start[:: self.step, :: self.step, :3])

    def update(self, blended: np.ndarray) -> None:
        self.picture = np.clip(blended + 0.5, 0, 255).astype(np.uint8)

    def with_tile(self, tile: Tile, preview: np.ndarray) -> np.ndarray:
        s = self.step
        top, left = -(-tile.top // s), -(-tile.left // s)  # the first sampled row and column inside the tile
        rows = len(range(top * s, tile.top + tile.height, s))
        columns = len(range(left * s, tile.left + tile.width, s))
        shown = self.picture.copy()
        if rows and columns:  # a region narrower than the preview's pixel step has nothing to show
            shown[top : top + rows, left : left + columns] = resize(preview[:, :, :3], columns, rows)
        return shown


def _tile_context(ctx: RunContext, mosaic: Mosaic, tile: Tile, index: int, count: int) -> RunContext:
    """A RunContext for one tile: its steps advance the pass's bar by one tile's share; its
    previews are shown in place on the whole picture."""

    def report(progress: Progress) -> None:
        step = index * PROGRESS_PER_TILE + int(PROGRESS_PER_TILE * progress.fraction)
        preview = None if progress.preview is None else mosaic.with_tile(tile, progress.preview)
        ctx.on_progress(Progress(step, count * PROGRESS_PER_TILE, f"tile {index + 1}/{count}: {progress.phase}", preview, progress.extras))

    return RunContext(ctx.engine, report, ctx.cancel)
