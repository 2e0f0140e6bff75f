"""The style space of the instant network: every style is a 100-number vector, so strength, mixing
and variation are arithmetic on vectors (numpy only, cheap enough to redo on every slider move)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from genart_core.api import GenArtError

# The seeded perturbation's size per unit of ``variation``, relative to the vector's own spread.
VARIATION_SCALE = 0.25


def mix(vectors: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """Weighted average of style vectors (weights are normalised to sum to 1)."""
    total = float(sum(weights))
    if not vectors or total <= 0:
        raise GenArtError("Choose at least one style with a weight above zero.")
    return sum(np.asarray(v, np.float64) * (w / total) for v, w in zip(vectors, weights)).astype(np.float32)


def with_strength(content_vector: np.ndarray, style_vector: np.ndarray, strength: float) -> np.ndarray:
    """0 = the content's own style (the photo, re-rendered), 1 = the style, above 1 = exaggerated."""
    return (content_vector + strength * (style_vector - content_vector)).astype(np.float32)


def with_variation(vector: np.ndarray, seed: int, amount: float) -> np.ndarray:
    """A small seeded perturbation: the same seed and amount always give the same vector."""
    if amount == 0:
        return vector
    noise = np.random.default_rng(seed).standard_normal(vector.shape)
    return (vector + amount * VARIATION_SCALE * float(np.std(vector)) * noise).astype(np.float32)
