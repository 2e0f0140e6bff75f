"""GAN/VAE samples are enlarged by the learned upscaler on the canvas and in the slider preview,
not in nearest-neighbour blocks: digit-sr for models of digits, genart-sr for others."""

from __future__ import annotations

import numpy as np

from desktop_app.generate_panel import CANVAS_SIDE
from desktop_app.qimage import to_array
from desktop_app.sample_display import GUI_NETWORK_LIMIT
from genart_core.latents import enlarge as nearest
from genart_core.sharp_enlarge import DIGIT_UPSCALER, enlarge
from tests.gui.test_generate_panel import _sample, panel  # noqa: F401 - the panel fixture


def test_a_sample_put_on_the_canvas_and_in_the_preview_is_enlarged_sharply(qtbot, window, panel):  # noqa: F811
    _sample(qtbot, panel, 4)
    panel.grid_view.setCurrentRow(1)
    sample = panel._samples[1]
    factor = CANVAS_SIDE // sample.shape[0]
    panel.put_on_canvas()

    on_canvas = window.canvas.image_array()
    assert on_canvas.shape == (28 * factor, 28 * factor, 3)
    assert np.array_equal(on_canvas, enlarge(sample, 28 * factor, 28 * factor, network_limit=GUI_NETWORK_LIMIT))
    assert not np.array_equal(on_canvas, nearest(sample, factor))
    shown = to_array(panel.preview.pixmap().toImage())[..., :3]
    side = panel.preview.width()
    assert np.array_equal(shown, enlarge(sample, side, side, network_limit=GUI_NETWORK_LIMIT))


def test_a_digit_models_samples_are_enlarged_by_the_digit_upscaler(qtbot, window, panel):  # noqa: F811
    from tests.gui.test_generate_panel import _choose, _export

    _export("gan", "tiny-digit-gan", data="600 digits rendered from fonts, elastic distortion, seed 0")
    panel.refresh_models()
    _choose(panel, "tiny-digit-gan")
    assert panel._enlarger.upscaler == DIGIT_UPSCALER
    _sample(qtbot, panel, 2)
    panel.grid_view.setCurrentRow(0)
    sample = panel._samples[0]
    panel.put_on_canvas()
    factor = CANVAS_SIDE // sample.shape[0]
    on_canvas = window.canvas.image_array()
    assert np.array_equal(on_canvas, enlarge(sample, 28 * factor, 28 * factor, DIGIT_UPSCALER, network_limit=GUI_NETWORK_LIMIT))
    assert not np.array_equal(on_canvas, enlarge(sample, 28 * factor, 28 * factor, network_limit=GUI_NETWORK_LIMIT))
    _choose(panel, "tiny-gan")  # trained on "noise": the photo upscaler
    assert panel._enlarger.upscaler == "genart-sr"
