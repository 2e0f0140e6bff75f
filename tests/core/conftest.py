"""Fixtures shared by the core tests."""

from __future__ import annotations

import pytest
import torch

from tests.core.vgg_helpers import save_tiny_vgg, stripes, write


@pytest.fixture
def one_torch_thread():
    """Tiny models gain nothing from threads, and on a busy machine OpenMP spin-waits make them crawl."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def empty_hf_cache(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """A Hugging Face cache with nothing in it, whatever this machine has downloaded."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-hub"))


@pytest.fixture
def tiny_weights(tmp_path):
    """The tiny seeded VGG of vgg_helpers, saved, as a weights path for style-transfer requests."""
    return str(save_tiny_vgg(tmp_path))


@pytest.fixture
def style_file(tmp_path):
    """A small striped style image on disk."""
    return str(write(tmp_path / "stripes.png", stripes()))


@pytest.fixture(scope="module")
def tiny_sd(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny random-weight Stable Diffusion folder saved by diffusers, one per test module."""
    from tests.core.test_diffusion import build_tiny_sd

    return str(build_tiny_sd(tmp_path_factory.mktemp("tiny-sd")))

