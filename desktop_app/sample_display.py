"""GAN and VAE samples enlarged for people to look at — the slider preview, the interpolation
strip, the ends A and B, a sample put on the canvas — by the learned upscaler rather than in
nearest-neighbour blocks (genart_core.sharp_enlarge).

It runs on the GUI thread, so the network enlarges at most 4× (a 28 px sample: 38 ms on one
thread of the loaded shared CPU, against 1.3 s for the 18× of the canvas) and Lanczos does the rest; the network stays loaded in this
object's own cache between slider moves.
"""

from __future__ import annotations

import numpy as np

from genart_core.engine import ModelCache
from genart_core.sharp_enlarge import enlarge

GUI_NETWORK_LIMIT = 4


class SampleEnlarger:
    def __init__(self) -> None:
        self._cache = ModelCache(max_items=1)

    def by(self, image: np.ndarray, factor: int) -> np.ndarray:
        """``image`` ``factor`` times larger each way (as it is for a factor of 1 or less)."""
        if factor <= 1:
            return image
        height, width = image.shape[:2]
        return enlarge(image, width * factor, height * factor, cache=self._cache, network_limit=GUI_NETWORK_LIMIT)

    def to_fit(self, image: np.ndarray, side: int) -> np.ndarray:
        """``image`` enlarged to fit a ``side``×``side`` square, keeping its shape."""
        height, width = image.shape[:2]
        scale = side / max(height, width)
        if scale <= 1:
            return image
        return enlarge(image, max(1, round(width * scale)), max(1, round(height * scale)), cache=self._cache, network_limit=GUI_NETWORK_LIMIT)
