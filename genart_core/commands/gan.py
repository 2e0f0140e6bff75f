"""``genart gan sample|interpolate``: sample grids and slerp strips from a trained GAN."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from genart_core.api import GenerationInfo, Request, Result


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("gan", help="sample a GAN", description="Sample a GAN (without --model: the bundled one).")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sample = actions.add_parser("sample", help="a seeded grid of samples")
    sample.add_argument("--model", default="", help="model name or folder (default: the bundled GAN)")
    sample.add_argument("-n", "--count", type=int, default=64)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--columns", type=int, default=8)
    sample.add_argument("--scale", type=int, default=2, help="enlarge the grid this many times")
    sample.add_argument("-o", "--output", type=Path, required=True)
    sample.set_defaults(handler=run_sample)
    between = actions.add_parser("interpolate", help="a slerp strip between the codes of two seeds")
    between.add_argument("--model", default="")
    between.add_argument("seeds", nargs=2, type=int, metavar="SEED")
    between.add_argument("--steps", type=int, default=8)
    between.add_argument("--scale", type=int, default=2)
    between.add_argument("-o", "--output", type=Path, required=True)
    between.set_defaults(handler=run_interpolate)


def run_sample(args: argparse.Namespace) -> int:
    from genart_core.artwork import format_for_path
    from genart_core.requests.generative import GanSampleRequest

    format_for_path(args.output)
    result = run_request(GanSampleRequest(model=args.model, count=args.count, seed=args.seed, columns=args.columns))
    save_sheet(args.output, result.extras["grid"], args.scale, result, count=args.count)
    return 0


def run_interpolate(args: argparse.Namespace) -> int:
    from genart_core.artwork import format_for_path
    from genart_core.requests.generative import GanInterpolateRequest, GanSampleRequest

    format_for_path(args.output)
    ends = [run_request(GanSampleRequest(model=args.model, count=1, seed=seed)).extras["latents"][0] for seed in args.seeds]
    request = GanInterpolateRequest(model=args.model, start=tuple(map(float, ends[0])), end=tuple(map(float, ends[1])), steps=args.steps)
    result = run_request(request)
    save_sheet(args.output, result.extras["strip"], args.scale, result, seeds=list(args.seeds))
    return 0


# -- shared with the vae and train commands ------------------------------------------------

def run_request(request: Request) -> Result:
    from genart_core.engine import Engine
    from genart_core.terminal import TerminalProgress

    progress = TerminalProgress(sys.stderr)
    try:
        return Engine().run(request, progress)
    finally:
        progress.done()


def save_sheet(path: Path, sheet: np.ndarray, scale: int, result: Result, **extra) -> None:
    """Save a grid or strip, enlarged ``scale`` times, with the request that made it in its metadata."""
    from genart_core.artwork import save_artwork
    from genart_core.latents import enlarge

    first = result.infos[0] if result.infos else GenerationInfo()
    image = enlarge(sheet, scale)
    info = GenerationInfo(seed=first.seed, width=image.shape[1], height=image.shape[0], model=first.model, extra={**first.extra, **extra}, request=first.request)
    save_artwork(path, image, info)
    sys.stdout.write(f"{path}\n")
