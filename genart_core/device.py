"""Device and dtype choice, seeded generators and CPU thread settings."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import torch

from genart_core import paths

log = logging.getLogger(__name__)


def choose_device(prefer: str | None = None) -> torch.device:
    """CUDA, then Apple MPS, then CPU; ``prefer`` or $GENART_DEVICE overrides."""
    wanted = prefer or os.environ.get("GENART_DEVICE")
    if wanted:
        return torch.device(wanted)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def cpu_has_bf16_hardware() -> bool:
    """AMX or AVX-512 BF16 make bf16 matmuls and convolutions fast on x86 CPUs."""
    return bool({"amx_bf16", "avx512_bf16"} & _cpu_flags())


# Rounds of the fp32/bf16 comparison, on one thread, the two taken in turn. On every thread (2 here),
# with two busy processes beside it, the fastest of 3 runs of each judged bf16 slower on 2 of 6 tries,
# and the fastest of 15 taken in turn on 4 of 10: a thread descheduled mid-run leaves the other at
# the barrier for a time slice (bf16 30 ms against 1.3 ms), and the cache kept that verdict for good.
# On one thread under the same load: bf16 faster on 10 of 10 (5.4 ms against 1.3 ms, as quiet).
CONV_TIMING_ROUNDS = 15
# Kept with the verdict: a verdict timed by an earlier method is timed again (it may have been wrong).
TIMING_VERSION = 2


def _conv_seconds() -> dict[torch.dtype, float]:
    """The fastest run of a small convolution in fp32 and in bf16, the two timed in turn."""
    conv = torch.nn.Conv2d(64, 64, 3, padding=1).to(memory_format=torch.channels_last)
    x = torch.randn(1, 64, 96, 96).to(memory_format=torch.channels_last)
    fastest = {torch.float32: float("inf"), torch.bfloat16: float("inf")}
    with intra_op_threads(1):
        for round_number in range(CONV_TIMING_ROUNDS + 1):
            for dtype in fastest:
                started = time.perf_counter()
                with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == torch.bfloat16):
                    conv(x)
                if round_number:  # the first round picks oneDNN's kernels
                    fastest[dtype] = min(fastest[dtype], time.perf_counter() - started)
    return fastest


@contextlib.contextmanager
def intra_op_threads(threads: int | None) -> Iterator[None]:
    """torch's intra-op threads for the calling thread, for the block only (None: as they are).
    torch keeps the count per thread, so other threads, the app's job worker among them, keep theirs."""
    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@lru_cache(maxsize=1)
def cpu_bf16_is_faster() -> bool:
    """Whether bf16 beats fp32 on this CPU: from the CPU flags, confirmed once by a timing.

    The measurement (about 0.1 s) is cached in the cache folder keyed by the torch version,
    so it runs once per machine.
    """
    if os.environ.get("GENART_CPU_BF16") in {"0", "1"}:
        return os.environ["GENART_CPU_BF16"] == "1"
    if not cpu_has_bf16_hardware():
        return False
    record = paths.cache_dir() / "cpu_bf16.json"
    try:
        saved = json.loads(record.read_text())
        if saved.get("torch") == torch.__version__ and saved.get("timing") == TIMING_VERSION:
            return bool(saved["faster"])
    except (OSError, ValueError, KeyError):
        pass
    timed = _conv_seconds()
    fp32, bf16 = timed[torch.float32], timed[torch.bfloat16]
    faster = bf16 < 0.8 * fp32
    log.info("CPU conv timing: fp32 %.4f s, bf16 %.4f s -> bf16 %s", fp32, bf16, "on" if faster else "off")
    try:
        record.write_text(json.dumps({"torch": torch.__version__, "timing": TIMING_VERSION, "fp32_s": fp32, "bf16_s": bf16, "faster": faster}))
    except OSError:
        pass
    return faster


def fast_dtype(device: torch.device) -> torch.dtype:
    """The low-precision dtype worth using for network compute on ``device`` (fp32 if none)."""
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "mps":
        return torch.float16
    return torch.bfloat16 if cpu_bf16_is_faster() else torch.float32


def seeded_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(int(seed))


def configure_threads() -> None:
    """Use every core for intra-op work; inter-op threads only add contention on small machines."""
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set once in this process


def describe() -> dict[str, str]:
    device = choose_device()
    info = {"device": str(device), "torch": torch.__version__, "threads": str(torch.get_num_threads())}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    info["fast dtype"] = str(fast_dtype(device)).replace("torch.", "")
    return info
