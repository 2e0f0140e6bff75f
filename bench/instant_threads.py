"""How many threads the instant path should run on: torch's instant passes on 1 thread and on
every core, interleaved in one process, quiet or with busy processes beside it.

For each thread count, one Engine with our torch module on that many threads: the whole 512²
astronaut restyled (a slider move: strength changes each time) and Live crop updates (a stroke of
red dabs, then the canvas restyled as Live mode does). Prints the median and longest seconds of
each. ``--busy N`` runs N processes that keep a core each busy (another program at work beside
the app, or the app's own job worker learning a style).

Run: python bench/instant_threads.py [--busy 2] [--rounds 12]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's core, whatever is installed

from genart_core.engine import Engine  # noqa: E402
from genart_core.fast_style.torch_runtime import TorchStyleNetworks  # noqa: E402
from genart_core.imaging import resize  # noqa: E402
from genart_core.requests.fast_style import FastStyleRequest, StyleVectorSource  # noqa: E402
from genart_core.styles import find_style  # noqa: E402


def _stroke(canvas, index: int) -> None:
    y = 60 + (index % 10) * 40
    for x in range(40, 470, 10):
        row = y + (x % 30)
        canvas[max(0, row - 6) : row + 6, x : x + 12] = (200 - index, 40, 40)


def run(rounds: int) -> None:
    from skimage import data

    photo = resize(data.astronaut(), 512, 512)
    source = StyleVectorSource("Mosaic", str(find_style("Mosaic").path))
    counts = sorted({1, os.cpu_count() or 1})
    engines = {}
    for threads in counts:
        engine = Engine()
        engine.cache.get_or_load(("fast-style", "torch"), lambda threads=threads: TorchStyleNetworks(threads))
        engines[threads] = engine
    whole = {threads: [] for threads in counts}
    crops = {threads: [] for threads in counts}
    for index in range(rounds):
        for threads, engine in engines.items():
            request = FastStyleRequest(content=photo, styles=(source,), size=None, backend="torch", strength=0.5 + index / 100)
            started = time.perf_counter()
            engine.run(request)
            whole[threads].append(time.perf_counter() - started)
    canvas = photo.copy()
    live = {threads: FastStyleRequest(content=photo, styles=(source,), size=None, backend="torch", live=True) for threads in counts}
    for threads, engine in engines.items():
        engine.run(live[threads])  # records the statistics the crop updates use
    for index in range(rounds):
        _stroke(canvas, index)
        for threads, engine in engines.items():
            started = time.perf_counter()
            result = engine.run(FastStyleRequest(content=canvas.copy(), styles=(source,), size=None, backend="torch", live=True))
            crops[threads].append(time.perf_counter() - started)
            assert result.extras["crop"], "a stroke this size is a crop update"
    for threads in counts:
        # The first two of each are warm-ups (a new shape, a new mode).
        print(f"torch on {threads} thread(s): whole 512² picture median {statistics.median(whole[threads][2:]):.3f} s "
              f"(max {max(whole[threads][2:]):.3f}); Live crop update median {statistics.median(crops[threads][2:]):.3f} s "
              f"(max {max(crops[threads][2:]):.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", type=int, default=0, help="processes keeping a core each busy beside the bench")
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        print(f"{os.cpu_count()} CPUs, {args.busy} busy processes beside the bench")
        run(args.rounds)
    finally:
        for process in busy:
            process.kill()


if __name__ == "__main__":
    main()
