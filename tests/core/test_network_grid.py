"""The instant network's 4-pixel grid is taken out, and nothing else is."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from genart_core.api import GenArtError
from genart_core.engine import Engine
from genart_core.fast_style.network_grid import PERIOD, without_grid
from genart_core.imaging import from_tensor, resize, to_tensor
from genart_core.requests.fast_style import FastStyleRequest, StyleVectorSource
from genart_core.styles import find_style


def _painting(height: int = 200, width: int = 264) -> np.ndarray:
    """A picture with no grid: smooth shading plus seeded fine texture (enlarged noise, so detail at
    every scale down to a couple of pixels, none of it periodic)."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:height, 0:width]
    shading = np.stack([80 + 100 * x / width, 60 + 120 * y / height, 150 + 40 * np.sin(x / 30)], axis=-1)
    texture = resize(rng.integers(0, 256, (height // 2, width // 2, 3), dtype=np.uint8), width, height).astype(float) - 128
    return np.clip(shading + 0.3 * texture, 0, 255)


def _grid(height: int, width: int) -> np.ndarray:
    """A period-4 pattern like the network's, stronger on the right than on the left."""
    cell = np.random.default_rng(4).uniform(-8, 8, (PERIOD, PERIOD, 3))
    cell -= cell.mean(axis=(0, 1))
    tiled = np.tile(cell, (height // PERIOD + 1, width // PERIOD + 1, 1))[:height, :width]
    return tiled * np.linspace(0.3, 1.0, width)[None, :, None]


def test_the_grid_is_taken_out_and_the_painting_stays():
    clean = _painting()
    grid = _grid(*clean.shape[:2])
    plain = clean.round().astype(np.uint8)
    painted = np.clip(clean + grid, 0, 255).round().astype(np.uint8)
    out = without_grid(painted)
    assert out.shape == painted.shape and out.dtype == np.uint8
    # The filter is linear (but for rounding): what it leaves of the grid is the difference its
    # results on the painting with and without the grid still have.
    left = out.astype(float) - without_grid(plain)
    assert np.sqrt((left**2).mean()) < np.sqrt((grid**2).mean()) / 4
    # A painting without the grid keeps its fine detail (no blur): the filter takes out only what
    # falls on the grid's frequencies, a few per cent of it.
    change = without_grid(plain).astype(float) - plain
    detail = plain - resize(resize(plain, 66, 50), 264, 200).astype(float)
    assert np.sqrt((change**2).mean()) < np.sqrt((detail**2).mean()) / 10


@pytest.mark.parametrize("shape", [(201, 263, 3), (61, 900, 3), (57, 57, 3)])
def test_any_size_keeps_its_size_and_small_pictures_stay_as_they_are(shape):
    picture = np.random.default_rng(5).integers(0, 256, shape, dtype=np.uint8)
    assert without_grid(picture).shape == shape
    tiny = picture[:40, :40]
    assert np.array_equal(without_grid(tiny), tiny)


def _grid_peaks(picture: np.ndarray) -> float:
    """How far the spectrum stands out at ¼ cycle per pixel (the grid's frequencies) against its median."""
    grey = picture.astype(float).mean(axis=2)
    spectrum = np.abs(np.fft.fft2(grey - grey.mean()))
    height, width = grey.shape
    return max(spectrum[0, width // PERIOD], spectrum[height // PERIOD, 0]) / np.median(spectrum)


def test_instant_results_come_without_the_grid_and_older_results_reproduce_with_it():
    from skimage import data

    photo = resize(data.astronaut(), 256, 256)
    request = FastStyleRequest(content=photo, styles=(StyleVectorSource("Mosaic", str(find_style("mosaic").path)),), size=None)
    engine = Engine()
    with_grid = engine.run(dataclasses.replace(request, remove_grid=False))
    without = engine.run(request)
    assert without.infos[0].extra["Network grid"] == "removed" and with_grid.infos[0].extra["Network grid"] == "kept"
    assert _grid_peaks(with_grid.images[0]) > 20  # the network's grid, as it paints it
    assert _grid_peaks(without.images[0]) < _grid_peaks(with_grid.images[0]) / 5
    recorded = request.to_dict() | {"content": "photo.png"}
    assert FastStyleRequest.from_dict(recorded).remove_grid is True
    del recorded["remove_grid"]
    assert FastStyleRequest.from_dict(recorded).remove_grid is False  # made before the grid was removed
    with pytest.raises(GenArtError, match="cannot be read back"):
        FastStyleRequest.from_dict({**recorded, "remove_grid": "yes"})


def test_learning_sees_the_same_filter_as_the_instant_path():
    import torch

    from genart_core.fast_style.network_grid import without_grid_tensor

    picture = np.clip(_painting(133, 170) + _grid(133, 170), 0, 255).round().astype(np.uint8)
    tensor = to_tensor(picture).requires_grad_(True)
    out = without_grid_tensor(tensor)
    back = from_tensor(out).astype(float)
    assert np.abs(back - without_grid(picture)).max() <= 1  # rounding apart
    out.sum().backward()  # differentiable: learning tunes the network through it
    assert torch.isfinite(tensor.grad).all() and tensor.grad.abs().sum() > 0
