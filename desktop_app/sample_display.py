"""GAN and VAE samples enlarged for people to look at — the slider preview, the interpolation
strip, the ends A and B, a sample put on the canvas — by the learned upscaler rather than in
nearest-neighbour blocks (genart_core.sharp_enlarge): digit-sr for models of digits, genart-sr for
others (``upscaler``, which the panel sets from the chosen model's card).

It runs on the GUI thread, so the network enlarges at most 4× (one pass of digit-sr on a 28 px
sample; bench/detail.py enlarge times it) and Lanczos does the rest; the network stays loaded in
this object's own cache between slider moves.
"""

from __future__ import annotations

import numpy as np

from genart_core.engine import ModelCache
from genart_core.requests.upscale import DEFAULT_UPSCALER
from genart_core.sharp_enlarge import enlarge

GUI_NETWORK_LIMIT = 4


class SampleEnlarger:
    def __init__(self) -> None:
        self._cache = ModelCache(max_items=1)
        self.upscaler = DEFAULT_UPSCALER

    def by(self, image: np.ndarray, factor: int) -> np.ndarray:
        """``image`` ``factor`` times larger each way (as it is for a factor of 1 or less)."""
        if factor <= 1:
            return image
        height, width = image.shape[:2]
        return enlarge(image, width * factor, height * factor, self.upscaler, self._cache, network_limit=GUI_NETWORK_LIMIT)

    def to_fit(self, image: np.ndarray, side: int) -> np.ndarray:
        """``image`` enlarged to fit a ``side``×``side`` square, keeping its shape."""
        height, width = image.shape[:2]
        scale = side / max(height, width)
        if scale <= 1:
            return image
        return enlarge(
            image, max(1, round(width * scale)), max(1, round(height * scale)), self.upscaler, self._cache, network_limit=GUI_NETWORK_LIMIT,
        )
