"""Which request fields name files, and what a server lets a client name.

A client's paths mean nothing on the server, and letting a client name any server file would let
it read (or, for training output, write) whatever the server can. So:
- image paths (style transfer's content and styles) travel as attached images: the client reads
  them (``local_images``), the server puts the pixels back in (``with_attached_images``);
- any other path (a model folder, VGG weights, training data and output) is refused unless the
  server was started with ``--allow-paths DIR`` and the path lies inside DIR (``check_paths``).
Names (bundled models, "offline:…", hub ids like "org/model", "bundled:digits") are not paths.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

import numpy as np

from genart_core.api import Request
from genart_core.server.protocol import ProtocolError
from genart_core.requests.generative import BUNDLED_DATA, TrainRequest
from genart_core.requests.style import StyleTransferRequest

VGG_WEIGHT_NAMES = {"auto", "oxford", "torchvision"}


def image_paths(request: Request) -> list[str]:
    """The image files a request names (read by the client, sent as pixels)."""
    if not isinstance(request, StyleTransferRequest):
        return []
    found = [str(request.content)] if isinstance(request.content, (str, Path)) else []
    return found + [style.path for style in request.styles]


def local_images(request: Request) -> dict[str, np.ndarray]:
    """Client side: the pixels of each image file the request names, by the path as written."""
    from genart_core.imaging import load_image

    return {path: load_image(path) for path in image_paths(request)}


def with_attached_images(request: Request, images: dict[str, np.ndarray], folder: Path | None) -> Request:
    """Server side: the request with its image paths pointing at the attached pixels (the content
    as an array, which the pipeline takes; styles as PNG files written into ``folder``, which
    must be given when ``images`` is not empty)."""
    if not isinstance(request, StyleTransferRequest):
        return request
    from genart_core.imaging import to_pil

    content = images.get(str(request.content), request.content) if isinstance(request.content, (str, Path)) else request.content
    styles = []
    for index, style in enumerate(request.styles):
        if style.path in images:
            target = folder / f"style-{index}.png"
            to_pil(images[style.path]).save(target)
            style = dataclasses.replace(style, path=str(target))
        styles.append(style)
    return dataclasses.replace(request, content=content, styles=tuple(styles))


def _looks_like_path(text: str) -> bool:
    if text.startswith(("/", "~", ".")) or "\\" in text or ".." in Path(text).parts:
        return True
    return bool(Path(text).suffix) or os.path.exists(text)


def server_paths(request: Request) -> list[tuple[str, str]]:
    """(field, path) for every server-side path the request names, images left out."""
    found: list[tuple[str, str]] = []
    if isinstance(request, StyleTransferRequest):
        if request.weights not in VGG_WEIGHT_NAMES:
            found.append(("weights", request.weights))
    if isinstance(request, TrainRequest):
        if request.data not in BUNDLED_DATA:
            found.append(("data", request.data))
        if request.out:
            found.append(("out", request.out))
    model = getattr(request, "model", "")
    if isinstance(model, str) and model and not model.startswith("offline:") and _looks_like_path(model):
        found.append(("model", model))
    return found


def check_paths(request: Request, attached: dict[str, np.ndarray], allowed: Path | None) -> None:
    """Refuse (ProtocolError) any path outside ``allowed``, and image paths sent without their pixels."""
    for path in image_paths(request):
        if path not in attached and not _inside(path, allowed):
            raise ProtocolError(f"The image {path!r} was not attached; send its pixels in \"files\" (the client does this).")
    for field, path in server_paths(request):
        if not _inside(path, allowed):
            where = f"inside {allowed}" if allowed else "here: this server was started without --allow-paths"
            raise ProtocolError(f"The {field} path {path!r} is not allowed {where}. Use a model or data name instead.")


def _inside(path: str, allowed: Path | None) -> bool:
    if allowed is None:
        return False
    resolved = Path(os.path.realpath(Path(path).expanduser()))
    return resolved == allowed or allowed in resolved.parents


def job_folder() -> Path:
    """A private folder for one job's attached style images."""
    return Path(tempfile.mkdtemp(prefix="genart-job-"))
