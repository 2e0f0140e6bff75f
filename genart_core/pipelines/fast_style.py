"""Instant style transfer: one pass of the arbitrary-style network (genart_core/fast_style/).

The style vector is the sources' mixed vectors (predicted from the painting, or learned),
pulled towards the content's own vector by strength and perturbed by the seed's variation.
Imports neither torch nor onnx on the default (onnxruntime) path, so the first result after
launch does not wait for torch.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import sys
import time
from typing import Protocol

import numpy as np
from PIL import Image

from genart_core.api import GenArtError, GenerationInfo, Result
from genart_core.engine import RunContext
from genart_core.fast_style import style_space
from genart_core.fast_style.file_memo import FileMemo
from genart_core.fast_style.learned_styles import LearnedStyle, read_learned
from genart_core.fast_style.live_update import (
    LANCZOS_SUPPORT,
    LiveBase,
    LiveMemo,
    changed_box,
    crop_plan,
    enlarged_part,
    resized_part,
    to_larger,
    to_smaller,
    worth_a_part,
)
from genart_core.fast_style.network_grid import without_grid
from genart_core.fast_style.pictures import (
    MIN_CONTENT_SIDE,
    content_picture,
    keep_content_colors,
    paint_at_network_side,
    painting_size,
    painting_square,
    style_square,
)
from genart_core.requests.fast_style import FastStyleRequest, StyleVectorSource
from genart_core.requests.style import ColorMode

log = logging.getLogger(__name__)
BACKENDS = ("auto", "onnxruntime", "torch")


class StyleNetworks(Protocol):
    name: str

    def predict(self, style_square: np.ndarray) -> np.ndarray: ...

    # With ``statistics`` (as stylize_recording gives them), a picture is normalised by those
    # instead of its own: Live updates of a crop (fast_style/live_update.py).
    def stylize(self, content: np.ndarray, style_vector: np.ndarray, norm_offsets: dict[str, np.ndarray] | None = None,
                statistics: list | None = None) -> np.ndarray: ...

    def stylize_recording(self, content: np.ndarray, style_vector: np.ndarray,
                          norm_offsets: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, list]: ...


def resolve_backend(backend: str) -> str:
    """What "auto" means in this process. onnxruntime until torch is loaded: importing torch takes
    seconds (~2.7 s here, quiet) that would come before the first result, while onnxruntime
    imports in ~0.2 s. Once something else has loaded torch (the app does, in the background),
    our module runs where torch is faster: on a GPU, or on a CPU where the core measured bf16 as
    faster than fp32 (device.fast_dtype) — on the AVX-512 BF16 development CPU, 0.064 s against
    onnxruntime's 0.094 s at 512² (bench/fast_style.py). On a CPU without that gain onnxruntime's
    rewritten graph is the faster (0.094 s against 0.134 s in fp32), and it stays."""
    if backend != "auto":
        return backend
    if not imported("torch"):
        return "onnxruntime"
    from genart_core.device import choose_device, fast_dtype

    device = choose_device()
    faster_in_torch = device.type != "cpu" or fast_dtype(device) is not sys.modules["torch"].float32
    return "torch" if faster_in_torch else "onnxruntime"


def imported(name: str) -> bool:
    """Whether module ``name`` has finished importing. A module is in sys.modules from the start of
    its import; touching it while another thread still imports it waits for the whole import. The
    app imports torch on its job worker after the first instant result: a strength moved meanwhile
    waited up to 6 s for torch instead of running on onnxruntime at once. CPython's import marks
    a module's spec ``_initializing`` until its import ends, and checks that flag itself."""
    module = sys.modules.get(name)
    return module is not None and not getattr(getattr(module, "__spec__", None), "_initializing", False)


def load_networks(backend: str, threads: int | None = None) -> StyleNetworks:
    """The networks on ``backend``: "onnxruntime" (or "auto", see resolve_backend) runs the derived
    float graphs; "torch" runs our module (GPU when present)."""
    backend = resolve_backend(backend)
    if backend == "onnxruntime":
        from genart_core.fast_style.onnx_runtime import OnnxStyleNetworks

        return OnnxStyleNetworks(threads)
    if backend == "torch":
        from genart_core.fast_style.torch_runtime import TorchStyleNetworks

        return TorchStyleNetworks(threads)
    raise GenArtError(f"Unknown instant-style backend “{backend}”: use {', '.join(BACKENDS)}.")


