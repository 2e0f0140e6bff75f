"""The sharpness figure: 1 for the data itself, lower when blurred, higher when noisier."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from genart_core.sharpness import gradient_energy, sharpness


def _strokes() -> torch.Tensor:
    images = torch.zeros(4, 1, 28, 28)
    images[:, :, 6:22, 12:15] = 1.0  # a vertical bar, three pixels wide
    images[1, :, 12:15, 6:22] = 1.0  # and a cross in one of them
    return images


def test_the_data_is_as_sharp_as_itself_and_a_flat_picture_has_no_gradient():
    images = _strokes()
    assert sharpness(images, images) == 1.0
    assert gradient_energy(torch.full((2, 1, 8, 8), 0.5)) == 0.0
    assert sharpness(images, torch.zeros_like(images)) == 0.0  # flat data: no scale to compare with


def test_blur_lowers_sharpness_step_by_step_and_noise_raises_it():
    images = _strokes()
    once = F.avg_pool2d(images, 3, 1, padding=1)
    twice = F.avg_pool2d(once, 3, 1, padding=1)
    assert 1.0 > sharpness(once, images) > sharpness(twice, images) > 0.0
    noisy = (images + 0.2 * torch.randn(images.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    assert sharpness(noisy, images) > 1.0


def test_the_perceptual_term_is_zero_for_a_perfect_reconstruction_and_grows_with_blur(tiny_weights):
    from genart_core.vae_terms import PerceptualDistance
    from genart_core.vgg_weights import load_vgg

    distance = PerceptualDistance(load_vgg(tiny_weights))
    images = _strokes()
    once = F.avg_pool2d(images, 3, 1, padding=1)
    twice = F.avg_pool2d(once, 3, 1, padding=1)
    assert float(distance(images, images)) == 0.0
    assert 0.0 < float(distance(once, images)) < float(distance(twice, images))
