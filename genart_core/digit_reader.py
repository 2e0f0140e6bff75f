"""Independent judges of generated digits: classifiers that never see a model's training digits.

Two readers: one trained on digits rendered from fonts that model training leaves out (URW's
base-35 family, ``JUDGE_FONT_FOLDERS``; the training data uses DejaVu and Noto), and one trained on
scikit-learn's 1797 handwritten digits (a weaker judge of font-like digits). Their accuracy on a
model's "digit N" pictures is compared with their accuracy on the model's training pictures.
Every picture goes through the same framing first, the one scikit-learn's digits were made with.

``looks_empty`` says when a picture holds no digit at all: no ink, or no plain background to
stand on (a texture).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from genart_core.datasets import DatasetError, digit_fonts, load_dataset, render_digits, to_channels

# Font folders whose digits only the judge learns from; model training data leaves them out.
JUDGE_FONT_FOLDERS = ("urw-base35",)
GRID = 8  # scikit-learn's digits are 8×8 …
BITMAP = 32  # … counts of lit pixels in 4×4 blocks of a 32×32 bitmap
BORDER = 2  # pixels around the edge that show the background
MIN_CONTRAST = 0.2  # ink at least this much brighter than the background (0–1 scale)
MAX_BACKGROUND_NOISE = 0.15  # border spread / contrast above which it is texture: training digits stay under 0.11, textures over 0.18


def _grey(image: np.ndarray) -> np.ndarray:
    """uint8 H×W or H×W×C -> float H×W in [0, 1]."""
    if image.ndim == 3:
        image = to_channels(image, 1)[..., 0]
    return image.astype(np.float32) / 255


def _ink(grey: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(ink = brightness above the background, contrast, background spread) of a light-on-dark picture."""
    edge = np.concatenate([grey[:BORDER].ravel(), grey[-BORDER:].ravel(), grey[:, :BORDER].ravel(), grey[:, -BORDER:].ravel()])
    background = float(np.median(edge))
    ink = np.clip(grey - background, 0, None)
    return ink, float(ink.max()), float(edge.std())


def looks_empty(image: np.ndarray) -> bool:
    """True when a picture shows no digit: almost no ink, or a background as busy as a texture."""
    _, contrast, spread = _ink(_grey(image))
    return contrast < MIN_CONTRAST or spread > MAX_BACKGROUND_NOISE * contrast


def frame(image: np.ndarray) -> np.ndarray:
    """A picture as scikit-learn's digits were made (UCI optdigits): the ink, cropped and scaled to
    fit a 32×32 box, made black and white, then the lit pixels counted in 4×4 blocks -> 64 values 0–16."""
    ink, contrast, _ = _ink(_grey(image))
    if contrast <= 0:
        return np.zeros(GRID * GRID, np.float32)
    rows, cols = np.nonzero(ink > 0.25 * contrast)
    crop = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = BITMAP / max(crop.shape)
    height, width = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    fitted = np.asarray(Image.fromarray(crop).resize((width, height), Image.Resampling.BILINEAR), np.float32)
    bitmap = np.zeros((BITMAP, BITMAP), np.float32)
    top, left = (BITMAP - height) // 2, (BITMAP - width) // 2
    bitmap[top : top + height, left : left + width] = fitted > 0.5 * contrast
    block = BITMAP // GRID
    return bitmap.reshape(GRID, block, GRID, block).sum(axis=(1, 3)).ravel()


@dataclass
class DigitReader:
    """A fitted classifier; ``probabilities`` reads a batch of pictures."""

    model: object  # sklearn classifier with predict_proba

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """N×10 class probabilities for N pictures (uint8 N×H×W[×C], light digits on a dark ground)."""
        return self.model.predict_proba(np.stack([frame(image) for image in images]))


def is_judge_font(font: Path) -> bool:
    return any(folder in font.parts for folder in JUDGE_FONT_FOLDERS)


def training_fonts() -> list[Path]:
    """The digit fonts a model's training data may use: all but the judge's."""
    return [font for font in digit_fonts() if not is_judge_font(font)]


def _fit(features: np.ndarray, labels: np.ndarray) -> DigitReader:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    # A support-vector classifier, with probabilities calibrated on held-out folds.
    return DigitReader(CalibratedClassifierCV(SVC(), ensemble=False).fit(features, labels))


def train_font_reader(count: int = 3000, size: int = 32, seed: int = 0) -> DigitReader:
    """A support-vector classifier fitted on ``count`` digits rendered from the judge's fonts only."""
    fonts = [font for font in digit_fonts() if is_judge_font(font)]
    if not fonts:
        raise DatasetError(f"None of the judge's fonts ({', '.join(JUDGE_FONT_FOLDERS)}) is installed.")
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count)
    pictures = render_digits(labels, size, rng, fonts)
    return _fit(np.stack([frame(picture) for picture in pictures]), labels)


def train_sklearn_reader(size: int = 32) -> DigitReader:
    """A support-vector classifier fitted on all 1797 scikit-learn digits, upscaled to ``size`` and framed."""
    digits = load_dataset("bundled:sklearn-digits", size, 1)
    return _fit(np.stack([frame(picture[..., 0]) for picture in digits.images]), digits.labels)
