"""Sharp enlargements of small generated pictures: the learned upscaler, then Lanczos to the size."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from genart_core.engine import ModelCache
from genart_core.imaging import resize
from genart_core.pipelines.upscale import upscale_array
from genart_core.sharp_enlarge import enlarge, enlarge_by
from tests.core.test_upscale import noise, save_tiny_sr

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def tiny_sr(tmp_path) -> str:
    return str(save_tiny_sr(tmp_path / "tiny-sr"))


def test_the_network_enlarges_and_lanczos_makes_up_the_exact_size(tiny_sr: str) -> None:
    image = noise(28, 28)
    cache = ModelCache(1)
    assert np.array_equal(enlarge(image, 112, 112, tiny_sr, cache), upscale_array(image, 4, tiny_sr))
    # 28 -> 300: 4× (112), then 2× (224) by the network, then Lanczos the last 1.34×.
    twice = upscale_array(upscale_array(image, 4, tiny_sr), 2, tiny_sr)
    assert np.array_equal(enlarge(image, 300, 300, tiny_sr, cache), resize(twice, 300, 300))
    # Less than 1.5× to go: Lanczos alone.
    assert np.array_equal(enlarge(image, 40, 40, tiny_sr, cache), resize(image, 40, 40))
    assert not np.array_equal(enlarge(image, 112, 112, tiny_sr, cache), resize(image, 112, 112))


def test_a_grey_picture_stays_grey(tiny_sr: str) -> None:
    grey = noise(28, 28, channels=1, seed=4).repeat(3, axis=2)
    enlarged = enlarge(grey, 112, 112, tiny_sr)
    assert (enlarged[:, :, 0] == enlarged[:, :, 1]).all() and (enlarged[:, :, 1] == enlarged[:, :, 2]).all()
    colour = upscale_array(grey, 4, tiny_sr)
    assert not (colour[:, :, 0] == colour[:, :, 1]).all()  # what the network alone gives: fringes
    assert np.abs(enlarged.astype(int) - colour.mean(axis=2, keepdims=True).round()).max() <= 1


def test_network_limit_keeps_gui_thread_enlargements_cheap(tiny_sr: str) -> None:
    image = noise(28, 20, seed=1)
    limited = enlarge(image, 20 * 12, 28 * 12, tiny_sr, network_limit=4)
    assert np.array_equal(limited, resize(upscale_array(image, 4, tiny_sr), 20 * 12, 28 * 12))
    assert enlarge_by(image, 3, upscaler=tiny_sr, network_limit=2).shape == (84, 60, 3)
    assert enlarge_by(image, 1) is image


def test_without_an_upscaler_the_enlargement_is_lanczos_and_the_log_says_why(caplog: pytest.LogCaptureFixture) -> None:
    image = noise(16, 16, seed=2)
    with caplog.at_level(logging.WARNING):
        enlarged = enlarge(image, 64, 64, "no-such-upscaler")
    assert np.array_equal(enlarged, resize(image, 64, 64))
    assert "No upscaler called “no-such-upscaler”" in caplog.text


def test_the_bundled_upscaler_is_the_default() -> None:
    image = noise(28, 28, seed=3)
    assert np.array_equal(enlarge(image, 56, 56), upscale_array(image, 2, "genart-sr"))
