"""Inpainting a picture larger than the model repaints in one pass: only the region around the mask.

A1111's "Inpaint area: Only masked", in our shape. Repainting a 2048×1536 photo whole to change a
small patch of it is slow, takes a lot of memory, is far past the size an SD 1.5 UNet draws well,
and softens every pixel it resamples. Instead the mask's bounding box, grown by the request's
``mask_padding`` (the context the model sees around the hole), is cut out of the full-resolution
picture and repainted on its own:

- a region up to the model's one-pass size is repainted in one pass, enlarged first to the
  model's native side where it is smaller (a small patch then gets the detail the model draws at
  its own size, and is shrunk back);
- a larger region is repainted at the picture's own scale in overlapping tiles (tiled_img2img),
  only the tiles that hold some of the mask, blended by tiling's TileBlender.

The repainted region is pasted back through the mask, feathered inwards from its edge so no seam
shows: every pixel outside the mask stays exactly the user's. Pictures up to one pass keep
diffusion.generate's one-pass path, pasted back through the mask the same way (keep_outside_mask).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from genart_core.api import Progress, Result
from genart_core.engine import Batch, RunContext
from genart_core.imaging import resize, to_pil
from genart_core.phases import PhasedProgress
from genart_core.pipelines import diffusion, tiled_img2img
from genart_core.requests.diffusion import InpaintRequest
from genart_core.tiling import Tile

MASK_FEATHER = 8  # picture pixels: the repainted region fades in over this far inside the mask's edge
REPAINT = "Inpainting the masked area"  # the job's phase


@dataclass(frozen=True)
class RegionPlan:
    box: Tile  # the part of the picture repainted (picture pixels)
    width: int  # the size the model repaints it at: larger than the box when a small region is enlarged
    height: int
    tiles: tuple[Tile, ...]  # in box pixels: one covering the box (one pass), or those of the tiles that hold mask

    @property
    def tiled(self) -> bool:
        return len(self.tiles) > 1


def applies(loaded: diffusion.LoadedModel, request: InpaintRequest) -> bool:
    """True when ``request``'s picture is larger than the model repaints in one pass."""
    height, width = diffusion.init_image(request).shape[:2]
    return len(tiled_img2img.plan(loaded, width, height)) > 1


def plan_region(mask: np.ndarray, padding: int, native: int) -> RegionPlan:
    """Where and at what size a model of native side ``native`` repaints the boolean ``mask``."""
    box = _padded_box(mask, padding)
    tiles = tiled_img2img.plan_for(native, box.width, box.height)
    if len(tiles) > 1:
        in_box = mask[box.top : box.top + box.height, box.left : box.left + box.width]
        tiles = [tile for tile in tiles if in_box[tile.top : tile.top + tile.height, tile.left : tile.left + tile.width].any()]
        if len(tiles) > 1:
            return RegionPlan(box, box.width, box.height, tuple(tiles))
        # The padding made the box larger than one pass but one tile holds the whole mask.
        box = Tile(box.top + tiles[0].top, box.left + tiles[0].left, tiles[0].height, tiles[0].width)
    scale = max(1.0, native / max(box.width, box.height))
    width, height = max(1, round(box.width * scale)), max(1, round(box.height * scale))
    return RegionPlan(box, width, height, (Tile(0, 0, height, width),))


def _padded_box(mask: np.ndarray, padding: int) -> Tile:
    """The mask's bounding box grown by ``padding`` within the picture, then widened to at least
    half its length across: a thin stroke still gets context on both sides."""
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    height, width = mask.shape
    top, bottom = max(0, rows[0] - padding), min(height, rows[-1] + 1 + padding)
    left, right = max(0, columns[0] - padding), min(width, columns[-1] + 1 + padding)
    across = max(bottom - top, right - left) // 2
    top, bottom = _widen(top, bottom, across, height)
    left, right = _widen(left, right, across, width)
    return Tile(int(top), int(left), int(bottom - top), int(right - left))


def _widen(start: int, end: int, wanted: int, limit: int) -> tuple[int, int]:
    """[start, end) grown evenly to at least ``wanted`` long, moved to stay within [0, limit)."""
    extra = max(0, min(wanted, limit) - (end - start))
    start, end = start - extra // 2, end + extra - extra // 2
    shift = max(0, -start) - max(0, end - limit)
    return start + shift, end + shift


