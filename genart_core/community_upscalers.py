"""Community upscaler files (ESRGAN, Real-ESRGAN, SwinIR, SPAN, … as people share them), read through spandrel.

This is the edge where such a file becomes a network: ``.safetensors`` is read with safetensors,
``.pth`` only with ``torch.load(weights_only=True)`` (tensors and plain containers; a pickle
that asks for anything else is refused instead of run), any other extension is refused. spandrel
then recognises the architecture from the tensor names and shapes. A file that is damaged, not a
network spandrel knows, or a network that does not enlarge RGB pictures ends in an UpscalerError.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from genart_core.api import GenArtError
from genart_core.model_files import check_safetensors_file

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

UPSCALER_SUFFIXES = (".safetensors", ".pth")
# Far above the largest shared upscalers (HAT-L and DAT are a few hundred MB), far below memory trouble.
MAX_FILE_BYTES = 2_000_000_000
# Input pixels of context each tile gets for a community network. Their receptive fields are wide
# (ESRGAN's 23 blocks see ~100 px), but what lies beyond ~16 px changes their output by well under
# one grey level, so a 16-pixel margin hides the seams without tiles three times larger.
COMMUNITY_MARGIN = 16


class UpscalerError(GenArtError):
    """An upscaler could not be used; the message says which file and why."""


def read_weights(path: Path) -> dict[str, "torch.Tensor"]:
    """The tensors of an upscaler file, read without running any code it may hold."""
    import torch

    suffix = path.suffix.lower()
    if suffix not in UPSCALER_SUFFIXES:
        raise UpscalerError(
            f"“{path.name}” is not an upscaler file GenArt Studio reads: use a .safetensors file "
            f"(or a .pth file, which is read as plain tensors only)."
        )
    if not path.is_file():
        raise UpscalerError(f"The upscaler file {path} does not exist (or is not a regular file).")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UpscalerError(f"“{path.name}” is {size / 1e9:.1f} GB; upscalers are at most {MAX_FILE_BYTES / 1e9:g} GB.")
    if suffix == ".safetensors":
        try:
            check_safetensors_file(path)  # header and byte ranges first: a clear message for a truncated download
        except GenArtError as exc:
            raise UpscalerError(str(exc)) from None
        from safetensors.torch import load_file

        try:
            return load_file(str(path), device="cpu")
        except Exception as exc:  # safetensors raises its own error type for a damaged file
            raise UpscalerError(f"“{path.name}” is damaged or not a .safetensors file ({exc}).") from None
    try:
        loaded = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # an UnpicklingError for a forbidden object, EOFError and friends for damage
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UpscalerError(
            f"“{path.name}” could not be read as plain weights ({first_line[:300]}). It may be damaged, or hold "
            "code as well as tensors, which GenArt Studio never runs; look for a .safetensors version."
        ) from None
    if not isinstance(loaded, dict):
        raise UpscalerError(f"“{path.name}” holds a {type(loaded).__name__}, not a dictionary of weights.")
    return loaded


def load_community_network(path: Path):
    """spandrel's ImageModelDescriptor for the upscaler in ``path`` (on the CPU, in eval mode)."""
    from spandrel import ImageModelDescriptor, ModelLoader, UnsupportedModelError, canonicalize_state_dict

    state = canonicalize_state_dict(read_weights(path))  # unwraps "params_ema", "module." prefixes
    try:
        descriptor = ModelLoader(device="cpu").load_from_state_dict(state)
    except UnsupportedModelError:
        raise UpscalerError(
            f"“{path.name}” is not a network spandrel recognises (ESRGAN, Real-ESRGAN, SwinIR, SPAN, HAT, DAT, …)."
        ) from None
    except (KeyError, ValueError, RuntimeError, IndexError, TypeError, AttributeError) as exc:
        # Tensor names of a known architecture with shapes that do not fit it: a damaged or edited file.
        raise UpscalerError(f"“{path.name}” looks like an upscaler but its weights do not fit together ({exc}).") from None
    if not isinstance(descriptor, ImageModelDescriptor) or descriptor.purpose != "SR" or descriptor.scale < 2:
        purpose = getattr(descriptor, "purpose", type(descriptor).__name__)
        raise UpscalerError(
            f"“{path.name}” is a {descriptor.architecture.name} network for {purpose}, not an upscaler "
            "(it does not enlarge pictures)."
        )
    if descriptor.input_channels != 3 or descriptor.output_channels != 3:
        raise UpscalerError(f"“{path.name}” works on {descriptor.input_channels}-channel pictures; only RGB upscalers are used.")
    log.info("Loaded %s (%s, ×%d) from %s", path.name, descriptor.architecture.name, descriptor.scale, path)
    return descriptor.eval()
