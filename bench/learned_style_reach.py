"""How far a learned style carries: learn one style on some photos, then score it on others.

Learns STYLE with Learn this style (the app's settings unless given) on the --train photos (sample
photo names such as skimage:astronaut, or files), optionally with one of them as the canvas, then
prints for each --score photo the style and content loss (the project's objective in fp32 at 512 px,
as bench/fast_style.py scores) of the untuned instant result, the learned one and Balanced, run in
the same process, and how far the learned style loss went from untuned to Balanced's (50 % is the
issue's goal). A photo among --train is scored on photos it saw; one outside it, on photos it did not.

    python bench/learned_style_reach.py "Brush strokes" --train skimage:astronaut --crop-size 0 --steps 400
    python bench/learned_style_reach.py "Brush strokes" --train skimage:astronaut skimage:chelsea --crop-size 0 --steps 400
    python bench/learned_style_reach.py "Stained glass" --canvas skimage:astronaut --canvas-share 1.0 --steps 200
    python bench/learned_style_reach.py "Brush strokes" --canvas sklearn:flower --score sklearn:flower --layers

``--layers`` also prints each style layer's loss (relu1_1, fine texture, to relu5_1, the largest
forms): which scale of the painting the instant network misses.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from fast_style import Scorer  # bench/ is on the path when this script runs
from genart_core.device import configure_threads
from genart_core.engine import Engine
from genart_core.fast_style.content_photos import EVALUATION_PHOTOS, TRAINING_PHOTOS, shipped_photo
from genart_core.imaging import fit_within, load_image, to_pil, to_rgb
from genart_core.requests.fast_style import FastStyleRequest, LearnStyleRequest, StyleVectorSource
from genart_core.requests.style import Preset, StyleSource, StyleTransferRequest
from genart_core.styles import find_style

SIDE = LearnStyleRequest.train_size  # the size bench/fast_style.py scores at, and learning's train size


def photo(name: str) -> np.ndarray:
    return shipped_photo(name) if ":" in name and not Path(name).exists() else to_rgb(load_image(name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("style")
    parser.add_argument("--train", nargs="*", default=list(TRAINING_PHOTOS), help="photos learning tunes on (default: the app's sample photos)")
    parser.add_argument("--canvas", default="", help="a photo learning treats as the canvas (it joins the --train photos)")
    parser.add_argument("--canvas-share", type=float, default=LearnStyleRequest.canvas_share)
    parser.add_argument("--score", nargs="*", default=list(EVALUATION_PHOTOS), help="photos to score the learned style on")
    parser.add_argument("--steps", type=int, default=LearnStyleRequest.steps)
    parser.add_argument("--crop-size", type=int, default=LearnStyleRequest.crop_size, help="0: whole photos")
    parser.add_argument("--style-weight", type=float, default=LearnStyleRequest.style_weight)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: every core)")
    parser.add_argument("--layers", action="store_true", help="also print each style layer's loss, relu1_1 to relu5_1")
    args = parser.parse_args()
    configure_threads()
    if args.threads:
        torch.set_num_threads(args.threads)
    style = find_style(args.style)
    engine = Engine()
    with tempfile.TemporaryDirectory() as folder:
        photos = Path(folder) / "photos"
        photos.mkdir()
        for index, name in enumerate(args.train):
            to_pil(fit_within(photo(name), SIDE)).save(photos / f"{index}.png")
        request = LearnStyleRequest(
            style_name=style.name, style_path=str(style.path), steps=args.steps, content_dir=str(photos),
            canvas=photo(args.canvas) if args.canvas else None, canvas_share=args.canvas_share,
            train_size=SIDE, crop_size=args.crop_size, style_weight=args.style_weight, output=folder,
        )
        started = time.perf_counter()
        learned = engine.run(request).extras["path"]
        print(f"{style.name}: learned on {', '.join(args.train)}{f' + canvas {args.canvas} (share {args.canvas_share:g})' if args.canvas else ''}, "
              f"{args.steps} steps, crop {args.crop_size or 'whole'}, style weight {args.style_weight:g}: {time.perf_counter() - started:.0f} s")
        print(f"{'photo':<18} {'style: untuned':>14} {'learned':>8} {'Balanced':>9} {'way':>6}   {'content: untuned':>16} {'learned':>8} {'Balanced':>9}")
        for name in args.score:
            content = fit_within(photo(name), SIDE)
            scorer = Scorer(content, style.path, SIDE)
            pictures = {
                "untuned": engine.run(FastStyleRequest(content=content, styles=(StyleVectorSource(style.name, str(style.path)),), size=None)).images[0],
                "learned": engine.run(FastStyleRequest(content=content, styles=(StyleVectorSource(style.name, learned, 1.0, "learned"),), size=None)).images[0],
                "Balanced": engine.run(StyleTransferRequest(content=content, styles=(StyleSource(style.name, str(style.path)),), preset=Preset.BALANCED, size=None)).images[0],
            }
            untuned, tuned, balanced = (scorer(picture) for picture in pictures.values())
            gap = untuned["style"] - balanced["style"]
            way = f"{(untuned['style'] - tuned['style']) / gap * 100:5.0f} %" if gap > 0 else "   n/a"
            print(f"{name:<18} {untuned['style']:>14.3f} {tuned['style']:>8.3f} {balanced['style']:>9.3f} {way:>6}   "
                  f"{untuned['content']:>16.3f} {tuned['content']:>8.3f} {balanced['content']:>9.3f}")
            if args.layers:
                for kind, picture in pictures.items():
                    print(f"    {kind:<9} style by layer: " + "  ".join(f"{layer} {loss:.3f}" for layer, loss in scorer.layers(picture).items()))


if __name__ == "__main__":
    main()
