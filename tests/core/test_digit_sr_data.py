"""Data for the digit upscaler: sharp digits and their 28 px inputs, fonts kept apart, stroke widths."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from genart_core.datasets import DatasetError, digit_fonts, render_digits
from genart_core.digit_reader import training_fonts
from genart_core.digit_sr_data import digit_pairs, held_out_fonts, soften, stroke_thickness_ratio
from genart_core.imaging import resize


def test_each_input_is_its_sharp_truth_reduced_to_28_px() -> None:
    inputs, truths = digit_pairs(4, 4, seed=0, fonts=training_fonts()[:3], detail=2)
    assert inputs.shape == (4, 28, 28) and truths.shape == (4, 112, 112)
    assert inputs.dtype == truths.dtype == np.uint8
    for small, sharp in zip(inputs, truths):
        assert np.array_equal(small, resize(sharp, 28, 28))
        assert sharp.max() > 200 and sharp[0].max() == 0  # white ink, black border as the MNIST framing leaves


def test_the_held_out_fonts_are_none_of_the_training_fonts() -> None:
    held_out, training = held_out_fonts(), training_fonts()
    if not held_out:
        pytest.skip("the digit judge's URW fonts are not installed here")
    assert not set(held_out) & set(training) and set(held_out) | set(training) == set(digit_fonts())


def test_without_fonts_the_pairs_are_refused_with_a_message() -> None:
    with pytest.raises(DatasetError, match="No fonts"):
        digit_pairs(2, 4, seed=0, fonts=[], detail=1)


def test_a_larger_canvas_draws_the_same_digit_larger_and_detail_one_is_unchanged() -> None:
    fonts = training_fonts()[:2]
    labels = np.array([1, 7])
    usual = render_digits(labels, 28, np.random.default_rng(5), fonts)
    assert np.array_equal(usual, render_digits(labels, 28, np.random.default_rng(5), fonts, detail=1))
    large = render_digits(labels, 112, np.random.default_rng(5), fonts, detail=4)
    # Same font, size, weight, slant and rotation drawn; only the elastic field's noise differs.
    for small, big in zip(usual, large):
        ink_small, ink_big = (small > 128).mean(), (resize(big, 28, 28) > 128).mean()
        assert abs(ink_small - ink_big) < 0.5 * max(ink_small, ink_big)


def test_the_stroke_thickness_ratio_is_the_ratio_of_widths_of_the_same_strokes() -> None:
    def bar(width: int) -> np.ndarray:
        picture = np.zeros((40, 60), np.uint8)
        picture[20 - width // 2:20 - width // 2 + width, 10:50] = 255
        return picture

    assert stroke_thickness_ratio(bar(6), bar(4)) == pytest.approx(1.5)
    assert stroke_thickness_ratio(bar(4), bar(4)) == 1.0
    blurred = np.asarray(Image.fromarray(bar(6)).filter(ImageFilter.GaussianBlur(1.5)))
    assert stroke_thickness_ratio(blurred, bar(6)) == pytest.approx(1.0, abs=0.1)  # soft, not bolder


def test_softening_blurs_about_half_the_digits_and_keeps_the_rest() -> None:
    digit = np.zeros((28, 28), np.uint8)
    digit[8:20, 13:15] = 255
    rng = np.random.default_rng(0)
    softened = [soften(digit, rng) for _ in range(200)]
    kept = sum(np.array_equal(s, digit) for s in softened)
    assert 70 < kept < 130
    assert all(s.shape == digit.shape and s.dtype == np.uint8 for s in softened)
