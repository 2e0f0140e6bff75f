"""Style transfer at the edges: tiny and thin pictures, Cancel inside a loss evaluation, and
progress that follows the time rather than the iteration count. All with the tiny seeded VGG."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genart_core.api import Cancelled, CancelToken, GenArtError
from genart_core.engine import Engine
from genart_core.imaging import to_tensor
from genart_core.pipelines import style_images as si
from genart_core.pipelines import style_transfer as st
from genart_core.requests.style import ColorMode, Preset, StyleSource, StyleTransferRequest
from genart_core.vgg_weights import load_vgg
from tests.core.vgg_helpers import scene, stripes, write


def _noise(height: int, width: int) -> np.ndarray:
    return np.random.default_rng(height * 1000 + width).integers(0, 256, (height, width, 3), dtype=np.uint8)


def _request(weights, style, content, **overrides):
    options = dict(
        content=content, styles=(StyleSource("Stripes", style),), preset=Preset.PREVIEW, size=512, weights=weights, iterations_scale=0.4
    )
    options.update(overrides)
    return StyleTransferRequest(**options)


@pytest.mark.parametrize(
    "shape, size, expected",
    [
        ((1, 1), 512, (1, 1)),
        ((8, 8), 512, (8, 8)),
        ((3, 500), 512, (3, 500)),
        ((500, 2), None, (500, 2)),
        ((100, 1000), 512, (51, 512)),  # a 10:1 panorama: its coarse scales are 13 and 26 px high
    ],
)
def test_tiny_and_thin_pictures_are_stylised_at_their_own_shape(tiny_weights, style_file, shape, size, expected):
    content = _noise(*shape)
    result = Engine().run(_request(tiny_weights, style_file, content, size=size))
    image = result.images[0]
    assert image.shape == (*expected, 3)
    resized = si.resize_to(to_tensor(content), expected)
    assert np.abs(image.astype(float) - np.asarray(resized[0].permute(1, 2, 0) * 255)).mean() > 1.0  # it was stylised


@pytest.mark.parametrize("colours", [ColorMode.NONE, ColorMode.MATCH, ColorMode.LUMINANCE])
def test_one_pixel_content_works_in_every_colour_mode(tiny_weights, style_file, colours):
    result = Engine().run(_request(tiny_weights, style_file, _noise(1, 1), preserve_colors=colours))
    assert result.images[0].shape == (1, 1, 3)


@pytest.mark.parametrize("shape", [(1, 1), (3, 500), (500, 3), (8, 8)])
def test_tiny_and_thin_style_images_work(tiny_weights, tmp_path, shape):
    style = str(write(tmp_path / "thin.png", stripes(500)[: shape[0], : shape[1]]))
    result = Engine().run(_request(tiny_weights, style, scene(), size=64))
    assert result.images[0].shape == (48, 64, 3)


def test_mirrored_padding_reaches_the_network_side_and_crops_back():
    strip = torch.arange(3.0).view(1, 1, 3, 1).expand(1, 3, 3, 5)  # rows 0, 1, 2
    padding = si.network_padding(3, 5)
    assert padding == (14, 15, 13, 14)
    padded = si.pad_mirrored(strip, padding)
    assert padded.shape[-2:] == (si.NETWORK_MIN_SIDE, si.NETWORK_MIN_SIDE)
    # Mirrored about the edges, again and again: …, 2, 1, 0, 0, 1, 2, 2, 1, 0, …
    assert padded[0, 0, 14 - 6 : 14 + 9, 0].tolist() == [0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0, 1, 2]
    assert torch.equal(si.crop_padding(padded, padding), strip)
    assert si.network_padding(40, 600) == (0, 0, 0, 0)


def test_vgg_states_its_size_limit(tiny_weights):
    features = load_vgg(tiny_weights)
    with pytest.raises(GenArtError, match="at least 16×16 pixels to reach relu5_1"):
        features(torch.rand(1, 3, 8, 200), ("relu5_1",))
    assert "relu2_1" in features(torch.rand(1, 3, 2, 2), ("relu2_1",))  # shallow layers need less


class _ConvCounter:
    """Counts VGG convolutions run forward and backward (global module hooks: the real network,
    untouched), and can call a function when a given count is reached."""

    def __init__(self) -> None:
        self.forward = self.backward = 0
        self.on_forward = self.on_backward = None  # (count, function)
        self._handles = [
            torch.nn.modules.module.register_module_forward_hook(self._forward),
            torch.nn.modules.module.register_module_full_backward_pre_hook(self._backward),
        ]

    def _forward(self, module, inputs, output):
        if isinstance(module, torch.nn.Conv2d):
            self.forward += 1
            if self.on_forward and self.forward == self.on_forward[0]:
                self.on_forward[1]()

    def _backward(self, module, grad_output):
        if isinstance(module, torch.nn.Conv2d):
            self.backward += 1
            if self.on_backward and self.backward == self.on_backward[0]:
                self.on_backward[1]()

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()


@pytest.fixture
def convs():
    counter = _ConvCounter()
    yield counter
    counter.remove()


# The global backward hook also meets VGG19Features, whose output is a dict: torch warns it cannot hook that one.
@pytest.mark.filterwarnings("ignore:For backward hooks to be called")
@pytest.mark.parametrize("direction", ["forward", "backward"])
@pytest.mark.parametrize("keep", [False, True])
def test_cancel_and_stop_inside_an_evaluation_end_it_at_the_next_layer(tiny_weights, style_file, convs, monkeypatch, direction, keep):
    # Two stages and far too many iterations; the request comes in the middle of an evaluation
    # of the second stage, as if from the GUI thread while VGG runs.
    monkeypatch.setitem(st.PRESETS, Preset.PREVIEW, st.Plan(scales=(0.5, 1.0), iterations=(3, 1000)))
    request = _request(tiny_weights, style_file, scene(192, 144), size=128, iterations_scale=1.0)
    token = CancelToken()
    asked = {}

    def ask() -> None:
        asked["forward"], asked["backward"] = convs.forward, convs.backward
        token.stop_and_keep() if keep else token.cancel()

    def on_progress(progress) -> None:
        # Once in the second stage: the request comes at the 7th of the next evaluation's 16
        # convolutions, forward or backward.
        if progress.phase.endswith("(2/2)") and not (convs.on_forward or convs.on_backward):
            if direction == "forward":
                convs.on_forward = (convs.forward + 7, ask)
            else:
                convs.on_backward = (convs.backward + 7, ask)

    if keep:
        result = Engine().run(request, on_progress, token)
        assert result.images[0].shape == (96, 128, 3) and result.stopped.startswith("at step")
    else:
        with pytest.raises(Cancelled):
            Engine().run(request, on_progress, token)
    assert asked, "the request never came: the run ended first"
    # Not one more convolution, either way, once the request is in.
    assert (convs.forward, convs.backward) == (asked["forward"], asked["backward"])


def test_progress_follows_the_cost_of_each_stage(tiny_weights, style_file):
    # Preview at 256 px: stages of 64, 128 and 256 px with 20, 6 and 1 iterations (× 0.4). Counted
    # in iterations the last stage starts at 26/27 = 96 %; it holds 27 % of the pixel-evaluations.
    request = _request(tiny_weights, style_file, scene(256, 192), size=256)
    stages = st.plan_stages(st.PRESETS[Preset.PREVIEW], 192, 256, request.iterations_scale)
    assert [(stage.size, stage.iterations) for stage in stages] == [((48, 64), 20), ((96, 128), 6), ((192, 256), 1)]
    reports = []
    Engine().run(request, reports.append)
    stylising = [r for r in reports if r.phase.startswith("Stylising")]
    fractions = [r.fraction for r in stylising]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    last_share = stages[-1].cost / sum(stage.cost for stage in stages)
    assert last_share == pytest.approx(192 * 256 / (48 * 64 * 20 + 96 * 128 * 6 + 192 * 256))
    before_last = [r.fraction for r in stylising if not r.phase.endswith(f"({len(stages)}/{len(stages)})")][-1]
    assert before_last == pytest.approx(1 - last_share, abs=0.002)
