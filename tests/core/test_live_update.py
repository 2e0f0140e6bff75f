"""Live mode's updates of a crop (genart_core/fast_style/live_update.py): the network's recorded
normalisation statistics, the crop plan, and the pipeline's Live requests on both runtimes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from genart_core.engine import Engine
from genart_core.fast_style import live_update
from genart_core.fast_style.live_update import ALIGN, Box, changed_box, crop_plan, resized_part
from genart_core.fast_style.network_grid import without_grid
from genart_core.fast_style.pictures import paint_at_network_side
from genart_core.imaging import resize
from genart_core.models.style_transformer import NormMoments, StyleTransformer
from genart_core.pipelines.fast_style import networks_for
from genart_core.requests.fast_style import FastStyleRequest, StyleVectorSource
from genart_core.requests.style import ColorMode
from genart_core.styles import find_style


def _random_transformer() -> StyleTransformer:
    torch.manual_seed(0)
    return StyleTransformer().eval().requires_grad_(False)


def test_a_crop_normalised_by_the_whole_pictures_statistics_comes_out_as_within_it():
    model = _random_transformer()
    torch.manual_seed(1)
    picture, style = torch.rand(1, 3, 192, 192), torch.rand(1, 100)
    picture[..., :, 100:] *= 0.2  # a darker, flatter part: the crop's own statistics differ from the whole's
    recorded = NormMoments()
    whole = model(picture, style, recorded)
    margin = 56  # the network's reach (live_update's measurements)
    crop = picture[..., 40:160, 40:160]
    inside = (..., slice(margin, 120 - margin), slice(margin, 120 - margin))
    within = whole[..., 40:160, 40:160][inside]
    replayed = model(crop, style, NormMoments(recorded.values))[inside]
    assert torch.allclose(replayed, within, atol=1e-5)
    own_statistics = model(crop, style)[inside]  # what the crop would look like on its own
    assert (own_statistics - within).abs().mean() > 100 * (replayed - within).abs().mean()


def test_recording_the_statistics_gives_the_plain_passs_picture():
    model = _random_transformer()
    picture, style = torch.rand(1, 3, 64, 96), torch.rand(1, 100)
    recorded = NormMoments()
    assert torch.allclose(model(picture, style, recorded), model(picture, style), atol=1e-5)
    assert len(recorded.values) == 13  # 5 blocks × 2 norms and 3 in the expansion
    with pytest.raises(ValueError):
        model(picture, style, NormMoments(recorded.values[:-1]))


def test_the_changed_box_holds_every_changed_pixel_and_no_more():
    before = np.zeros((40, 50, 3), np.uint8)
    after = before.copy()
    assert changed_box(before, after) is None
    after[5, 7, 2] = 1
    after[20:23, 30] = 9
    assert changed_box(before, after) == Box(5, 7, 23, 31)


def test_the_crop_starts_on_the_networks_grid_and_a_large_change_gets_a_full_pass():
    crop, paste = crop_plan(Box(201, 203, 230, 240), 512, 512)
    assert crop.top % ALIGN == 0 and crop.left % ALIGN == 0
    reach = live_update.PASTE_REACH + live_update.CONTEXT
    assert crop.top <= 201 - reach and crop.bottom >= 230 + reach and crop.right >= 240 + reach
    assert crop.top <= paste.top - live_update.CONTEXT and paste.top <= 201 - live_update.PASTE_REACH
    assert (crop.bottom - crop.top) % live_update.SHAPE_STEP == 0 and (crop.right - crop.left) % live_update.SHAPE_STEP == 0
    corner, _ = crop_plan(Box(0, 501, 10, 512), 512, 510)
    assert (corner.top, corner.right) == (0, 510) and corner.left % ALIGN == 0  # within the picture
    assert crop_plan(Box(0, 0, 300, 512), 512, 512) is None


@pytest.mark.parametrize("part", [Box(100, 100, 300, 300), Box(0, 0, 120, 200), Box(200, 400, 358, 512)])
def test_a_part_resized_from_a_window_is_that_part_of_the_whole_resized(part):
    from PIL import Image
    from skimage import data

    photo = resize(data.astronaut(), 1000, 700)
    assert np.abs(resized_part(photo, (512, 358), part, Image.Resampling.LANCZOS, 3).astype(int) - resize(photo, 512, 358)[part.slices()]).max() <= 1
    # Enlarging floats from a window of the small picture that lies at (top, left) within it.
    small = np.random.default_rng(0).normal(size=(358, 512, 3)).astype(np.float32)
    enlarged = np.stack([np.asarray(Image.fromarray(small[..., c], mode="F").resize((1000, 700), Image.Resampling.BICUBIC)) for c in range(3)], -1)
    window, wanted = Box(50, 60, 250, 400), Box(150, 180, 400, 700)
    made = resized_part(small[window.slices()], (1000, 700), wanted, Image.Resampling.BICUBIC, 2, whole=(512, 358), at=(window.top, window.left))
    assert np.abs(made - enlarged[wanted.slices()]).max() < 1e-3


# -- the pipeline -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def _photo() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[::2, ::2])  # 256²: a dab's crop is a part of it


def _live(content: np.ndarray, backend: str = "torch", **changes) -> FastStyleRequest:
    mosaic = StyleVectorSource("Mosaic", str(find_style("mosaic").path))
    return FastStyleRequest(**{"content": content, "styles": (mosaic,), "size": None, "backend": backend, "live": True, **changes})


def _dab(picture: np.ndarray, top: int, left: int, side: int = 12) -> np.ndarray:
    dabbed = picture.copy()
    dabbed[top : top + side, left : left + side] = (250, 30, 60)
    return dabbed


def _context(engine: Engine):
    from genart_core.api import CancelToken
    from genart_core.engine import RunContext

    return RunContext(engine, lambda _progress: None, CancelToken())


@pytest.mark.parametrize("backend", ["torch", "onnxruntime"])
def test_a_live_update_restyles_a_crop_that_matches_the_whole_picture_normalised_alike(engine, backend):
    photo = _photo()
    first = engine.run(_live(photo, backend))
    assert first.extras["crop"] is None  # the first update restyles everything and records
    base = engine.cache.get_or_load(("fast-style-live",), live_update.LiveMemo).base
    dabbed = _dab(photo, 20, 200)
    update = engine.run(_live(dabbed, backend))
    assert update.extras["backend"] == backend
    top, left, bottom, right = update.extras["crop"]
    assert (bottom - top) * (right - left) < 0.6 * photo.shape[0] * photo.shape[1]
    image = update.images[0]
    # Away from the crop, the previous picture stays as it was.
    assert np.array_equal(image[bottom:], first.images[0][bottom:]) and np.array_equal(image[:, :left], first.images[0][:, :left])
    # Within it: as a full pass with the same statistics paints it, to a few levels at the paste's edges.
    networks = networks_for(_context(engine), backend)
    exact = without_grid(networks.stylize(dabbed, base.vector, {}, base.statistics)).astype(int)
    difference = np.abs(image.astype(int) - exact)
    assert difference.max() <= 6 and difference.mean() < 0.05
    assert np.abs(image.astype(int) - first.images[0]).max() > 50  # the dab shows


@pytest.mark.parametrize("backend", ["torch", "onnxruntime"])
def test_a_picture_painted_smaller_and_enlarged_gets_crop_updates_too(engine, backend):
    """Above the network side the picture is painted smaller and enlarged with its detail: the
    crop is restyled at the painting's size and enlarged alone, as the whole would be."""
    from skimage import data

    photo = resize(data.astronaut(), 800, 800)
    first = engine.run(_live(photo, backend, network_side=400))
    base = engine.cache.get_or_load(("fast-style-live",), live_update.LiveMemo).base
    dabbed = _dab(photo, 380, 400, side=20)
    update = engine.run(_live(dabbed, backend, network_side=400))
    top, left, bottom, right = update.extras["crop"]
    assert (bottom - top) * (right - left) < 0.6 * 800 * 800
    networks = networks_for(_context(engine), backend)
    exact, painted_at = paint_at_network_side(lambda picture: without_grid(networks.stylize(picture, base.vector, {}, base.statistics)), dabbed, 400)
    assert painted_at == (400, 400)
    difference = np.abs(update.images[0].astype(int) - exact)
    # Beyond the paste the whole would change by a level or two (twice as far, enlarged): kept as was.
    assert difference.max() <= 6 and difference.mean() < 0.15
    assert np.array_equal(update.images[0][:top], first.images[0][:top])


