"""``genart vae sample|interpolate|reconstruct``: use a trained VAE from a terminal."""

from __future__ import annotations

import argparse
from pathlib import Path

from genart_core.engine_choice import add_server_option, engine_for
from genart_core.terminal import run_in_terminal, save_sheet


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("vae", help="sample, interpolate or reconstruct with a VAE", description="Use a VAE (without --model: the bundled one).")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sample = actions.add_parser("sample", help="a seeded grid of samples")
    sample.add_argument("-n", "--count", type=int, default=64)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--columns", type=int, default=8)
    sample.set_defaults(handler=run_sample, writes_files=True)
    between = actions.add_parser("interpolate", help="a slerp strip between the codes of two images")
    between.add_argument("images", nargs=2, type=Path, metavar="IMAGE")
    between.add_argument("--steps", type=int, default=8)
    between.set_defaults(handler=run_interpolate, writes_files=True)
    again = actions.add_parser("reconstruct", help="encode an image and decode it again (input | output)")
    again.add_argument("image", type=Path)
    again.set_defaults(handler=run_reconstruct, writes_files=True)
    for action in (sample, between, again):
        action.add_argument("--model", default="", help="model name or folder (default: the bundled VAE)")
        action.add_argument("--scale", type=int, default=2, help="enlarge the output this many times")
        action.add_argument("-o", "--output", type=Path, required=True)
        add_server_option(action)


def run_sample(args: argparse.Namespace) -> int:
    from genart_core.artwork import format_for_path
    from genart_core.requests.generative import VaeSampleRequest

    format_for_path(args.output)
    result = run_in_terminal(VaeSampleRequest(model=args.model, count=args.count, seed=args.seed, columns=args.columns), engine_for(args))
    save_sheet(args.output, result.extras["grid"], args.scale, result, count=args.count)
    return 0


def run_interpolate(args: argparse.Namespace) -> int:
    from genart_core.artwork import format_for_path
    from genart_core.imaging import load_image
    from genart_core.requests.generative import VaeInterpolateRequest

    format_for_path(args.output)
    start, end = (load_image(path) for path in args.images)
    result = run_in_terminal(VaeInterpolateRequest(model=args.model, start_image=start, end_image=end, steps=args.steps), engine_for(args))
    save_sheet(args.output, result.extras["strip"], args.scale, result, ends=[path.name for path in args.images])
    return 0


def run_reconstruct(args: argparse.Namespace) -> int:
    from genart_core.artwork import format_for_path
    from genart_core.imaging import load_image, resize, to_rgb
    from genart_core.latents import make_grid
    from genart_core.requests.generative import VaeReconstructRequest

    format_for_path(args.output)
    image = load_image(args.image)
    result = run_in_terminal(VaeReconstructRequest(model=args.model, image=image), engine_for(args))
    output = result.images[0]
    original = resize(to_rgb(image), output.shape[1], output.shape[0])  # squashed to the model's size to compare
    save_sheet(args.output, make_grid([original, output], columns=2), args.scale, result, source=args.image.name)
    return 0
