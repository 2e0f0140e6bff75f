"""Hires fix and tiled image-to-image with the tiny Stable Diffusion of test_diffusion (native 64 px).

The tiny model repaints up to 128×128 in one pass (ONE_PASS_SIDES native sides), so scale 2 is
one hires pass and scale 4 (256×256) goes in overlapping tiles.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from genart_core.api import Cancelled, CancelToken, GenArtError, Progress
from genart_core.artwork import format_parameters, parse_parameters, read_generation_info, save_artwork
from genart_core.engine import Engine
from genart_core.cli import main
from genart_core.imaging import load_image, resize
from genart_core.pipelines import hires_fix
from genart_core.requests.diffusion import DEFAULT_OFFLINE_MODEL, ImageToImageRequest, TextToImageRequest
from genart_core.server import protocol
from tests.core.test_diffusion import SIZE
from tests.core.test_diffusion import _request as text_to_image
from tests.core.test_upscale import save_tiny_sr
from tests.images import gradient


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


HIRES = dict(steps=3, hires_scale=2.0, hires_denoise=0.5, hires_upscaler="lanczos")


def _request(model: str = "", **changes) -> TextToImageRequest:
    return text_to_image(model, **{**HIRES, **changes})


def _phases(reports: list[Progress]) -> list[str]:
    """The phase names in the order they came, each once."""
    names: list[str] = []
    for report in reports:
        name = report.phase.split(" — ")[0]
        if not names or names[-1] != name:
            names.append(name)
    return names


def test_hires_fix_makes_the_enlarged_picture_in_one_job_with_one_progress_bar(tiny_sd: str, engine: Engine) -> None:
    reports: list[Progress] = []
    result = engine.run(_request(tiny_sd), reports.append)

    assert [image.shape for image in result.images] == [(2 * SIZE, 2 * SIZE, 3)]
    job = [r for r in reports if not r.phase.startswith("Loading")]
    assert _phases(job) == ["Base image", "Upscaling", "Hires pass"]
    assert len({r.total for r in job}) == 1  # one bar for the whole job
    steps = [r.step for r in job]
    assert steps == sorted(steps) and steps[-1] == job[-1].total
    previews = {r.phase.split(" — ")[0]: r.preview.shape for r in job if r.preview is not None}
    assert previews == {"Base image": (SIZE // 4, SIZE // 4, 3), "Hires pass": (SIZE // 2, SIZE // 2, 3)}


def test_hires_fix_is_reproducible_and_repaints_the_enlargement(tiny_sd: str, engine: Engine) -> None:
    request = _request(tiny_sd)
    first, again = engine.run(request).images[0], engine.run(request).images[0]
    assert np.array_equal(first, again)
    assert not np.array_equal(first, engine.run(_request(tiny_sd, seed=6)).images[0])
    # The hires pass changes the enlarged base picture (it is not a plain Lanczos resize).
    base = engine.run(_request(tiny_sd, hires_scale=1.0)).images[0]
    assert np.abs(first.astype(int) - resize(base, 2 * SIZE, 2 * SIZE).astype(int)).mean() > 1
    # A variation is the image made with its own seed.
    batch = engine.run(_request(tiny_sd, count=2, seed=4))
    assert [info.seed for info in batch.infos] == [4, 5] and np.array_equal(batch.images[1], first)


def test_hires_parameters_are_written_as_a1111_writes_them_and_read_back(tiny_sd: str, engine: Engine, tmp_path: Path) -> None:
    request = _request(tiny_sd, hires_scale=1.5, hires_denoise=0.35)
    result = engine.run(request)
    assert result.images[0].shape == (96, 96, 3)
    info = result.infos[0]
    # Size is the base size; the hires fields say how it was enlarged.
    assert (info.width, info.height) == (SIZE, SIZE)
    assert {key: info.extra[key] for key in ("Hires upscale", "Hires upscaler", "Denoising strength")} == {
        "Hires upscale": 1.5, "Hires upscaler": "Lanczos", "Denoising strength": 0.35}
    text = format_parameters(info)
    assert f"Size: {SIZE}x{SIZE}" in text and "Hires upscale: 1.5, Hires upscaler: Lanczos" in text
    from_text = parse_parameters(text)  # as from a JPEG, or a picture A1111 made: the values as text
    assert (from_text.extra["Hires upscale"], from_text.extra["Hires upscaler"], from_text.extra["Denoising strength"]) == ("1.5", "Lanczos", "0.35")
    saved = read_generation_info(save_artwork(tmp_path / "hires.png", result.images[0], info))
    assert (saved.request["hires_scale"], saved.request["hires_denoise"], saved.request["hires_upscaler"]) == (1.5, 0.35, "lanczos")
    # The stored request, sent to a server, is the same request.
    sent = protocol.decode_request(protocol.encode_request(request), protocol.Limits())
    assert sent == request


def test_a_learned_upscaler_enlarges_the_base_image_and_is_named_without_its_folder(tiny_sd: str, engine: Engine, tmp_path: Path) -> None:
    upscaler = str(save_tiny_sr(tmp_path / "tiny-sr"))
    reports: list[Progress] = []
    learned = engine.run(_request(tiny_sd, hires_upscaler=upscaler, hires_scale=1.5), reports.append)

    assert learned.images[0].shape == (96, 96, 3)
    assert [r.phase for r in reports if r.phase.startswith("Upscaling")][-1] == "Upscaling"
    assert learned.infos[0].extra["Hires upscaler"] == "tiny-sr"
    assert learned.infos[0].request["hires_upscaler"] == upscaler  # the history keeps where it is
    lanczos = engine.run(_request(tiny_sd, hires_scale=1.5)).images[0]
    assert not np.array_equal(learned.images[0], lanczos)
    assert TextToImageRequest().hires_upscaler == "genart-sr"  # the bundled one, unless Lanczos is asked for


def test_cancel_in_the_hires_pass_ends_the_job(tiny_sd: str, engine: Engine) -> None:
    token, reports = CancelToken(), []

    def cancel_in_hires_pass(progress: Progress) -> None:
        reports.append(progress)
        if progress.phase.startswith("Hires pass"):
            token.cancel()

    with pytest.raises(Cancelled):
        engine.run(_request(tiny_sd, hires_denoise=0.9), cancel_in_hires_pass, token)
    assert sum(r.phase.startswith("Hires pass") for r in reports) == 1


@pytest.mark.parametrize(("phase", "size", "stopped"), [
    ("Base image", SIZE, "at step 2/3 of the base image"),
    ("Upscaling", 2 * SIZE, "at step 0/3 of the hires pass"),  # the enlargement, not repainted
    ("Hires pass", 2 * SIZE, "at step 2/3 of the hires pass"),
])
def test_stop_and_keep_keeps_the_latest_picture_of_the_phase_it_came_in(tiny_sd: str, engine: Engine, phase: str, size: int, stopped: str) -> None:
    token = CancelToken()

    def stop_at_first_step(progress: Progress) -> None:
        if progress.phase.startswith(phase) and (progress.preview is not None or phase == "Upscaling"):
            token.stop_and_keep()

    result = engine.run(_request(tiny_sd, hires_denoise=1.0), stop_at_first_step, token)
    assert result.images[0].shape == (size, size, 3)
    assert result.stopped == stopped
    assert result.infos[0].extra["Hires upscale"] == 2.0  # Reproduce remakes the whole job


def test_outputs_larger_than_one_pass_are_repainted_in_blended_tiles(tiny_sd: str, engine: Engine) -> None:
    reports: list[Progress] = []
    request = _request(tiny_sd, hires_scale=4.0)
    result = engine.run(request, reports.append)

    image = result.images[0]
    assert image.shape == (4 * SIZE, 4 * SIZE, 3)
    tiles = sorted({r.phase.split(": ")[0] for r in reports if r.phase.startswith("Hires pass — tile")})
    assert len(tiles) == 9  # 256 px in 128 px tiles overlapping by 16 px: 3 × 3
    hires_previews = [r.preview for r in reports if r.phase.startswith("Hires pass") and r.preview is not None]
    assert all(p.shape == (4 * SIZE, 4 * SIZE, 3) for p in hires_previews)  # the whole picture, not one tile
    # No seam: across each tile border the picture changes no more than inside the tiles.
    steps = np.abs(np.diff(image.astype(int), axis=1)).mean(axis=(0, 2))
    assert steps.max() < 6 * np.median(steps)


def test_stop_and_keep_between_tiles_keeps_the_tiles_done_over_the_enlargement(tiny_sd: str, engine: Engine) -> None:
    token = CancelToken()

    def stop_in_tile_2(progress: Progress) -> None:
        if "tile 2/9" in progress.phase:
            token.stop_and_keep()

    request = _request(tiny_sd, hires_scale=4.0, hires_denoise=1.0)
    result = engine.run(request, stop_in_tile_2, token)
    assert result.stopped == "at step 2/3 of tile 2/9 of the hires pass"
    base = engine.run(_request(tiny_sd, hires_scale=1.0, hires_denoise=1.0)).images[0]
    enlarged = resize(base, 4 * SIZE, 4 * SIZE)
    # Tiles 3 to 9 were never repainted: the bottom rows show the enlargement unchanged.
    assert np.array_equal(result.images[0][-100:], enlarged[-100:])
    assert not np.array_equal(result.images[0][:100, :100], enlarged[:100, :100])


def _large_image_to_image(tiny_sd: str, side: int, **changes) -> ImageToImageRequest:
    values = dict(model=tiny_sd, prompt="a cat", steps=3, seed=5, init_image=gradient(side, side), width=side, height=side, strength=0.6)
    return ImageToImageRequest(**{**values, **changes})


def test_plain_image_to_image_past_one_pass_is_repainted_in_tiles(tiny_sd: str, engine: Engine) -> None:
    reports: list[Progress] = []
    result = engine.run(_large_image_to_image(tiny_sd, 4 * SIZE, count=2), reports.append)

    assert [image.shape for image in result.images] == [(4 * SIZE, 4 * SIZE, 3)] * 2
    assert [info.seed for info in result.infos] == [5, 6] and not np.array_equal(*result.images)
    assert all(info.extra["Tiles"] == 9 and info.request["type"] == "ImageToImageRequest" for info in result.infos)
    assert all(any(f"image {n}/2" in r.phase and "tile 9/9" in r.phase for r in reports) for n in (1, 2))
    assert [r.step for r in reports] == sorted(r.step for r in reports)  # one bar over both pictures, never backwards
    steps = np.abs(np.diff(result.images[0].astype(int), axis=1)).mean(axis=(0, 2))
    assert steps.max() < 6 * np.median(steps)  # no seam at the tile borders
    again = engine.run(_large_image_to_image(tiny_sd, 4 * SIZE, seed=6))
    assert np.array_equal(again.images[0], result.images[1])  # Reproduce of the second picture remakes it


def test_image_to_image_within_one_pass_is_not_tiled(tiny_sd: str, engine: Engine) -> None:
    reports: list[Progress] = []
    result = engine.run(_large_image_to_image(tiny_sd, 2 * SIZE), reports.append)
    assert result.images[0].shape == (2 * SIZE, 2 * SIZE, 3) and "Tiles" not in result.infos[0].extra
    assert not any("tile" in r.phase for r in reports)


def test_stop_and_keep_in_a_tiled_image_to_image_keeps_the_tiles_done(tiny_sd: str, engine: Engine) -> None:
    token = CancelToken()

    def stop_in_tile_2(progress: Progress) -> None:
        if "tile 2/9" in progress.phase:
            token.stop_and_keep()

    request = _large_image_to_image(tiny_sd, 4 * SIZE, strength=1.0)
    result = engine.run(request, stop_in_tile_2, token)
    assert result.stopped == "at step 2/3 of tile 2/9"
    start = request.init_image
    assert np.array_equal(result.images[0][-100:], start[-100:])  # the tiles never begun show the starting picture
    assert not np.array_equal(result.images[0][:100, :100], start[:100, :100])


@pytest.mark.parametrize(("changes", "message"), [
    ({"model": DEFAULT_OFFLINE_MODEL}, "Stable Diffusion models"),
    ({"hires_scale": 0.5}, "above 1 and at most 4"),
    ({"hires_scale": 5.0}, "above 1 and at most 4"),
    ({"hires_denoise": 0.0}, "denoising strength"),
    ({"width": 1088, "hires_scale": 4.0}, "at most 4096 pixels"),
    ({"hires_upscaler": "no-such-upscaler"}, "No upscaler called “no-such-upscaler”"),
])
def test_a_hires_fix_that_cannot_run_says_why(tiny_sd: str, engine: Engine, changes: dict, message: str) -> None:
    with pytest.raises(GenArtError, match=message):
        engine.run(_request(**{"model": tiny_sd, **changes}))


def test_hires_fix_is_for_text_to_image(tiny_sd: str, engine: Engine) -> None:
    request = ImageToImageRequest(model=tiny_sd, prompt="a cat", steps=2, init_image=gradient(SIZE, SIZE), hires_scale=2.0)
    with pytest.raises(GenArtError, match="Image ▸ Upscale"):
        engine.run(request)


def test_the_cli_makes_a_hires_picture_and_refuses_hires_with_init(tiny_sd: str, tmp_path: Path, capsys) -> None:
    out = tmp_path / "cat.png"
    arguments = ["generate", "a cat", "--model", tiny_sd, "--steps", "2", "--size", f"{SIZE}x{SIZE}", "--hires", "2", "--hires-upscaler", "lanczos"]
    assert main([*arguments, "-o", str(out)]) == 0
    info = read_generation_info(out)
    assert load_image(out).shape == (2 * SIZE, 2 * SIZE, 3)
    assert (info.width, info.extra["Hires upscale"], info.extra["Denoising strength"]) == (SIZE, 2.0, 0.35)
    init = tmp_path / "init.png"
    save_artwork(init, gradient(SIZE, SIZE), None)
    assert main([*arguments, "--init", str(init), "-o", str(out)]) == 1
    assert "genart upscale" in capsys.readouterr().err


def test_final_size_is_the_base_size_times_the_scale_in_multiples_of_8() -> None:
    request = TextToImageRequest(width=512, height=768, hires_scale=1.5)
    assert hires_fix.final_size(request) == (768, 1152)
    assert hires_fix.final_size(TextToImageRequest(width=500, height=64, hires_scale=1.3)) == (648, 80)