def test_a_canvas_larger_than_the_preview_is_shrunk_again_only_where_it_changed(engine):
    from skimage import data

    from genart_core.fast_style.pictures import content_picture

    canvas = resize(data.astronaut(), 1200, 1200)
    engine.run(_live(canvas, size=512, network_side=None))
    base = engine.cache.get_or_load(("fast-style-live",), live_update.LiveMemo).base
    dabbed = _dab(canvas, 600, 500, side=30)
    update = engine.run(_live(dabbed, size=512, network_side=None))
    assert update.extras["crop"] and update.images[0].shape == (512, 512, 3)
    shrunk = engine.cache.get_or_load(("fast-style-live",), live_update.LiveMemo).base.content
    assert np.abs(shrunk.astype(int) - content_picture(dabbed, 512)).max() <= 1
    networks = networks_for(_context(engine), "torch")
    exact = without_grid(networks.stylize(content_picture(dabbed, 512), base.vector, {}, base.statistics))
    assert np.abs(update.images[0].astype(int) - exact).max() <= 6


def test_a_crop_update_keeps_the_photos_colours_when_asked(engine):
    from genart_core.fast_style.pictures import keep_content_colors

    photo = _photo()
    engine.run(_live(photo, preserve_colors=ColorMode.LUMINANCE))
    base = engine.cache.get_or_load(("fast-style-live",), live_update.LiveMemo).base
    dabbed = _dab(photo, 30, 30)
    update = engine.run(_live(dabbed, preserve_colors=ColorMode.LUMINANCE))
    assert update.extras["crop"]
    networks = networks_for(_context(engine), "torch")
    exact = keep_content_colors(without_grid(networks.stylize(dabbed, base.vector, {}, base.statistics)), dabbed)
    assert np.abs(update.images[0].astype(int) - exact).max() <= 6


