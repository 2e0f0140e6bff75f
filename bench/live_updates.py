"""Live mode's crop updates through the Engine alone: the same strokes restyled by crop updates and
by whole-picture updates, interleaved in one process, and how far a crop is from the full pass it
stands for.

Paints bench/instant_gui.py's ten strokes (dabs of red along a wavy line across the astronaut at
512², or at --side, enlarged: above 512 px painted at 512 px and enlarged, as the panel's default
Strokes do) one at a time; after each, one Engine restyles the canvas as Live mode does (crop updates,
genart_core/fast_style/live_update.py) and another with every update restyling the whole picture.
Prints the median seconds of each on each runtime, and the largest and mean difference (0–255 levels)
between the crop update and a full pass normalised with the same statistics.

Run: python bench/live_updates.py [--runtimes torch onnxruntime] [--style mosaic] [--side 1024] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's core, whatever is installed

from genart_core.api import CancelToken  # noqa: E402
from genart_core.engine import Engine, RunContext  # noqa: E402
from genart_core.fast_style import live_update  # noqa: E402
from genart_core.fast_style.network_grid import without_grid  # noqa: E402
from genart_core.fast_style.pictures import paint_at_network_side  # noqa: E402
from genart_core.imaging import resize  # noqa: E402
from genart_core.pipelines.fast_style import networks_for  # noqa: E402
from genart_core.requests.fast_style import FastStyleRequest, StyleVectorSource  # noqa: E402
from genart_core.styles import find_style  # noqa: E402


def _stroke(canvas: np.ndarray, index: int) -> None:
    scale = canvas.shape[0] / 512  # the strokes cross the same part of the picture at any size
    y = 60 + index * 40
    for x in range(40, 470, 10):
        row = y + (x % 30)
        canvas[int(max(0, row - 6) * scale) : int((row + 6) * scale), int(x * scale) : int((x + 12) * scale)] = (200, 40, 40)


def run(runtime: str, style: str, side: int) -> None:
    from skimage import data

    photo = resize(data.astronaut(), side, side)
    source = StyleVectorSource(style, str(find_style(style).path))

    def request(content: np.ndarray) -> FastStyleRequest:
        return FastStyleRequest(content=content, styles=(source,), size=None, backend=runtime, live=True)

    engines = {"crop": Engine(), "whole": Engine()}
    for engine in engines.values():
        engine.run(request(photo))  # loads the networks and records the first statistics
    seconds: dict[str, list[float]] = {name: [] for name in engines}
    worst, means = 0, []
    canvas = photo.copy()
    for index in range(10):
        _stroke(canvas, index)
        for name, engine in engines.items():
            base = engine.cache.get_or_load(("fast-style-live",), live_update.LiveMemo).base
            live_update.MAX_CROP_SHARE = 0.6 if name == "crop" else 0.0  # 0: every crop gives way to a full pass
            started = time.perf_counter()
            result = engine.run(request(canvas.copy()))
            seconds[name].append(time.perf_counter() - started)
            if name == "crop" and result.extras["crop"]:
                networks = networks_for(RunContext(engine, lambda _p: None, CancelToken()), runtime)
                exact, _ = paint_at_network_side(lambda picture: without_grid(networks.stylize(picture, base.vector, {}, base.statistics)),
                                                 canvas, FastStyleRequest.network_side)
                difference = np.abs(result.images[0].astype(int) - exact)
                worst, means = max(worst, int(difference.max())), means + [float(difference.mean())]
    print(f"{runtime} at {side}²: crop updates median {statistics.median(seconds['crop']):.3f} s, whole-picture updates "
          f"{statistics.median(seconds['whole']):.3f} s; crop against the full pass with its statistics: "
          f"at most {worst} levels, mean {statistics.mean(means) if means else float('nan'):.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtimes", nargs="+", default=["torch", "onnxruntime"])
    parser.add_argument("--style", default="mosaic")
    parser.add_argument("--side", type=int, default=512)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    for runtime in args.runtimes:
        run(runtime, args.style, args.side)


if __name__ == "__main__":
    main()
