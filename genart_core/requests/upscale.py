"""Enlarging a picture with a learned upscaler. Plain values only (no torch).

``model`` is "genart-sr" (the bundled networks: genart-sr at 2×, genart-sr-4x at 4×), the name
of another installed super-resolution model, a model folder, a community upscaler added with
``genart models add --upscaler``, or a .safetensors/.pth file (ESRGAN, Real-ESRGAN, SwinIR, SPAN,
… read through spandrel).
``detail`` blends a plain Lanczos enlargement (0) with the network's output (1): the network's
added detail is scaled by it, so 0.5 keeps half of the sharpening.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from genart_core.api import Request

DEFAULT_UPSCALER = "genart-sr"
SCALES = (2, 4)
DEFAULT_TILE = 192  # input pixels per tile side: a few hundred MB at most for the big community networks


@dataclass(frozen=True)
class UpscaleRequest(Request):
    """The result is the enlarged picture (RGB, or RGBA with the alpha enlarged by Lanczos)."""

    pipeline: ClassVar[str] = "genart_core.pipelines.upscale"
    supports_stop_and_keep: ClassVar[bool] = True
    image: np.ndarray | None = None
    scale: int = 2
    model: str = DEFAULT_UPSCALER
    detail: float = 1.0
    tile: int = DEFAULT_TILE
