"""Which runtime runs Stable Diffusion's networks on this machine: "torch" or "openvino".

$GENART_CPU_BACKEND=torch|openvino decides outright (on a CPU). Otherwise GPUs and Apple chips
use torch, and a CPU uses OpenVINO where a one-off measurement found it clearly faster than
torch at the dtype torch would use: a small convolution + attention block, converted and timed
in both, once per machine (a few seconds). The answer is kept in the cache folder keyed by both versions and the
thread count, as the bf16 choice is (genart_core.device).
"""

from __future__ import annotations

import json
import logging
import os
from functools import lru_cache

import torch

from genart_core import device as devices
from genart_core import paths, validate
from genart_core.timing import best_of

log = logging.getLogger(__name__)

BACKEND_ENV = "GENART_CPU_BACKEND"
TORCH, OPENVINO = "torch", "openvino"
RECORD = "cpu_backend.json"
WIN_FACTOR = 0.85  # OpenVINO must save at least 15%: converting a model costs minutes the first time


class _Block(torch.nn.Module):
    """A down-sized UNet stage: a residual convolution pair, then self-attention over the pixels."""

    def __init__(self, channels: int = 64) -> None:
        super().__init__()
        self.norm = torch.nn.GroupNorm(8, channels)
        self.conv1 = torch.nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(channels, channels, 3, padding=1)
        self.attention = torch.nn.MultiheadAttention(channels, 4, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.conv2(torch.nn.functional.silu(self.conv1(torch.nn.functional.silu(self.norm(x)))))
        batch, channels, height, width = x.shape
        tokens = x.flatten(2).transpose(1, 2)
        attended = self.attention(tokens, tokens, tokens, need_weights=False)[0]
        return x + attended.transpose(1, 2).reshape(batch, channels, height, width)


def measure() -> tuple[float, float]:
    """(torch seconds, OpenVINO seconds) for the block at 48×48, each in its best precision."""
    from genart_core.openvino_backend import export, runtime

    torch.manual_seed(0)
    block = _Block().eval()
    x = torch.randn(1, 64, 48, 48)
    dtype = devices.fast_dtype(torch.device("cpu"))
    converted = export.convert(export.ExportedPart(block, (x,), ("x",)))
    with torch.inference_mode():
        channels_last = block.to(memory_format=torch.channels_last)
        x_last = x.to(memory_format=torch.channels_last)

        def torch_call():
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == torch.bfloat16):
                channels_last(x_last)

        torch_seconds = best_of(torch_call)
    compiled = runtime.compile_for_cpu(converted, runtime.best_precision())
    request = compiled.create_infer_request()
    array = x.numpy()
    openvino_seconds = best_of(lambda: request.infer([array]))
    return torch_seconds, openvino_seconds


def _record_key() -> dict[str, str]:
    from genart_core.openvino_backend import runtime

    return {"torch": torch.__version__, "openvino": runtime.version(), "threads": str(torch.get_num_threads())}


def _measured_choice() -> str:
    record = paths.cache_dir() / RECORD
    key = _record_key()
    try:
        saved = validate.as_dict(validate.read_json_file(record, max_bytes=10_000), "the backend record")
        if all(saved.get(name) == value for name, value in key.items()) and saved.get("backend") in (TORCH, OPENVINO):
            return saved["backend"]
    except (OSError, validate.InvalidDataError):
        pass  # none yet, or unreadable: measure again
    try:
        torch_seconds, openvino_seconds = measure()
    except Exception as exc:  # OpenVINO failing to convert or run even this block: torch it is
        log.warning("OpenVINO could not run a test block (%s: %s); diffusion stays on torch", type(exc).__name__, exc)
        return TORCH
    backend = OPENVINO if openvino_seconds < WIN_FACTOR * torch_seconds else TORCH
    log.info("CPU backend timing: torch %.4f s, OpenVINO %.4f s -> %s", torch_seconds, openvino_seconds, backend)
    try:
        record.write_text(json.dumps({**key, "torch_s": torch_seconds, "openvino_s": openvino_seconds, "backend": backend}))
    except OSError:
        pass  # measured again next start
    return backend


@lru_cache(maxsize=1)
def _cpu_choice() -> str:
    from genart_core.openvino_backend import runtime

    return _measured_choice() if runtime.available() else TORCH


def choose(device: torch.device) -> str:
    """The backend for Stable Diffusion's networks on ``device``."""
    if device.type != "cpu":
        return TORCH
    wanted = os.environ.get(BACKEND_ENV, "").strip().lower()
    if wanted == TORCH:
        return TORCH
    if wanted == OPENVINO:
        from genart_core.openvino_backend import runtime

        return OPENVINO if runtime.available() else TORCH
    if wanted:
        log.warning("%s=%r is neither %r nor %r; choosing by measurement", BACKEND_ENV, wanted, TORCH, OPENVINO)
    return _cpu_choice()
