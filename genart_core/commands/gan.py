"""``genart gan sample|interpolate``: sample grids and slerp strips from a trained GAN."""

from __future__ import annotations

import argparse
from pathlib import Path

from genart_core.engine_choice import add_server_option, engine_for
from genart_core.terminal import run_in_terminal, save_sheet


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
    sample.set_defaults(handler=run_sample, writes_files=True)
    between = actions.add_parser("interpolate", help="a slerp strip between the codes of two seeds")
    between.add_argument("--model", default="")
    between.add_argument("seeds", nargs=2, type=int, metavar="SEED")
    between.add_argument("--steps", type=int, default=8)
    between.add_argument("--scale", type=int, default=2)
    between.add_argument("-o", "--output", type=Path, required=True)
    between.set_defaults(handler=run_interpolate, writes_files=True)
    for action in (sample, between):
        add_server_option(action)


def run_sample(args: argparse.Namespace) -> int:
    from genart_core.artwork import format_for_path
    from genart_core.requests.generative import GanSampleRequest

    format_for_path(args.output)
    result = run_in_terminal(GanSampleRequest(model=args.model, count=args.count, seed=args.seed, columns=args.columns), engine_for(args))
    save_sheet(args.output, result.extras["grid"], args.scale, result, count=args.count)
    return 0


def run_interpolate(args: argparse.Namespace) -> int:
    from genart_core.artwork import format_for_path
    from genart_core.pipelines.gan import generator_config
    from genart_core.pipelines.sampling import find_generative_model, sample_latents
    from genart_core.requests.generative import GanInterpolateRequest

    format_for_path(args.output)
    latent_dim = generator_config(find_generative_model("gan", args.model)).latent_dim
    ends = [sample_latents(1, latent_dim, seed)[0] for seed in args.seeds]
    request = GanInterpolateRequest(model=args.model, start=tuple(map(float, ends[0])), end=tuple(map(float, ends[1])), steps=args.steps)
    result = run_in_terminal(request, engine_for(args))
    save_sheet(args.output, result.extras["strip"], args.scale, result, seeds=list(args.seeds))
    return 0
