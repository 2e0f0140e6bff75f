"""Enlarging small generated pictures for people to look at — the GAN's and VAE's 28 px digits on
the canvas, in the slider preview and the interpolation strip; the offline diffusion model's
32 px output — with the learned upscaler instead of nearest-neighbour blocks or a soft resize:
digit-sr for models of digits (``sample_upscaler``), genart-sr for the rest.

The network enlarges 4× (or 2×) at a time while at least 1.5× is still to go and it has not yet
enlarged ``network_limit`` times; Lanczos makes up the rest, up or down, to the exact size. A grey
picture comes back grey. The cost grows with the output's pixels: with genart-sr on one thread of
the loaded shared CPU, 28 → 112 px took 38 ms and 28 → 504 px 1.3 s; so callers on the GUI thread
pass network_limit=4 and the network's sharper edges are then enlarged smoothly. Without any
learned upscaler installed (a damaged installation), the enlargement is Lanczos, and the log says
why once.
"""

from __future__ import annotations

import logging

import numpy as np

from genart_core.api import CancelToken, GenArtError
from genart_core.engine import ModelCache
from genart_core.imaging import resize
from genart_core.requests.upscale import DEFAULT_UPSCALER

log = logging.getLogger(__name__)

NETWORK_FROM = 1.5  # below this much enlargement left, Lanczos finishes the job
DIGIT_UPSCALER = "digit-sr"  # the bundled upscaler trained on drawn digits (scripts/train_upscaler.py --data digits)
_warned: set[str] = set()  # upscalers whose absence was logged already (once per run is enough)


def enlarge(
    image: np.ndarray, width: int, height: int, upscaler: str = DEFAULT_UPSCALER,
    cache: ModelCache | None = None, cancel: CancelToken | None = None, network_limit: int = 16,
) -> np.ndarray:
    """``image`` (uint8 H×W×C) at width×height: the learned ``upscaler`` for the enlargement, Lanczos
    for the rest. Pass a ModelCache to keep the network loaded between calls."""
    from genart_core.pipelines.upscale import upscale_array

    picture = image
    try:
        while min(width / picture.shape[1], height / picture.shape[0]) >= NETWORK_FROM:
            left = min(width / picture.shape[1], height / picture.shape[0])
            allowed = network_limit * image.shape[1] // picture.shape[1]
            scale = 4 if left >= 4 and allowed >= 4 else 2
            if allowed < scale:
                break
            picture = upscale_array(picture, scale, upscaler, cancel=cancel, cache=cache)
    except GenArtError as exc:
        if upscaler not in _warned:
            _warned.add(upscaler)
            log.warning("Enlarging with Lanczos: %s", exc)
        picture = image
    if picture.shape[:2] != (height, width):
        picture = resize(picture, width, height)
    if picture is not image and _is_grey(image):
        # The network works on colour and leaves faint colour fringes on grey pictures (the digits).
        grey = picture[:, :, :3].mean(axis=2).round().astype(np.uint8)
        picture = np.dstack([grey, grey, grey, *([picture[:, :, 3]] if picture.shape[2] == 4 else [])])
    return picture


def sample_upscaler(card: dict) -> str:
    """The upscaler for a GAN's or VAE's samples, from its model card: digit-sr for a model of grey
    digits (the photo-trained genart-sr thickens their strokes and closes narrow gaps; digit-sr
    learned strokes from digits drawn sharp), genart-sr for anything else (faces, colour pictures)."""
    config = card.get("config")
    grey = isinstance(config, dict) and config.get("channels") == 1
    return DIGIT_UPSCALER if grey and "digit" in str(card.get("data", "")).lower() else DEFAULT_UPSCALER


def _is_grey(image: np.ndarray) -> bool:
    return image.ndim == 3 and image.shape[2] >= 3 and bool((image[:, :, 0] == image[:, :, 1]).all() and (image[:, :, 1] == image[:, :, 2]).all())


def enlarge_by(image: np.ndarray, factor: int, **options) -> np.ndarray:
    """``image`` ``factor`` times larger each way (see enlarge)."""
    if factor <= 1:
        return image
    return enlarge(image, image.shape[1] * factor, image.shape[0] * factor, **options)