def networks_for(ctx: RunContext, backend: str) -> StyleNetworks:
    resolved = resolve_backend(backend)  # "auto" moves to torch once torch is loaded: cache by what runs
    return ctx.cache.get_or_load(("fast-style", resolved), lambda: load_networks(resolved))


# Style sources stay the same between Live mode's updates: their vectors are remembered per file version.
_from_files = FileMemo()


def _learned(path: str) -> LearnedStyle:
    return _from_files.get(path, "learned", lambda: read_learned(path))


def source_vector(networks: StyleNetworks, source: StyleVectorSource) -> np.ndarray:
    if source.kind == "learned":
        return _learned(source.path).vector
    if source.kind == "image":
        # The vector as this runtime predicts it (the two runtimes differ in the last digits).
        return _from_files.get(source.path, networks.name, lambda: networks.predict(painting_square(source.path)))
    raise GenArtError(f"Unknown style vector source “{source.kind}” for {source.name}: use image or learned.")


def norm_offsets(request: FastStyleRequest) -> dict[str, np.ndarray]:
    """The learned sources' γ/β offsets, mixed with the sources' weights (a painting's own vector
    brings none) and scaled by strength, as the vector moves from the content's own towards the style."""
    total = sum(source.weight for source in request.styles)
    mixed: dict[str, np.ndarray] = {}
    for source in request.styles:
        if source.kind != "learned":
            continue
        for name, offset in _learned(source.path).norm_offsets.items():
            mixed[name] = mixed.get(name, 0) + offset * (source.weight / total * request.strength)
    return mixed


def style_vector(networks: StyleNetworks, request: FastStyleRequest, content: np.ndarray) -> np.ndarray:
    """The vector the request asks for: mixed, strength applied (against the content's own), varied."""
    if not 0 <= request.strength <= 2:
        raise GenArtError("Strength must be between 0 and 2.")
    vectors = [source_vector(networks, source) for source in request.styles]
    mixed = style_space.mix(vectors, [source.weight for source in request.styles])
    if request.strength != 1:
        mixed = style_space.with_strength(networks.predict(style_square(content)), mixed, request.strength)
    return style_space.with_variation(mixed, request.seed, request.variation)


def run(request: FastStyleRequest, ctx: RunContext) -> Result:
    if not request.styles:
        raise GenArtError("Choose at least one style.")
    if request.preserve_colors is ColorMode.MATCH:
        raise GenArtError("Instant style keeps the photo's colours by brightness only: use luminance (match needs the optimisation).")
    if request.network_side is not None and request.network_side < MIN_CONTENT_SIDE:
        raise GenArtError(f"The network needs to paint at least {MIN_CONTENT_SIDE} pixels on the longer side, not {request.network_side}.")
    networks = networks_for(ctx, request.backend)
    live = _live_memo(ctx, request)
    base = live.base if live is not None and live.base is not None and live.base.follows(request, networks.name) else None
    content = _resized_again(request.content, base) if base is not None else None
    if content is None:
        content = content_picture(request.content, request.size)
    if base is not None and content.shape != base.content.shape:
        base = None
    ctx.check_cancelled()
    started = time.perf_counter()
    updated = _crop_update(networks, request, base, content) if base is not None else None
    if updated is not None:
        (image, crop), vector, statistics = updated, base.vector, base.statistics
    else:
        vector = style_vector(networks, request, content)
        started = time.perf_counter()  # looking the vector up is not stylising
        image, statistics = _full_pass(networks, request, content, vector, recording=live is not None)
        crop = None
    if live is not None:
        canvas = request.content if isinstance(request.content, np.ndarray) else None
        live.base = LiveBase(request, networks.name, canvas, content, image, vector, statistics, settled=crop is None)
    seconds = time.perf_counter() - started
    height, width = image.shape[:2]
    info = GenerationInfo(
        seed=request.seed,
        width=width,
        height=height,
        model=request.network,
        extra={
            "Styles": ", ".join(f"{s.name} ({s.kind}) {s.weight:g}" for s in request.styles),
            "Strength": request.strength,
            "Variation": request.variation,
            "Preserve colors": request.preserve_colors.value,
            "Painted at": "{}x{}".format(*painting_size(content, request.network_side)),
            "Network grid": "removed" if request.remove_grid else "kept",
            # Reproduce rebuilds the vector from the sources; this tells whether it came out the same.
            "Style vector": hashlib.sha256(vector.astype(np.float32).tobytes()).hexdigest()[:16],
            "Backend": networks.name,
        },
        # The runtime that ran, not "auto": auto changes once torch is loaded, and Reproduce should
        # remake the picture on the runtime that made it.
        request=dataclasses.replace(request, backend=networks.name).to_dict(),
    )
    log.info("Instant style: %dx%d in %.3f s on %s", width, height, seconds, networks.name)
    # "crop": the (top, left, bottom, right) a Live update restyled; () when nothing changed, None
    # for the whole picture.
    extras = {"seconds": seconds, "backend": networks.name, "style_vector": vector.tolist(), "crop": crop}
    return Result([image], [info], extras=extras)


