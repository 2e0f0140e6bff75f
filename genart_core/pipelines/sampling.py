"""What the GAN and VAE pipelines (and training's sample sheets) share: finding the model, the codes
a seed stands for, slider axes, and decoding many codes with Cancel between chunks."""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from genart_core.api import GenArtError
from genart_core.device import seeded_generator
from genart_core.weights import ModelEntry, find_model

MAX_SAMPLES = 1024
CHUNK = 64  # codes decoded between two checks for Cancel
SLIDERS = 8  # at most this many latent sliders


def find_generative_model(kind: str, name: str) -> ModelEntry:
    """The named (or first) model of ``kind`` ("gan" or "vae"), with a hint on how to get one when there is none."""
    return find_model(kind, name or None, missing=f"Train one with “genart train {kind} …” or Train on folder… in the app.")


def sample_latents(count: int, latent_dim: int, seed: int) -> np.ndarray:
    """The codes a seed stands for: the same on every machine (CPU generator, fp32)."""
    return torch.randn(count, latent_dim, generator=seeded_generator(seed)).numpy()


def slider_axes(latent_dim: int) -> dict[str, np.ndarray]:
    """Directions (k × latent) and step sizes (k) that move the first coordinates of the code:
    for a GAN, whose noise has no learnt axes, and a VAE stored without its principal directions."""
    count = min(SLIDERS, latent_dim)
    return {"directions": np.eye(count, latent_dim, dtype=np.float32), "scales": np.ones(count, np.float32)}


def check_sample_count(count: int) -> None:
    """Before anything is loaded or drawn: a count of samples the app can make and show."""
    if not 1 <= count <= MAX_SAMPLES:
        raise GenArtError(f"Ask for between 1 and {MAX_SAMPLES} samples.")


def decode_in_chunks(ctx, latents: np.ndarray, decode: Callable[[np.ndarray], list[np.ndarray]]) -> list[np.ndarray]:
    """``decode`` over ``latents`` in chunks of about CHUNK, reporting progress and honouring Cancel between them."""
    images: list[np.ndarray] = []
    for chunk in np.array_split(latents, max(1, len(latents) // CHUNK)):
        ctx.check_cancelled()
        images += decode(chunk)
        ctx.report(len(images), len(latents), "Sampling")
    return images
