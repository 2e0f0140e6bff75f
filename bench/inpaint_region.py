"""Inpainting a small mask on a 2048×1536 picture: the whole picture in one pass (the path every
inpainting took before genart_core.pipelines.inpaint_region) against only the region around the mask.

    PYTHONPATH=. python bench/inpaint_region.py --quick     # the narrow SD 1.5 architecture (minutes)
    PYTHONPATH=. python bench/inpaint_region.py             # then the SD 1.5-sized one (very long on a CPU)

Models have random weights of the real architectures (bench/diffusion.py's sd_pipeline, native
512 px; nothing downloaded), so the pictures mean nothing but the time does. The mask is a
120×120 blob; with the default padding of 32 px the region is 184×184, repainted at 512×512.
"Before" is diffusion.generate with the request's size at the picture's (2048): the whole
picture at 2048×1536 in one pass, which is what the app did for any inpainting. Both runs use
the same model, steps and seed, one after the other in one process, after a warm-up run.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import time
from pathlib import Path

import numpy as np
import torch

from genart_core import device as devices
from genart_core.api import CancelToken
from genart_core.engine import Engine, RunContext
from genart_core.pipelines import diffusion, inpaint_region
from genart_core.requests.diffusion import InpaintRequest
from genart_core.sd_models import ModelSpec

PROMPT = "a red apple on a wooden table"
WIDTH, HEIGHT = 2048, 1536


def _sd_pipeline(quick: bool):
    """bench/diffusion.py's random-weight SD 1.5 pipeline (loaded by path: bench is no package)."""
    spec = importlib.util.spec_from_file_location("bench_diffusion", Path(__file__).with_name("diffusion.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.sd_pipeline(turbo=False, quick=quick)


def picture_and_mask() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    picture = np.stack([x * 255 // WIDTH, y * 255 // HEIGHT, (x + y) % 256], axis=2) + rng.integers(0, 16, (HEIGHT, WIDTH, 3))
    mask = ((x - 900) ** 2 + (y - 700) ** 2 < 60**2).astype(np.uint8) * 255
    return np.clip(picture, 0, 255).astype(np.uint8), mask


def timed(run, loaded, request: InpaintRequest, engine: Engine) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    result = run(loaded, request, RunContext(engine, lambda progress: None, CancelToken()))
    return time.perf_counter() - started, result.images[0]


def bench_model(name: str, quick: bool, steps: int) -> None:
    cpu = torch.device("cpu")
    dtype = diffusion.default_dtype(cpu)
    loaded = diffusion.prepare(_sd_pipeline(quick).to(dtype=dtype), ModelSpec("bench", name, "folder"), cpu, dtype)
    engine = Engine()
    picture, mask = picture_and_mask()
    request = InpaintRequest(prompt=PROMPT, model="bench", steps=steps, guidance=7.5, seed=1, init_image=picture, mask=mask,
                             width=WIDTH, height=WIDTH, preview_every=0)
    region = inpaint_region.plan_region(mask > 0, request.mask_padding, 512)
    print(f"\n{name}, {str(dtype).replace('torch.', '')}, {torch.get_num_threads()} threads, {steps} steps, "
          f"{WIDTH}×{HEIGHT} picture, {int((mask > 0).sum())}-pixel mask", flush=True)
    small = np.ascontiguousarray(picture[:512, :512])
    timed(diffusion.generate, loaded, InpaintRequest(**{**vars(request), "init_image": small, "mask": mask[:512, :512] | 255}), engine)  # warm-up
    outside = mask == 0
    seconds = {}
    for label, run, size in (
        ("region around the mask", inpaint_region.generate, f"{region.width}×{region.height} (box {region.box.width}×{region.box.height})"),
        ("whole picture, one pass", diffusion.generate, f"{WIDTH}×{HEIGHT}"),
    ):
        seconds[label], image = timed(run, loaded, request, engine)
        changed = float((image[outside] != picture[outside]).any(axis=-1).mean())
        print(f"  {label:24s} {seconds[label]:8.2f} s  repainted at {size}; pixels outside the mask changed: {changed:.1%}", flush=True)
    print(f"  speed-up: {seconds['whole picture, one pass'] / seconds['region around the mask']:.1f}×")
    del loaded
    gc.collect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the narrow SD 1.5 architecture only")
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    devices.configure_threads()
    bench_model("narrow SD 1.5 architecture (quick)", True, args.steps)
    if not args.quick:
        bench_model("SD 1.5-sized (860M UNet, CLIP ViT-L)", False, args.steps)


if __name__ == "__main__":
    main()