def _full_pass(networks: StyleNetworks, request: FastStyleRequest, content: np.ndarray, vector: np.ndarray,
               recording: bool) -> tuple[np.ndarray, list | None]:
    """The whole picture restyled and (when ``recording``) its normalisation statistics, for the
    Live updates after it."""
    offsets = norm_offsets(request)
    statistics = None

    def paint(picture: np.ndarray) -> np.ndarray:
        nonlocal statistics
        if recording:
            painted, statistics = networks.stylize_recording(picture, vector, offsets)
        else:
            painted = networks.stylize(picture, vector, offsets)
        # Before any enlarging: the grid is the network's, in its pixels.
        return without_grid(painted) if request.remove_grid else painted

    image, _ = paint_at_network_side(paint, content, request.network_side)
    if request.preserve_colors is ColorMode.LUMINANCE:
        image = keep_content_colors(image, content)
    return image, statistics


def _live_memo(ctx: RunContext, request: FastStyleRequest) -> LiveMemo | None:
    """The engine's memo of the previous Live update, for a Live request."""
    return ctx.cache.get_or_load(("fast-style-live",), LiveMemo) if request.live else None


def _resized_again(canvas: object, base: LiveBase) -> np.ndarray | None:
    """The content of a Live update on a canvas larger than the request's size, from the previous
    update's: only the part of the canvas that changed is shrunk again (a 3000×2000 canvas took
    0.2 s to shrink to the 1024-px preview). None where it must be made afresh."""
    if not isinstance(canvas, np.ndarray) or base.canvas is None or canvas.shape != base.canvas.shape or canvas.shape[2:] != (3,):
        return None
    if canvas.shape == base.content.shape:
        return None  # not shrunk: content_picture gives the canvas itself
    changed = changed_box(base.canvas, canvas)
    if changed is None:
        return base.content
    height, width = base.content.shape[:2]
    part = to_smaller(changed, (canvas.shape[1], canvas.shape[0]), (width, height))
    if not worth_a_part(part, height, width):
        return None
    content = base.content.copy()
    content[part.slices()] = resized_part(canvas, (width, height), part, Image.Resampling.LANCZOS, LANCZOS_SUPPORT)
    return content


def _crop_update(networks: StyleNetworks, request: FastStyleRequest, base: LiveBase,
                 content: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]] | None:
    """The base's picture with the part ``content`` changed restyled (live_update), and the box of
    the result the network restyled (empty when nothing changed); None where a full pass is wanted
    instead: a large change, or nothing changed since crop updates (settle: see live_update)."""
    changed = changed_box(base.content, content)
    if changed is None:
        return (base.image, ()) if base.settled else None
    height, width = content.shape[:2]
    size = painting_size(content, request.network_side)
    scaled = size != (width, height)  # painted smaller, then enlarged with the photo's detail
    plan = crop_plan(to_smaller(changed, (width, height), size) if scaled else changed, size[1], size[0])
    if plan is None:
        return None
    crop, paste = plan
    part = resized_part(content, size, crop, Image.Resampling.LANCZOS, LANCZOS_SUPPORT) if scaled else content[crop.slices()]
    painted = networks.stylize(part, base.vector, norm_offsets(request), base.statistics)
    if request.remove_grid:
        painted = without_grid(painted)
    if scaled:
        target = to_larger(paste, size, (width, height))
        painted = enlarged_part(painted, crop, content, size, target)
        restyled = to_larger(crop, size, (width, height), support=0)
    else:
        target, painted, restyled = paste, painted[paste.slices(crop)], crop
    if request.preserve_colors is ColorMode.LUMINANCE:
        painted = keep_content_colors(painted, content[target.slices()])
    image = base.image.copy()
    image[target.slices()] = painted
    return image, (restyled.top, restyled.left, restyled.bottom, restyled.right)
