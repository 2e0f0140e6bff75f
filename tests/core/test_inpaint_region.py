"""Inpainting only the region around the mask, with the tiny Stable Diffusion of test_diffusion.

The tiny model's native side is 64 px and it repaints up to 128×128 in one pass, so a 256×192
picture is "larger than one pass" and is inpainted around its mask; 128×128 is not.
What the pipeline is asked to repaint is read from the real diffusers inpainting pipeline's own
call (its class's __call__ wrapped, the real one still running).
"""

from __future__ import annotations

import numpy as np
import pytest

from genart_core.api import Cancelled, CancelToken, GenArtError, Progress
from genart_core.artwork import format_parameters
from genart_core.engine import Engine
from genart_core.pipelines import inpaint_region
from genart_core.requests.diffusion import InpaintRequest
from genart_core.server import protocol
from genart_core.tiling import Tile
from tests.core.test_diffusion import SIZE
from tests.images import gradient

NATIVE = SIZE  # the tiny model's native side
WIDTH, HEIGHT = 256, 192


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


@pytest.fixture
def pipeline_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(image size, mask size) of each call of the real inpainting pipeline."""
    from diffusers import StableDiffusionInpaintPipeline

    calls = []
    real_call = StableDiffusionInpaintPipeline.__call__

    def recording_call(self, *args, **kwargs):
        calls.append((kwargs["image"].size, kwargs["mask_image"].size))
        return real_call(self, *args, **kwargs)

    monkeypatch.setattr(StableDiffusionInpaintPipeline, "__call__", recording_call)
    return calls


def _small_mask(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    mask[100:116, 150:166] = 255
    return mask


def _inpaint(model: str, init: np.ndarray, mask: np.ndarray, **changes) -> InpaintRequest:
    values = dict(prompt="a cat", model=model, steps=3, guidance=3.0, seed=5, init_image=init, mask=mask, mask_padding=8)
    return InpaintRequest(**{**values, **changes})


def test_a_small_mask_on_a_large_picture_is_repainted_alone_at_the_models_size(tiny_sd: str, engine: Engine, pipeline_calls) -> None:
    init, mask = gradient(WIDTH, HEIGHT), _small_mask()
    reports: list[Progress] = []
    result = engine.run(_inpaint(tiny_sd, init, mask), reports.append)

    # The region (a 16×16 mask + 8 px padding = 32×32) went to the pipeline, enlarged to the native side.
    assert pipeline_calls == [((64, 64), (64, 64))]
    image = result.images[0]
    assert image.shape == (HEIGHT, WIDTH, 3)
    assert np.array_equal(image[mask == 0], init[mask == 0])  # outside the mask: exactly the user's pixels
    assert np.abs(image[mask > 0].astype(int) - init[mask > 0]).mean() > 10  # inside: repainted
    info = result.infos[0]
    assert (info.width, info.height, info.seed) == (WIDTH, HEIGHT, 5)
    assert info.extra["Inpaint area"] == "Only masked" and info.extra["Masked area padding"] == 8 and "Tiles" not in info.extra
    assert "Inpaint area: Only masked, Masked area padding: 8" in format_parameters(info)
    assert info.request["mask_padding"] == 8
    # One bar, never backwards; previews show the whole picture.
    job = [r for r in reports if r.phase.startswith(inpaint_region.REPAINT)]
    assert len({r.total for r in job}) == 1 and [r.step for r in job] == sorted(r.step for r in job) and job[-1].step == job[-1].total
    previews = [r.preview for r in job if r.preview is not None]
    assert previews and all(p.shape == (HEIGHT, WIDTH, 3) for p in previews)
    assert np.array_equal(previews[0][:90], init[:90])  # the picture around the region is shown as it is


def test_inpainting_a_region_is_reproducible_from_its_seed(tiny_sd: str, engine: Engine) -> None:
    init, mask = gradient(WIDTH, HEIGHT), _small_mask()
    batch = engine.run(_inpaint(tiny_sd, init, mask, count=2))
    assert [info.seed for info in batch.infos] == [5, 6] and not np.array_equal(*batch.images)
    again = engine.run(_inpaint(tiny_sd, init, mask, seed=6))
    assert np.array_equal(again.images[0], batch.images[1])  # Reproduce of the second picture remakes it


def test_stop_and_keep_keeps_the_region_so_far_pasted_into_the_picture(tiny_sd: str, engine: Engine) -> None:
    init, mask = gradient(WIDTH, HEIGHT), _small_mask()
    token = CancelToken()

    def stop_at_first_preview(progress: Progress) -> None:
        if progress.preview is not None:
            token.stop_and_keep()

    result = engine.run(_inpaint(tiny_sd, init, mask), stop_at_first_preview, token)
    assert result.stopped == "at step 2/3"
    assert result.infos[0].extra["Stopped at step"] == "2/3" and result.infos[0].extra["Inpaint area"] == "Only masked"
    image = result.images[0]
    assert image.shape == (HEIGHT, WIDTH, 3) and np.array_equal(image[mask == 0], init[mask == 0])
    assert not np.array_equal(image, engine.run(_inpaint(tiny_sd, init, mask)).images[0])


def test_cancel_while_the_region_is_repainted_ends_the_job(tiny_sd: str, engine: Engine) -> None:
    token, reports = CancelToken(), []

    def cancel_at_first_preview(progress: Progress) -> None:
        reports.append(progress)
        if progress.preview is not None:
            token.cancel()

    with pytest.raises(Cancelled):
        engine.run(_inpaint(tiny_sd, gradient(WIDTH, HEIGHT), _small_mask(), steps=10), cancel_at_first_preview, token)
    assert sum(r.preview is not None for r in reports) == 1  # no step after the one it came in


def test_a_mask_larger_than_one_pass_is_repainted_in_the_tiles_that_hold_it(tiny_sd: str, engine: Engine, pipeline_calls) -> None:
    side = 384
    init = gradient(side, side)
    mask = np.zeros((side, side), np.uint8)
    mask[20:40, 20:40] = mask[340:360, 340:360] = 255  # two corners: the box spans nearly the whole picture
    region = inpaint_region.plan_region(mask > 0, 8, NATIVE)
    assert region.box == Tile(12, 12, 356, 356) and len(region.tiles) == 2  # of a 4×4 grid

    reports: list[Progress] = []
    result = engine.run(_inpaint(tiny_sd, init, mask), reports.append)
    assert pipeline_calls == [((tile.width, tile.height),) * 2 for tile in region.tiles]
    assert all(max(size) <= 2 * NATIVE for size, _ in pipeline_calls)
    image = result.images[0]
    assert np.array_equal(image[mask == 0], init[mask == 0])
    assert all(np.abs(image[s].astype(int) - init[s]).mean() > 10 for s in (np.s_[20:40, 20:40], np.s_[340:360, 340:360]))
    assert result.infos[0].extra["Tiles"] == 2
    assert any("tile 2/2" in r.phase for r in reports)
    assert all(r.preview.shape == (side, side, 3) for r in reports if r.preview is not None)


def test_stop_and_keep_in_the_first_tile_keeps_that_tile_only(tiny_sd: str, engine: Engine) -> None:
    side = 384
    init = gradient(side, side)
    mask = np.zeros((side, side), np.uint8)
    mask[20:40, 20:40] = mask[340:360, 340:360] = 255
    token = CancelToken()

    def stop_in_tile_1(progress: Progress) -> None:
        if "tile 1/2" in progress.phase and progress.preview is not None:
            token.stop_and_keep()

    result = engine.run(_inpaint(tiny_sd, init, mask), stop_in_tile_1, token)
    assert result.stopped == "at step 2/3 of tile 1/2"
    image = result.images[0]
    assert not np.array_equal(image[20:40, 20:40], init[20:40, 20:40])
    assert np.array_equal(image[300:, 300:], init[300:, 300:])  # tile 2 never repainted


def test_a_picture_within_one_pass_is_inpainted_in_one_pass_and_keeps_the_pixels_outside_its_mask(tiny_sd: str, engine: Engine, pipeline_calls) -> None:
    side = 2 * NATIVE
    mask = np.zeros((side, side), np.uint8)
    mask[:10, :10] = 255
    result = engine.run(_inpaint(tiny_sd, gradient(side, side), mask))
    assert pipeline_calls == [((side, side), (side, side))]
    assert "Inpaint area" not in result.infos[0].extra
    # The pipeline returns the whole picture through its VAE; only the masked corner may differ.
    changed = np.any(result.images[0] != gradient(side, side), axis=-1)
    assert changed[:10, :10].any() and not changed[mask == 0].any()


def test_the_region_is_the_padded_mask_widened_for_context_and_kept_in_the_picture() -> None:
    mask = np.zeros((HEIGHT, WIDTH), bool)
    mask[100:112, 150:166] = True
    assert inpaint_region.plan_region(mask, 8, NATIVE) == inpaint_region.RegionPlan(Tile(92, 142, 28, 32), 64, 56, (Tile(0, 0, 56, 64),))
    stroke = np.zeros((HEIGHT, WIDTH), bool)
    stroke[2, 60:160] = True  # a thin line at the top: widened to half its length across, moved inside the picture
    box = inpaint_region.plan_region(stroke, 4, NATIVE).box
    assert (box.top, box.height, box.left, box.width) == (0, 54, 56, 108)
    # A region between the native size and one pass is repainted at the picture's own scale.
    mask[40:140, 40:140] = True
    region = inpaint_region.plan_region(mask, 0, NATIVE)
    assert (region.width, region.height) == (region.box.width, region.box.height) == (126, 100)


def test_the_paste_weights_are_zero_outside_the_mask_and_fade_in_only_at_its_inner_edge() -> None:
    mask = np.zeros((60, 60), bool)
    mask[10:50, 0:50] = True  # touches the crop's left side
    inner = inpaint_region.feathered(mask, (False, False, False, False))
    assert (inner[~mask] == 0).all() and inner[30, 25] == 1.0
    assert 0 < inner[10, 25] < 0.1 and 0 < inner[30, 0] < 0.1  # fades at every edge of the mask…
    on_border = inpaint_region.feathered(mask, (False, False, True, False))
    assert on_border[30, 0] == 1.0  # …except on the picture's own border, where nothing is outside


def test_the_padding_is_checked_and_travels_with_the_request(tiny_sd: str, engine: Engine) -> None:
    init, mask = gradient(WIDTH, HEIGHT), _small_mask()
    with pytest.raises(GenArtError, match="padding"):
        engine.run(_inpaint(tiny_sd, init, mask, mask_padding=-1))
    request = _inpaint(tiny_sd, init, mask, mask_padding=48)
    sent = protocol.decode_request(protocol.encode_request(request), protocol.Limits())
    assert sent == request and sent.mask_padding == 48
    assert InpaintRequest().mask_padding == 32  # A1111's default


def test_the_cli_inpaints_a_large_picture_around_its_mask(tiny_sd: str, tmp_path) -> None:
    from genart_core.artwork import read_generation_info, save_artwork
    from genart_core.cli import main
    from genart_core.imaging import load_image

    init, mask = gradient(WIDTH, HEIGHT), _small_mask()
    save_artwork(tmp_path / "init.png", init, None)
    save_artwork(tmp_path / "mask.png", np.repeat(mask[:, :, None], 3, axis=2), None)
    out = tmp_path / "out.png"
    arguments = ["generate", "a cat", "--model", tiny_sd, "--steps", "2", "--init", str(tmp_path / "init.png"), "--mask", str(tmp_path / "mask.png")]
    assert main([*arguments, "--mask-padding", "12", "-o", str(out)]) == 0
    image = load_image(out)
    assert image.shape == (HEIGHT, WIDTH, 3) and np.array_equal(image[mask == 0], init[mask == 0])
    assert read_generation_info(out).extra["Masked area padding"] == 12
