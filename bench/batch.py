"""Throughput of `genart batch stylize` on this machine: Ray with 1 and 2 workers against a plain loop.

Stylises --items copies of a few skimage photos at --size with the Preview preset and the bundled
(offline) VGG-19 weights, three ways: a plain in-process loop (one Engine, one torch thread),
then stylize_folder on a local Ray with 1 and with 2 worker actors (one CPU and one torch thread
each). Prints items/s for each and the 2-worker/1-worker scaling ratio. Worker start-up (process,
imports, VGG load) is inside the Ray figures, as a user would see it.
Run: python bench/batch.py [--items 6] [--size 96]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import skimage.data
import torch

from genart_core.artwork import save_artwork
from genart_core.engine import Engine
from genart_core.imaging import load_image
from genart_core.requests.style import Preset, StyleSource, StyleTransferRequest
from genart_core.styles import builtin_styles_dir


def make_inputs(folder: Path, items: int) -> None:
    photos = [skimage.data.astronaut(), skimage.data.chelsea(), skimage.data.coffee()]
    for index in range(items):
        save_artwork(folder / f"photo-{index:03d}.png", np.ascontiguousarray(photos[index % len(photos)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=6)
    parser.add_argument("--size", type=int, default=96)
    args = parser.parse_args()
    import ray

    from genart_core.batch import stylize_folder

    root = Path(tempfile.mkdtemp(prefix="genart-bench-batch-"))
    inputs = root / "in"
    inputs.mkdir()
    make_inputs(inputs, args.items)
    style = builtin_styles_dir() / "mosaic.jpg"
    template = StyleTransferRequest(content="", styles=(StyleSource(style.stem, str(style)),), preset=Preset.PREVIEW,
                                    size=args.size, weights="oxford")
    print(f"batch stylize: {args.items} images at {args.size} px, Preview preset; load average {os.getloadavg()[0]:.1f} "
          f"(other processes share these {os.cpu_count()} cores)")

    # One torch thread, as each Ray worker has: on a loaded 2-core machine OpenMP threads spin-wait
    # against each other, which would make the loop slow for reasons that are not the loop's.
    torch.set_num_threads(1)
    engine = Engine()
    started = time.perf_counter()
    for path in sorted(inputs.iterdir()):
        engine.run(dataclasses.replace(template, content=load_image(path)))
    loop_rate = args.items / (time.perf_counter() - started)
    print(f"  plain loop, in-process:  {loop_rate:.3f} images/s")

    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        rates = {}
        for workers in (1, 2):
            report = stylize_folder(template, inputs, root / f"out-{workers}", workers)
            assert len(report.done) == args.items, report.failed
            rates[workers] = args.items / report.seconds
            print(f"  Ray, {workers} worker(s):       {rates[workers]:.3f} images/s")
        print(f"  scaling 2 workers / 1 worker: {rates[2] / rates[1]:.2f}×; Ray 2 workers / plain loop: {rates[2] / loop_rate:.2f}×")
    finally:
        ray.shutdown()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
