"""Training data, latent arithmetic and the diversity figure (no fonts needed: CI fonts differ)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from genart_core.datasets import DatasetError, load_dataset
from genart_core.diversity import mean_pairwise_distance, measure
from genart_core.latents import interpolation_path, make_grid, slerp


def test_folder_images_are_squared_resized_converted_and_bad_files_skipped(tmp_path):
    Image.new("RGB", (60, 40), (255, 0, 0)).save(tmp_path / "wide.png")
    sub = tmp_path / "more"
    sub.mkdir()
    Image.new("L", (20, 30), 128).save(sub / "tall.jpg")
    (tmp_path / "broken.png").write_bytes(b"not an image")
    (tmp_path / "notes.txt").write_text("ignored")
    data = load_dataset(str(tmp_path), 28, 3)
    assert data.images.shape == (2, 28, 28, 3) and data.images.dtype == np.uint8 and data.labels is None
    assert "1 unreadable skipped" in data.description
    grey = load_dataset(str(tmp_path), 32, 1)
    assert grey.images.shape == (2, 32, 32, 1)
    assert abs(int(grey.images[grey.images[:, 0, 0, 0] != 128][0, 0, 0, 0]) - 76) <= 1  # red -> luma 76


@pytest.mark.parametrize("make", [lambda p: None, lambda p: Image.new("L", (8, 8)).save(p / "only.png")])
def test_folders_without_enough_images_are_clear_errors(tmp_path, make):
    make(tmp_path)
    with pytest.raises(DatasetError, match=str(tmp_path.name)):
        load_dataset(str(tmp_path), 28, 1)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(str(tmp_path / "nowhere"), 28, 1)


def test_sklearn_digits_have_labels_and_light_strokes_on_dark():
    data = load_dataset("bundled:sklearn-digits", 28, 1)
    assert data.images.shape == (1797, 28, 28, 1) and set(np.unique(data.labels)) == set(range(10))
    assert data.images[:, 0, 0].mean() < 20 and data.images.max() > 200


def test_slerp_keeps_ends_and_norm():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(16), rng.standard_normal(16)
    b *= np.linalg.norm(a) / np.linalg.norm(b)
    path = interpolation_path(a, b, 7)
    assert np.allclose(path[0], a, atol=1e-5) and np.allclose(path[-1], b, atol=1e-5)
    assert np.allclose(np.linalg.norm(path, axis=1), np.linalg.norm(a), rtol=1e-4)  # a straight line would sag
    assert np.allclose(slerp(a, a, 0.3), a)


def test_grid_layout():
    images = [np.full((4, 5, 3), i * 40, np.uint8) for i in range(5)]
    sheet = make_grid(images, columns=3, gap=1)
    assert sheet.shape == (2 * 5 + 1, 3 * 6 + 1, 3)
    assert sheet[6, 1, 0] == 120  # the fourth image starts the second row


def test_diversity_is_zero_for_copies_and_near_one_for_data_itself():
    data = torch.rand(40, 1, 8, 8)
    labels = torch.arange(40) % 4
    collapsed = measure(data[:1].repeat(16, 1, 1, 1), data, labels)
    assert collapsed.diversity == 0 and collapsed.classes == 1 and collapsed.coverage == 0.25
    varied = measure(data[:20], data, labels)
    assert 0.8 < varied.diversity < 1.2 and varied.coverage == 1.0
    assert mean_pairwise_distance(torch.zeros(1, 3)) == 0.0
