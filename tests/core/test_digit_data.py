"""Digits rendered from fonts: no missing-glyph boxes, labels that match the pictures, and the
offline diffusion model's training data (scripts/train_diffusion.py) made from them.

These need the system's fonts; they are skipped where no font draws digits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from genart_core.datasets import (
    DatasetError, _render_digit, digit_fonts, draws_every_digit, has_strokes_to_thin, installed_fonts, render_digits,
)
from genart_core.digit_reader import looks_empty, train_font_reader, training_fonts

needs_fonts = pytest.mark.skipif(not training_fonts(), reason="no installed font draws digits")
MISSING_CHARACTER = "\uffff"  # never assigned, so a font draws its .notdef box for it


def _installed(name: str) -> Path | None:
    return next((font for font in installed_fonts() if font.name == name), None)


def test_a_file_that_is_not_a_font_draws_no_digits(tmp_path):
    fake = tmp_path / "Broken.ttf"
    fake.write_bytes(b"\x00\x01\x00\x00 not really a font")
    assert not draws_every_digit(fake)


@pytest.mark.skipif(_installed("DroidSansFallbackFull.ttf") is None, reason="DroidSansFallbackFull is not installed")
def test_a_fallback_font_that_draws_boxes_for_digits_is_left_out():
    # The shipped offline model learned boxes from this font: it has no digit glyphs at all.
    droid = _installed("DroidSansFallbackFull.ttf")
    assert not draws_every_digit(droid)
    assert droid not in digit_fonts()


@pytest.mark.skipif(_installed("DejaVuSans.ttf") is None, reason="DejaVuSans is not installed")
def test_a_text_font_draws_every_digit():
    assert draws_every_digit(_installed("DejaVuSans.ttf"))
    assert has_strokes_to_thin(_installed("DejaVuSans.ttf"))


@pytest.mark.skipif(_installed("DejaVuSans-ExtraLight.ttf") is None, reason="DejaVuSans-ExtraLight is not installed")
def test_a_hairline_font_is_left_out():
    # Its digits are real glyphs, but the training pen thins them to faint grey smudges.
    hairline = _installed("DejaVuSans-ExtraLight.ttf")
    assert draws_every_digit(hairline)
    assert not has_strokes_to_thin(hairline)
    assert hairline not in digit_fonts()


@needs_fonts
@pytest.mark.parametrize("digit", range(10))
def test_no_font_renders_a_digit_as_its_missing_glyph_box(digit):
    # Each font's training picture of the digit has ink and differs from the picture the same
    # pipeline (same random size, slant, distortion) makes of a character the font lacks.
    for index, font in enumerate(digit_fonts()):
        picture = _render_digit(str(digit), font, 28, np.random.default_rng(index))
        missing = _render_digit(MISSING_CHARACTER, font, 28, np.random.default_rng(index))
        assert picture.max() > 128, f"{font.name} draws no ink for {digit}"
        assert not np.array_equal(picture, missing), f"{font.name} draws its missing-glyph box for {digit}"


@needs_fonts
def test_diffusion_training_data_labels_match_the_pictures():
    if len(training_fonts()) == len(digit_fonts()):
        pytest.skip("the judge's fonts (URW base-35) are not installed")
    from scripts.train_diffusion import DIGITS, LABELS, make_dataset

    images, labels = make_dataset(per_label=12, seed=3)
    assert images.shape == (12 * len(LABELS), 3, 32, 32) and images.dtype == torch.uint8
    assert np.array_equal(np.bincount(labels.numpy()), [12] * len(LABELS))
    pictures = images.permute(0, 2, 3, 1).numpy()
    digits = labels.numpy() < len(DIGITS)
    assert not any(looks_empty(picture) for picture in pictures[digits])
    # A reader that learned digits from other fonts reads them as labelled (a shifted or mixed-up
    # label would put this near 10%).
    readings = train_font_reader(count=600).probabilities(pictures[digits]).argmax(axis=1)
    assert (readings == labels.numpy()[digits]).mean() >= 0.85
    # The "no digit" test tells textures (no plain ground) from digits (on black).
    textures = np.isin(np.array(LABELS)[labels.numpy()], ["brick", "grass", "gravel"])
    assert np.mean([looks_empty(picture) for picture in pictures[textures]]) >= 0.9


def test_no_fonts_to_draw_digits_with_is_a_clear_error():
    with pytest.raises(DatasetError, match="No fonts"):
        render_digits(np.arange(3), 32, np.random.default_rng(0), fonts=[])


def test_training_batches_draw_the_asked_share_of_digits():
    from scripts.train_diffusion import DIGITS, LABELS, batch_indices

    labels = torch.arange(len(LABELS)).repeat_interleave(5)
    torch.manual_seed(0)
    weighted = labels[batch_indices(labels, 4000, 0.8)]
    uniform = labels[batch_indices(labels, 4000, None)]
    assert abs((weighted < len(DIGITS)).float().mean().item() - 0.8) < 0.03
    assert abs((uniform < len(DIGITS)).float().mean().item() - len(DIGITS) / len(LABELS)) < 0.03


def test_min_snr_weights_leave_noisy_timesteps_alone_and_damp_clean_ones():
    from genart_core.pipelines.tiny_diffusion import make_scheduler
    from scripts.train_diffusion import min_snr_weights

    alphas = make_scheduler().alphas_cumprod
    weights = min_snr_weights(alphas, 5.0)
    snr = alphas / (1 - alphas)
    assert torch.all(weights[snr <= 5] == 1)
    clean = snr > 5
    assert torch.allclose(weights[clean], 5 / snr[clean])  # SNR × weight = γ: no clean timestep outweighs a noisy one
    assert weights[0] < 0.01 and weights[-1] == 1
