"""Training and evaluation data for the digit upscaler (digit-sr): the GAN's and VAE's kind of
28 px digits, paired with the same digits drawn sharp at a higher resolution.

Each digit is drawn as the GAN/VAE training data is (genart_core.datasets: a font, stroke weight,
slant, rotation, elastic distortion, framed as MNIST frames it), but on a larger canvas and framed
at 28·scale pixels: that is the truth. Its 28 px input is the truth reduced by Lanczos, which is how
the framing makes the 28 px training digits from the drawn one; half the time it is softened a
little more first, as generated samples are softer than their data. Training draws from the
digit fonts outside the digit judge's URW family; evaluation draws from the URW fonts only, with
another seed, so the figures are on fonts and shapes the network never saw.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from genart_core.datasets import DatasetError, digit_fonts, render_digits
from genart_core.digit_reader import is_judge_font
from genart_core.imaging import resize

SIDE = 28  # the GAN's and VAE's samples
INK = 128  # grey level from which a pixel counts as ink when measuring strokes


def held_out_fonts() -> list[Path]:
    """The digit judge's fonts (digit_reader.training_fonts are the others)."""
    return [font for font in digit_fonts() if is_judge_font(font)]


def digit_pairs(count: int, scale: int, seed: int, fonts: list[Path], detail: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs uint8 N×28×28, truths uint8 N×28s×28s): ``count`` digits drawn on a canvas
    ``detail`` times the usual one (enough that the truth is not itself an enlargement: detail ≥
    scale / 2), each truth reduced by Lanczos to its input."""
    if not fonts:
        raise DatasetError("No fonts were found to draw digits with.")
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count)
    truths = render_digits(labels, SIDE * scale, rng, fonts, detail)
    inputs = np.stack([resize(truth, SIDE, SIDE) for truth in truths])
    return inputs, truths


def soften(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Half the time a little Gaussian blur (σ 0.3–0.8 px), as generated samples are soft."""
    if rng.random() < 0.5:
        return digit
    return np.asarray(Image.fromarray(digit).filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 0.8)))))


def stroke_thickness_ratio(made: np.ndarray, truth: np.ndarray) -> float:
    """How thick the strokes of ``made`` are relative to ``truth`` (the same digit at the same size,
    white on black; 1 = as thick): the ratio of their ink areas (pixels at grey ≥ 128). The two
    follow the same centre lines, so the ratio of areas is the ratio of mean stroke widths; unlike
    area over outline length it does not depend on how jagged the outline is. A blur that keeps
    edges where they were keeps it near 1; bolder strokes or a closed gap raise it."""
    truth_area = int((truth >= INK).sum())
    return float((made >= INK).sum()) / truth_area if truth_area else float("nan")
