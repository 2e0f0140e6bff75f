"""``genart upscale IN -o OUT``: enlarge a picture 2× or 4× with a learned upscaler."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from genart_core.api import GenArtError
from genart_core.engine_choice import add_server_option, engine_for
from genart_core.requests.upscale import DEFAULT_TILE, DEFAULT_UPSCALER, SCALES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "upscale",
        help="enlarge a picture 2× or 4× with a learned upscaler",
        description="Enlarge a picture with the bundled genart-sr networks (genart-sr for 2×, genart-sr-4x for 4×), or a community upscaler "
        "(ESRGAN, Real-ESRGAN, SwinIR, SPAN, … as .safetensors or .pth; add one with `genart models add --upscaler FILE`).",
    )
    parser.add_argument("input", type=Path, metavar="IN")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT", help="output .png, .jpg or .webp")
    parser.add_argument("--scale", type=int, choices=SCALES, default=2)
    parser.add_argument("--model", default=DEFAULT_UPSCALER, help="an installed upscaler's name or key (`genart models list`; genart-sr runs its 4× network for 4×), or an upscaler file (it keeps its own scale)")
    parser.add_argument(
        "--detail", type=float, default=1.0,
        help="0 = a plain Lanczos enlargement, 1 = all the detail the network adds (default 1)",
    )
    parser.add_argument("--tile", type=int, default=DEFAULT_TILE, help=f"tile side in input pixels (default {DEFAULT_TILE}); smaller uses less memory")
    add_server_option(parser)
    parser.set_defaults(handler=run, writes_files=True)


def run(args: argparse.Namespace) -> int:
    from genart_core.artwork import format_for_path, read_generation_info, save_artwork
    from genart_core.imaging import load_image
    from genart_core.requests.upscale import UpscaleRequest
    from genart_core.source_parameters import with_source_parameters
    from genart_core.terminal import run_in_terminal

    format_for_path(args.output)  # a bad file name fails now, not after the work
    if args.output.exists() and args.output.resolve() == args.input.resolve():
        raise GenArtError(f"The output would replace the picture being enlarged ({args.input.name}); choose another name.")
    request = UpscaleRequest(image=load_image(args.input), scale=args.scale, model=args.model, detail=args.detail, tile=args.tile)
    source = read_generation_info(args.input)  # loaded above, so the file is a picture; odd metadata is dropped, not raised
    result = run_in_terminal(request, engine_for(args))
    upscaler = result.infos[0].model
    info = with_source_parameters(result.infos[0], source)
    info.extra["Source"] = args.input.name  # its name only: saved files never carry folders
    path = save_artwork(args.output, result.images[0], info)
    height, width = result.images[0].shape[:2]
    stopped = f", stopped {result.stopped}" if result.stopped else ""
    sys.stdout.write(f"Saved {path} ({width}×{height}, {upscaler}, detail {args.detail:g}{stopped})\n")
    return 0