def feathered(mask: np.ndarray, open_sides: tuple[bool, bool, bool, bool]) -> np.ndarray:
    """Float weights of a boolean mask crop: 0 outside the mask, rising smoothly to 1 over
    MASK_FEATHER pixels inside it. ``open_sides`` (top, bottom, left, right): the crop's sides
    that lie on the picture's own border, where the mask runs on and nothing fades."""
    from scipy import ndimage  # a dependency already (the canvas's fill tool)

    top, bottom, left, right = open_sides
    framed = np.pad(mask, 1, constant_values=((top, bottom), (left, right)))
    inside = ndimage.distance_transform_edt(framed)[1:-1, 1:-1]  # to the nearest pixel left alone
    feather = min(MASK_FEATHER, max(1.0, inside.max() / 2))  # a thin stroke is repainted whole at its middle
    position = np.clip(inside / feather, 0.0, 1.0)
    return (0.5 - 0.5 * np.cos(np.pi * position)).astype(np.float32) * mask


def paste(original: np.ndarray, box: Tile, repainted: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``original`` with ``repainted`` (the box's size) blended in by ``weights``; where a weight is
    0 the original pixel is kept exactly."""
    where = np.s_[box.top : box.top + box.height, box.left : box.left + box.width]
    picture = original.copy()
    region = original[where].astype(np.float32)
    blended = region + (repainted.astype(np.float32) - region) * weights[:, :, None]
    picture[where] = np.where(weights[:, :, None] > 0, np.clip(blended + 0.5, 0, 255).astype(np.uint8), original[where])
    return picture


def generate(loaded: diffusion.LoadedModel, request: InpaintRequest, ctx: RunContext) -> Result:
    """request.count pictures (seeds seed, seed+1, …), each the full-size picture with the region
    around its mask repainted; one progress bar, previews of the whole picture."""
    original = diffusion.init_image(request)
    mask = diffusion.inpaint_mask(request)
    region = plan_region(mask, request.mask_padding, tiled_img2img.native_side(loaded))
    box = region.box
    where = np.s_[box.top : box.top + box.height, box.left : box.left + box.width]
    crop, mask_crop = original[where], mask[where]
    height, width = original.shape[:2]
    weights = feathered(mask_crop, (box.top == 0, box.top + box.height == height, box.left == 0, box.left + box.width == width))
    start, start_mask = crop, np.where(mask_crop, 255, 0).astype(np.uint8)
    if (region.width, region.height) != (box.width, box.height):
        start = resize(crop, region.width, region.height)
        start_mask = np.asarray(to_pil(start_mask).resize((region.width, region.height), resample=0))  # nearest: stays binary
    bar = PhasedProgress(ctx, {REPAINT: len(region.tiles) * tiled_img2img.PROGRESS_PER_TILE}, request.count)
    whole = tiled_img2img.Mosaic(original)
    batch = Batch(ctx, request.count, request.seed)
    for index, seed in batch:
        one = dataclasses.replace(request, init_image=start, mask=start_mask, width=region.width, height=region.height, seed=seed, count=1)
        repainted = tiled_img2img.repaint(loaded, one, list(region.tiles), _in_place(bar.context(REPAINT, index), whole, box))
        if repainted.info is None:  # Stop and keep came before this picture's first tile
            batch.stop_before_next()
            break
        patch = repainted.image
        if patch.shape[:2] != (box.height, box.width):
            patch = resize(patch, box.width, box.height)
        picture = paste(original, box, patch, weights)
        batch.images.append(picture)
        fields = {"Inpaint area": "Only masked", "Masked area padding": request.mask_padding}
        if region.tiled:
            fields["Tiles"] = len(region.tiles)
        batch.infos.append(tiled_img2img.picture_info(repainted, request, seed, picture, fields))
        if repainted.stopped:
            batch.stop_at(index, repainted.stopped)
            break
    return diffusion.batch_result(loaded, batch)


def keep_outside_mask(result: Result, request: InpaintRequest) -> Result:
    """The one-pass path's pictures with every pixel outside the mask put back as the user's.

    diffusers returns the whole picture through the VAE (and resized back from the working size),
    which softens and shifts pixels the user never masked; A1111 pastes its inpainting back over
    the original the same way."""
    original = diffusion.init_image(request)
    mask = diffusion.inpaint_mask(request)
    height, width = original.shape[:2]
    weights = feathered(mask, (True, True, True, True))  # the mask runs on past the picture's border
    whole = Tile(0, 0, height, width)
    return dataclasses.replace(result, images=[paste(original, whole, image, weights) for image in result.images])


def _in_place(ctx: RunContext, whole: tiled_img2img.Mosaic, box: Tile) -> RunContext:
    """A RunContext whose previews (of the region) are shown in place on the whole picture."""

    def report(progress: Progress) -> None:
        preview = None if progress.preview is None else whole.with_tile(box, progress.preview)
        ctx.on_progress(Progress(progress.step, progress.total, progress.phase, preview, progress.extras))

    return RunContext(ctx.engine, report, ctx.cancel)
