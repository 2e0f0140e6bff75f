"""The upscaler core: tiling without seams, detail, scales, progress, Cancel, Stop & Keep, what results record."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from genart_core import paths
from genart_core.api import Cancelled, CancelToken, GenArtError, Progress
from genart_core.engine import Engine, ModelCache
from genart_core.imaging import resize
from genart_core.models.sr_net import SRConfig, SRNet
from genart_core.pipelines.upscale import upscale, upscale_array
from genart_core.requests.upscale import UpscaleRequest
from genart_core.tiling import TileBlender, tile_grid
from genart_core.weights import save_model

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def save_tiny_sr(folder: Path, seed: int = 0, scale: int = 2, **card_fields: object) -> Path:
    """A seeded 8-channel, one-block SRNet whose output differs visibly from its bicubic base
    (``card_fields``: more fields of its card, such as its family)."""
    torch.manual_seed(seed)
    config = SRConfig(scale=scale, width=8, blocks=1)
    network = SRNet(config)
    torch.nn.init.normal_(network.tail.weight, std=0.05)  # the real init is zero: plain bicubic
    save_model(folder, network.state_dict(), {"kind": "super-resolution", "name": folder.name, "config": config.to_dict(), **card_fields})
    return folder


@pytest.fixture
def tiny_sr(tmp_path) -> str:
    return str(save_tiny_sr(tmp_path / "tiny-sr"))


def noise(height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, channels), dtype=np.uint8)


def test_tiles_cover_the_picture_and_overlap_by_at_least_the_overlap() -> None:
    tiles = tile_grid(70, 130, 40, 30)
    covered = np.zeros((70, 130), int)
    for tile in tiles:
        covered[tile.top:tile.top + tile.height, tile.left:tile.left + tile.width] += 1
    assert covered.min() >= 1
    lefts = sorted({tile.left for tile in tiles})
    assert all(a + 40 - b >= 30 for a, b in zip(lefts, lefts[1:]))
    assert tile_grid(20, 20, 40, 30) == [tile_grid(20, 20, 40, 30)[0]]  # a small picture is one tile


def test_blending_identical_tiles_gives_back_the_picture_exactly() -> None:
    picture = np.random.default_rng(1).random((50, 60, 3), dtype=np.float32)
    blender = TileBlender(50, 60, 1, margin=4, overlap=14)
    for tile in tile_grid(50, 60, 24, 14):
        blender.add(tile, picture[tile.top:tile.top + tile.height, tile.left:tile.left + tile.width])
    np.testing.assert_allclose(blender.blend_over(np.zeros_like(picture)), picture, atol=1e-5)


def test_tiled_matches_untiled_within_one_grey_level(tiny_sr) -> None:
    image = noise(70, 90)
    tiled = upscale_array(image, 2, tiny_sr, tile=40)  # 3×4 tiles
    whole = upscale_array(image, 2, tiny_sr, tile=2048)
    assert tiled.shape == (140, 180, 3)
    assert np.abs(tiled.astype(int) - whole).max() <= 1
    assert np.abs(whole.astype(int) - resize(image, 180, 140)).mean() > 2  # the network does change the picture


def test_detail_zero_is_lanczos_and_detail_blends_linearly(tiny_sr) -> None:
    image = noise(30, 40)
    plain = upscale_array(image, 2, tiny_sr, detail=0.0)
    full = upscale_array(image, 2, tiny_sr, detail=1.0)
    half = upscale_array(image, 2, tiny_sr, detail=0.5)
    np.testing.assert_array_equal(plain, resize(image, 80, 60))
    assert np.abs(half.astype(float) - (plain.astype(float) + full) / 2).max() <= 1.0


def test_four_times_runs_a_two_times_network_twice(tiny_sr) -> None:
    image = noise(24, 20)
    four = upscale_array(image, 4, tiny_sr)
    twice = upscale_array(upscale_array(image, 2, tiny_sr), 2, tiny_sr)
    assert four.shape == (96, 80, 3)
    assert np.abs(four.astype(int) - twice).max() <= 2  # only the rounding between the passes differs


def test_alpha_is_enlarged_beside_the_colours_and_grey_becomes_rgb(tiny_sr) -> None:
    rgba = noise(16, 12, 4)
    result = upscale_array(rgba, 2, tiny_sr)
    assert result.shape == (32, 24, 4)
    np.testing.assert_array_equal(result[:, :, 3], resize(np.ascontiguousarray(rgba[:, :, 3]), 24, 32))
    assert upscale_array(noise(10, 10, 3)[:, :, 0], 2, tiny_sr).shape == (20, 20, 3)


@pytest.mark.parametrize(
    ("image", "settings", "message"),
    [
        (None, {}, "Give the upscaler a picture"),
        (noise(8, 8), {"scale": 3}, "2× or 4×, not 3×"),
        (noise(8, 8), {"detail": 1.5}, "Detail goes from 0"),
        (noise(8, 8), {"tile": 8}, "Tiles must be 32 to 2048"),
        (np.zeros((5000, 5000, 3), np.uint8), {"scale": 4}, "more than the 64 megapixels"),
    ],
)
def test_impossible_settings_are_refused_with_a_message(image, settings, message, tiny_sr) -> None:
    with pytest.raises(GenArtError, match=message):
        upscale_array(image, model=tiny_sr, **{"scale": 2, **settings})


def test_installed_upscalers_are_found_by_name_and_an_unknown_name_lists_them() -> None:
    save_tiny_sr(paths.models_dir() / "my-sr")
    assert upscale(noise(8, 8), 2, "my-sr").upscaler == "my-sr"
    with pytest.raises(GenArtError, match="No upscaler called “nope”. Installed: .*my-sr"):
        upscale_array(noise(8, 8), 2, "nope")


def test_the_engine_reports_each_tile_with_a_preview_and_records_the_settings(tiny_sr) -> None:
    seen: list[Progress] = []
    request = UpscaleRequest(image=noise(70, 90), scale=2, model=tiny_sr, detail=0.8, tile=40)
    result = Engine().run(request, seen.append)
    tiles = [p for p in seen if p.phase == "Upscaling"]
    assert [p.step for p in tiles] == list(range(1, 13)) and all(p.total == 12 for p in tiles)  # 3 rows × 4 columns
    assert all(p.preview is not None and p.preview.dtype == np.uint8 and max(p.preview.shape[:2]) <= 256 for p in tiles)
    info = result.infos[0]
    assert result.images[0].shape == (140, 180, 3) and (info.width, info.height) == (180, 140)
    assert info.extra == {"Upscale": 2, "Upscaler": "tiny-sr", "Detail": 0.8, "Tile": 40}
    assert info.request["type"] == "UpscaleRequest" and info.request["image"] == "90×70 image"
    assert not result.stopped


def test_cancel_between_tiles_raises_cancelled(tiny_sr) -> None:
    cancel = CancelToken()
    seen: list[int] = []

    def cancel_after_two(progress: Progress) -> None:
        if progress.phase == "Upscaling":
            seen.append(progress.step)
            if progress.step == 2:
                cancel.cancel()

    with pytest.raises(Cancelled):
        Engine().run(UpscaleRequest(image=noise(70, 90), model=tiny_sr, tile=40), cancel_after_two, cancel)
    assert seen == [1, 2]


def test_stop_and_keep_keeps_the_finished_tiles_over_a_lanczos_enlargement(tiny_sr) -> None:
    image = noise(70, 90)
    cancel = CancelToken()

    def stop_after_first(progress: Progress) -> None:
        if progress.phase == "Upscaling" and progress.step == 1:
            cancel.stop_and_keep()

    result = Engine().run(UpscaleRequest(image=image, model=tiny_sr, tile=40), stop_after_first, cancel)
    kept = result.images[0].astype(int)
    full = upscale_array(image, 2, tiny_sr, tile=40)
    assert result.stopped == "at tile 1/12" and result.infos[0].extra["Stopped at tile"] == "1/12"
    assert np.abs(kept[:40, :40] - full[:40, :40]).max() <= 1  # the first tile's own corner
    np.testing.assert_array_equal(kept[100:, 120:], resize(image, 180, 140)[100:, 120:])  # never reached


def test_a_cache_keeps_the_network_loaded_between_calls(tiny_sr) -> None:
    cache = ModelCache()
    first = upscale(noise(10, 10), 2, tiny_sr, cache=cache)
    assert first.upscaler == "tiny-sr" and (first.tiles_done, first.tiles_total) == (1, 1)
    assert len(cache._items) == 1
    upscale(noise(10, 10), 2, tiny_sr, cache=cache)
    assert len(cache._items) == 1


def test_the_cli_saves_the_enlargement_with_its_parameters(tiny_sr, tmp_path, capsys) -> None:
    from genart_core.artwork import read_generation_info, read_parameters_text
    from genart_core.cli import main
    from genart_core.imaging import load_image, to_pil

    source = tmp_path / "small.png"
    to_pil(noise(20, 30)).save(source)
    out = tmp_path / "big.png"
    assert main(["upscale", str(source), "-o", str(out), "--scale", "4", "--model", tiny_sr, "--detail", "0.7"]) == 0
    assert load_image(out).shape[:2] == (80, 120)
    info = read_generation_info(out)
    assert info.extra["Upscale"] == 4 and info.extra["Detail"] == 0.7 and info.extra["Source"] == "small.png"
    assert info.request["type"] == "UpscaleRequest" and info.request["scale"] == 4
    assert "Upscaler: tiny-sr" in read_parameters_text(out)
    assert "Saved" in capsys.readouterr().out


def test_the_cli_keeps_the_parameters_of_a_generated_source(tiny_sr, tmp_path, capsys) -> None:
    from genart_core.api import GenerationInfo
    from genart_core.artwork import read_generation_info, read_parameters_text, save_artwork
    from genart_core.cli import main

    source = save_artwork(tmp_path / "made.png", noise(20, 30), GenerationInfo(prompt="digit 7", seed=11, steps=25, model="tiny-diffusion"))
    out = tmp_path / "big.png"
    assert main(["upscale", str(source), "-o", str(out), "--model", tiny_sr]) == 0
    info = read_generation_info(out)
    assert (info.prompt, info.seed, info.steps, info.model) == ("digit 7", 11, 25, "tiny-diffusion")
    assert info.extra["Upscaler"] == "tiny-sr" and info.request["type"] == "UpscaleRequest"
    text = read_parameters_text(out)
    assert text.startswith("digit 7") and "Upscaler: tiny-sr" in text
    assert "tiny-sr" in capsys.readouterr().out  # the line printed names the upscaler, not the source's model


def test_the_cli_refuses_to_write_over_its_input_and_names_bad_models(tiny_sr, tmp_path, capsys) -> None:
    from genart_core.cli import main
    from genart_core.imaging import to_pil

    source = tmp_path / "small.png"
    to_pil(noise(8, 8)).save(source)
    before = source.read_bytes()
    assert main(["upscale", str(source), "-o", str(source), "--model", tiny_sr]) == 1
    assert main(["upscale", str(source), "-o", str(tmp_path / "x.png"), "--model", "nope"]) == 1
    assert source.read_bytes() == before and not (tmp_path / "x.png").exists()
    errors = capsys.readouterr().err
    assert "would replace the picture being enlarged" in errors and "No upscaler called “nope”" in errors


def test_models_add_upscaler_and_list(tmp_path, capsys) -> None:
    from spandrel.architectures.Compact import Compact
    from safetensors.torch import save_file

    from genart_core.cli import main

    torch.manual_seed(0)
    path = tmp_path / "2x-Tiny.safetensors"
    save_file({k: v.contiguous() for k, v in Compact(num_feat=8, num_conv=2, upscale=2).state_dict().items()}, str(path))
    assert main(["models", "add", "--upscaler", str(path)]) == 0
    assert main(["models", "list"]) == 0
    listed = capsys.readouterr().out
    assert f"Added the upscaler {path}" in listed and f"{path}" in listed.splitlines()[-1]


def test_an_untrained_network_is_exactly_its_bicubic_base() -> None:
    network = SRNet(SRConfig(scale=2, width=8, blocks=1))
    pixels = torch.rand(1, 3, 12, 10, generator=torch.Generator().manual_seed(0))
    expected = torch.nn.functional.interpolate(pixels, scale_factor=2, mode="bicubic", align_corners=False)
    torch.testing.assert_close(network(pixels), expected)


@pytest.mark.parametrize(
    ("config", "message"),
    [({"scale": 3}, "scale"), ({"width": "wide"}, "width"), ({"width": 1024, "blocks": 64}, "million parameters")],
)
def test_a_damaged_card_is_refused_with_a_message(config, message, tmp_path) -> None:
    folder = save_tiny_sr(tmp_path / "damaged")
    card = json.loads((folder / "card.json").read_text())
    (folder / "card.json").write_text(json.dumps({**card, "config": config}))
    with pytest.raises(GenArtError, match=message):
        upscale_array(noise(8, 8), 2, str(folder))


def test_weights_that_do_not_fit_the_card_are_refused(tmp_path) -> None:
    folder = save_tiny_sr(tmp_path / "mismatch")
    card = json.loads((folder / "card.json").read_text())
    (folder / "card.json").write_text(json.dumps({**card, "config": {"scale": 2, "width": 16, "blocks": 1}}))
    with pytest.raises(GenArtError, match="do not fit its card"):
        upscale_array(noise(8, 8), 2, str(folder))


def test_degradations_shrink_and_the_fixed_one_is_reproducible() -> None:
    from genart_core.sr_data import degrade, degrade_fixed

    sharp = noise(48, 64)
    rng = np.random.default_rng(0)
    assert {degrade(sharp, 2, rng).shape for _ in range(20)} == {(24, 32, 3)}
    np.testing.assert_array_equal(degrade_fixed(sharp, 4), degrade_fixed(sharp, 4))
    assert degrade_fixed(sharp, 4).shape == (12, 16, 3)


def test_a_clean_share_of_crops_is_a_plain_bicubic_reduction() -> None:
    from genart_core.sr_data import random_crop_pair, shrink

    pictures = [noise(40, 40, seed=5)]
    rng = np.random.default_rng(1)
    clean = [random_crop_pair(pictures, 16, 4, rng, clean_share=1.0) for _ in range(5)]
    assert all(np.array_equal(small, shrink(sharp, 4)) for small, sharp in clean)
    mixed = [random_crop_pair(pictures, 16, 4, rng, clean_share=0.5) for _ in range(60)]
    plain = sum(np.array_equal(small, shrink(sharp, 4)) for small, sharp in mixed)
    assert 15 < plain < 50  # the rest are degraded (a random degradation is almost never plain bicubic)
