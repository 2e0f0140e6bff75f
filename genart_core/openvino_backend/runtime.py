"""The OpenVINO runtime: one Core per process, the inference precision this CPU does best, compiling."""

from __future__ import annotations

import logging
from functools import lru_cache

import torch

log = logging.getLogger(__name__)

BF16, F32 = "bf16", "f32"


@lru_cache(maxsize=1)
def core():
    import openvino

    return openvino.Core()


def available() -> bool:
    """Whether the openvino package imports and finds a CPU device (a log line says why not)."""
    try:
        return "CPU" in core().available_devices
    except Exception as exc:  # an import or plugin failure of any kind means: stay on torch
        log.info("OpenVINO is not usable here (%s); diffusion runs on torch", exc)
        return False


def version() -> str:
    import openvino

    return openvino.get_version()


@lru_cache(maxsize=1)
def best_precision() -> str:
    """bf16 where the CPU computes in it natively (AVX-512 BF16, AMX), else f32."""
    capabilities = core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    return BF16 if "BF16" in capabilities else F32


def compile_for_cpu(model, precision: str):
    """``model`` compiled for this CPU in ``precision``, with torch's thread count (the app sets it
    once for every runtime, so OpenVINO does not compete with torch's threads)."""
    config = {
        "INFERENCE_PRECISION_HINT": precision,
        "INFERENCE_NUM_THREADS": torch.get_num_threads(),
        "PERFORMANCE_HINT": "LATENCY",  # one image at a time: all threads on one request
    }
    return core().compile_model(model, "CPU", config)