def test_the_same_live_request_again_settles_with_a_full_pass_then_answers_from_memory(engine):
    photo = _photo()
    engine.run(_live(photo))
    dabbed = _dab(photo, 100, 30)
    assert engine.run(_live(dabbed)).extras["crop"]
    settled = engine.run(_live(dabbed))
    assert settled.extras["crop"] is None  # fresh statistics for the whole picture
    again = engine.run(_live(dabbed))
    assert again.extras["crop"] == () and np.array_equal(again.images[0], settled.images[0])


@pytest.mark.parametrize("change", ["strength", "colours", "not live", "large"])
def test_anything_but_a_small_change_of_the_picture_gets_a_full_pass(engine, change):
    photo = _photo()
    engine.run(_live(photo))
    request = {
        "strength": _live(_dab(photo, 10, 10), strength=0.7),
        "colours": _live(_dab(photo, 10, 10), preserve_colors=ColorMode.LUMINANCE),
        "not live": dataclasses.replace(_live(_dab(photo, 10, 10)), live=False),
        "large": _live(_dab(photo, 0, 0, side=200)),
    }[change]
    assert engine.run(request).extras["crop"] is None


def test_the_replaying_graph_takes_what_the_recording_graph_gives():
    """onnxruntime's twin graphs (statistics_graph): the statistics the derived graph outputs, fed
    back to the replaying graph, paint the same picture; other statistics paint another."""
    from genart_core.fast_style.onnx_runtime import OnnxStyleNetworks
    from genart_core.fast_style.pictures import style_square

    networks = OnnxStyleNetworks()
    vector = networks.predict(style_square(str(find_style("mosaic").path)))
    photo = _photo()
    painted, statistics = networks.stylize_recording(photo, vector)
    assert len(statistics) == 13 and all(mean.shape == variance.shape for mean, variance in statistics)
    assert np.array_equal(painted, networks.stylize(photo, vector))
    assert np.abs(networks.stylize(photo, vector, None, statistics).astype(int) - painted).max() <= 1
    _, darker = networks.stylize_recording(photo // 3, vector)
    assert np.abs(networks.stylize(photo, vector, None, darker).astype(int) - painted).mean() > 5


def test_inferring_one_picture_the_fused_norm_gives_the_instance_norms_numbers():
    """Without gradients a batch of one runs its norms as batch norm with γ and β fused (faster);
    learning, with gradients, keeps instance_norm then γ and β. Both are the same sums."""
    model = _random_transformer()
    picture, style = torch.rand(1, 3, 64, 96), torch.rand(1, 100)
    with torch.no_grad():
        fused = model(picture, style)
    with torch.enable_grad():
        plain = model(picture, style.requires_grad_(True))
    assert torch.allclose(fused, plain.detach(), atol=1e-5)
    batch = torch.rand(2, 3, 64, 96)
    with torch.no_grad():  # a batch of two keeps each picture's own statistics
        assert torch.allclose(model(batch, style.detach().expand(2, -1))[1:], model(batch[1:], style.detach()), atol=1e-5)
