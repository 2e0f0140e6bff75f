"""The hires section of bench/detail.py.

    PYTHONPATH=. python bench/detail.py hires            # narrow pipeline, then the SD-sized one
    PYTHONPATH=. python bench/detail.py hires --quick    # the narrow pipeline only

Models have random weights of the real architectures (bench/diffusion.py's sd_pipeline; nothing
downloaded), so the pictures mean nothing but the time does. Each job: the base image at 512×512,
the enlargement to 1024×1024 (genart-sr, or Lanczos), the hires pass at 1024×1024 in one pass.
The phases are timed from the job's own progress reports: base = until the first Upscaling
report; upscaling = first to last Upscaling report; hires pass = the rest (which includes
encoding the enlargement). For scale, the same model's plain 512×512 and 1024×1024 text-to-image.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib.util
import time
from pathlib import Path

import torch

from genart_core import device as devices
from genart_core.api import CancelToken
from genart_core.engine import Engine, RunContext
from genart_core.pipelines import diffusion, hires_fix
from genart_core.requests.diffusion import HIRES_LANCZOS, TextToImageRequest
from genart_core.sd_models import ModelSpec

PROMPT = "a lighthouse on a cliff at sunset, oil painting"


def _sd_pipeline(turbo: bool, quick: bool):
    """bench/diffusion.py's random-weight pipelines of the real sizes (loaded by path: bench is no package)."""
    spec = importlib.util.spec_from_file_location("bench_diffusion", Path(__file__).with_name("diffusion.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.sd_pipeline(turbo=turbo, quick=quick)


def timed_phases(loaded, request: TextToImageRequest, engine: Engine) -> dict[str, float]:
    """Seconds of each phase of one hires job, and in all."""
    stamps: list[tuple[float, str]] = []
    ctx = RunContext(engine, lambda progress: stamps.append((time.perf_counter(), progress.phase.split(" — ")[0])), CancelToken())
    started = time.perf_counter()
    hires_fix.generate(loaded, request, ctx)
    ended = time.perf_counter()
    upscaling = [stamp for stamp, phase in stamps if phase == hires_fix.UPSCALING]
    first, last = (upscaling[0], upscaling[-1]) if upscaling else (ended, ended)
    return {"base": first - started, "upscaling": last - first, "hires pass": ended - last, "total": ended - started}


def plain_seconds(loaded, request: TextToImageRequest, engine: Engine) -> float:
    started = time.perf_counter()
    diffusion.generate(loaded, request, RunContext(engine, lambda progress: None, CancelToken()))
    return time.perf_counter() - started


def bench_model(name: str, pipe, steps: int, guidance: float, denoise: float, upscalers: tuple[str, ...], direct: bool) -> None:
    cpu = torch.device("cpu")
    dtype = diffusion.default_dtype(cpu)
    loaded = diffusion.prepare(pipe.to(dtype=dtype), ModelSpec("bench", name, "folder"), cpu, dtype)
    engine = Engine()  # one cache: the upscaler loads once, as in the app
    base = TextToImageRequest(prompt=PROMPT, model="bench", steps=steps, guidance=guidance, width=512, height=512, preview_every=0)
    plain_seconds(loaded, base, engine)  # warm-up: first calls pay for one-time allocations
    hires_steps = int(max(steps, 1 / denoise) * denoise)
    print(f"\n{name}, {str(dtype).replace('torch.', '')}, {torch.get_num_threads()} threads: {steps} steps at 512, "
          f"hires pass {hires_steps} step(s) at denoise {denoise}")
    print(f"  plain 512×512 text-to-image:   {plain_seconds(loaded, base, engine):7.2f} s")
    if direct:
        print(f"  plain 1024×1024 text-to-image: {plain_seconds(loaded, dataclasses.replace(base, width=1024, height=1024), engine):7.2f} s")
    for upscaler in upscalers:
        request = dataclasses.replace(base, hires_scale=2.0, hires_denoise=denoise, hires_upscaler=upscaler)
        phases = timed_phases(loaded, request, engine)
        split = ", ".join(f"{phase} {seconds:.2f} s" for phase, seconds in phases.items() if phase != "total")
        print(f"  hires 512→1024 ({hires_fix.upscaler_label(upscaler)}): {phases['total']:7.2f} s ({split})")
    del loaded, pipe
    gc.collect()


def hires(args: argparse.Namespace) -> None:
    devices.configure_threads()
    upscalers = (HIRES_LANCZOS, args.model)
    bench_model("narrow SD 1.5 architecture (quick)", _sd_pipeline(turbo=False, quick=True), 8, 7.5, 0.35, upscalers, direct=True)
    if not args.quick:
        # Minutes per job on a shared CPU: the learned upscaler only (Lanczos differs by the upscaling phase).
        bench_model("SD-Turbo-sized (SD 2.1 UNet, OpenCLIP-H)", _sd_pipeline(turbo=True, quick=False), 2, 0.0, 0.5, (args.model,), direct=False)
