"""The enlarge section of bench/detail.py: the GAN's and VAE's 28 px digits enlarged for display.

    PYTHONPATH=. python bench/detail.py enlarge                      # quality, then speed
    PYTHONPATH=. python bench/detail.py enlarge --crops /work/notes/sr
    PYTHONPATH=. python bench/detail.py enlarge --parts speed         # quality, crops, speed: any of them

Quality: held-out digits (genart_core.digit_sr_data: drawn in the digit judge's URW fonts, which
digit-sr never saw, seed 1) drawn sharp at 280 px; the truth at 4× is that reduced to 112 px,
the input its reduction to 28 px, as the training digits are made. Each upscaler enlarges the
input 4× and 10× as the app does on the GUI thread (the network at most 4×, Lanczos the rest):
PSNR against the truth (dB, higher is closer) and stroke thickness relative to the truth's (1 =
as thick; mean of the per-digit ratios). "genart-sr, 2× twice" is how genart-sr made 4× before
genart-sr-4x existed. With --crops: input (nearest), Lanczos, genart-sr and digit-sr side by side
for a bundled-GAN sample at 4× and 10×, and for held-out digits against their truth.

Speed: milliseconds to enlarge one bundled-GAN sample as the app does, against nearest neighbour
and Lanczos; median of 7, one thread; wall time and the process's CPU time (on a busy CPU the
wall time includes waiting for a core, the CPU time does not).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from genart_core.digit_sr_data import digit_pairs, held_out_fonts, stroke_thickness_ratio
from genart_core.imaging import resize
from genart_core.paths import resources_dir
from genart_core.sharp_enlarge import DIGIT_UPSCALER
from genart_core.sr_data import psnr

DIGITS = 100
GUI_NETWORK_LIMIT = 4  # desktop_app.sample_display's (the core must not import the app)


def _enlargers(cache) -> dict[str, callable]:
    from genart_core.sharp_enlarge import enlarge as sharp

    def by(upscaler: str):
        return lambda digit, side: sharp(np.dstack([digit] * 3), side, side, upscaler, cache, network_limit=GUI_NETWORK_LIMIT)[:, :, 0]

    return {
        "Lanczos": lambda digit, side: resize(digit, side, side),
        "genart-sr, 2× twice (before)": by(str(resources_dir() / "models" / "genart-sr")),
        "genart-sr (now genart-sr-4x)": by("genart-sr"),
        DIGIT_UPSCALER: by(DIGIT_UPSCALER),
    }


def digit_quality(cache) -> None:
    started = time.perf_counter()
    _inputs, truths280 = digit_pairs(DIGITS, 10, 1, held_out_fonts(), detail=4)
    inputs = np.stack([resize(t, 28, 28) for t in truths280])
    truths = {4: np.stack([resize(t, 112, 112) for t in truths280]), 10: truths280}
    print(f"\n{DIGITS} held-out digits (URW fonts, seed 1; drawn in {time.perf_counter() - started:.0f} s): "
          "PSNR dB / stroke thickness ÷ truth's")
    print(f"  {'':<30} {'4× (112 px)':>18} {'10× (280 px)':>18}")
    for name, enlarge in _enlargers(cache).items():
        cells = []
        for scale, truth in truths.items():
            made = [enlarge(digit, 28 * scale) for digit in inputs]
            quality = np.mean([psnr(m, t) for m, t in zip(made, truth)])
            thickness = np.mean([stroke_thickness_ratio(m, t) for m, t in zip(made, truth)])
            cells.append(f"{quality:>9.2f} / {thickness:.3f}")
        print(f"  {name:<30} {' '.join(f'{c:>18}' for c in cells)}")


def digit_crops(cache, folder: Path) -> None:
    from genart_core.engine import Engine
    from genart_core.requests.generative import GanSampleRequest, VaeSampleRequest

    folder.mkdir(parents=True, exist_ok=True)
    enlargers = _enlargers(cache)
    engine = Engine()
    samples = {
        "gan-digit": engine.run(GanSampleRequest(count=1, seed=3)).images[0][:, :, 0],
        "vae-digit": engine.run(VaeSampleRequest(count=1, seed=3)).images[0][:, :, 0],
    }
    inputs, truths = digit_pairs(3, 10, 7, held_out_fonts(), detail=4)
    print(f"\nSide-by-side crops in {folder}:")
    for scale in (4, 10):
        side = 28 * scale
        for name, sample in samples.items():
            panels = [_blocks(sample, scale)] + [enlarge(sample, side) for enlarge in enlargers.values()]
            _save(panels, folder / f"{name}-x{scale}.png", "input | " + " | ".join(enlargers))
        for index, truth in enumerate(truths):
            small = resize(truth, 28, 28)
            panels = [_blocks(small, scale)] + [enlarge(small, side) for enlarge in enlargers.values()]
            _save(panels + [resize(truth, side, side)], folder / f"held-out-digit{index}-x{scale}.png", "input | " + " | ".join(enlargers) + " | truth")


def _blocks(digit: np.ndarray, scale: int) -> np.ndarray:
    """The input in nearest-neighbour blocks, to show its pixels."""
    return digit.repeat(scale, axis=0).repeat(scale, axis=1)


def _save(panels: list[np.ndarray], path: Path, legend: str) -> None:
    gap = np.full((panels[0].shape[0], 4), 128, np.uint8)  # grey bars between the panels
    row = np.concatenate([part for panel in panels for part in (panel, gap)][:-1], axis=1)
    Image.fromarray(row).save(path)
    print(f"  {path} ({legend})")


def speed(cache) -> None:
    from genart_core.engine import Engine
    from genart_core.latents import enlarge as nearest
    from genart_core.requests.generative import GanSampleRequest
    from genart_core.sharp_enlarge import enlarge as sharp

    sample = Engine().run(GanSampleRequest(count=1, seed=3)).images[0]
    for upscaler in ("genart-sr", DIGIT_UPSCALER):
        sharp(sample, 112, 112, upscaler, cache, network_limit=4)  # warm-up: loading the network
    cases = {
        "preview 28→112, digit-sr (the app)": lambda: sharp(sample, 112, 112, DIGIT_UPSCALER, cache, network_limit=4),
        "preview 28→112, genart-sr-4x": lambda: sharp(sample, 112, 112, "genart-sr", cache, network_limit=4),
        "preview 28→112, Lanczos": lambda: resize(sample, 112, 112),
        "canvas 28→504, digit-sr 4× + Lanczos (the app)": lambda: sharp(sample, 504, 504, DIGIT_UPSCALER, cache, network_limit=4),
        "canvas 28→504, genart-sr-4x 4× + Lanczos": lambda: sharp(sample, 504, 504, "genart-sr", cache, network_limit=4),
        "canvas 28→504, nearest": lambda: nearest(sample, 18),
    }
    # CPU time is what the call would take on a quiet CPU: on a busy one the wall time also
    # counts the waits for a core.
    print("\nEnlarging a 28 px GAN sample, one thread (median of 7): wall time, CPU time")
    for name, call in cases.items():
        times, cpu = [], []
        for _ in range(7):
            started, started_cpu = time.perf_counter(), time.process_time()
            call()
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        print(f"  {name:<48} {np.median(times) * 1000:8.1f} ms {np.median(cpu) * 1000:8.1f} ms")


def enlarge(args: argparse.Namespace) -> None:
    from genart_core.engine import ModelCache

    torch.set_num_threads(1)
    cache = ModelCache(4)
    if "quality" in args.parts:
        digit_quality(cache)
    if args.crops and "crops" in args.parts:
        digit_crops(cache, args.crops)
    if "speed" in args.parts:
        speed(cache)
