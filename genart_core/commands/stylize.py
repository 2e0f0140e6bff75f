"""``genart stylize CONTENT --style STYLE[:WEIGHT] … -o OUT.png``: neural style transfer from a terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from genart_core.api import GenArtError
from genart_core.engine_choice import add_server_option, engine_for
from genart_core.requests.fast_style import FastStyleRequest
from genart_core.requests.style import ColorMode, Init, Preset, StyleSource, StyleTransferRequest, parse_style_spec


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "stylize",
        help="repaint a photo in the style of one or more paintings",
        description="Neural style transfer. STYLE is an image file or the name of a style in the gallery "
        "(built-in: mosaic, ink wash, stained glass, brush strokes, pointillist, cubist). "
        "Several --style options fuse the styles; :WEIGHT sets each one's share (e.g. two styles "
        "with :0.3 and :0.7 interpolate between them).",
    )
    parser.add_argument("content", help="the photo to repaint")
    parser.add_argument("--style", "-s", action="append", required=True, metavar="STYLE[:WEIGHT]", help="style image or name (repeatable)")
    parser.add_argument("-o", "--output", required=True, help="where to save the result (.png, .jpg, .webp)")
    parser.add_argument("--preset", choices=[p.value for p in Preset], default=Preset.BALANCED.value,
                        help="preview: seconds; balanced: the default; best: slower, finer")
    parser.add_argument("--size", type=int, default=512, help="longest side of the result in pixels (0 = the content's size)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random perturbation; another seed gives another variation")
    parser.add_argument("--strength", type=float, default=1.0, help="how strongly the style is applied (0–3)")
    parser.add_argument("--preserve-colors", nargs="?", const=ColorMode.LUMINANCE.value, default=ColorMode.NONE.value,
                        choices=[m.value for m in ColorMode],
                        help="keep the content's colours: luminance (default when given) or match")
    parser.add_argument("--init", choices=[i.value for i in Init], default=Init.CONTENT.value, help="start from the content or from noise")
    parser.add_argument("--optimizer", choices=["adam", "lbfgs"], default=None, help="default: the preset's (adam)")
    parser.add_argument("--weights", default="auto", help="VGG-19 weights: auto, oxford (offline), torchvision, or a .safetensors file")
    parser.add_argument("--style-scale", type=float, default=1.0, help="size of the style's marks relative to the content")
    instant = parser.add_argument_group("instant style transfer (--fast)")
    instant.add_argument("--fast", action="store_true",
                         help="one pass of the arbitrary-style network instead of optimising (a fraction of a second)")
    instant.add_argument("--variation", type=float, default=0.0, help="with --fast: a seeded variation of the style (0 = none, 1 = clear)")
    instant.add_argument("--untuned", action="store_true", help="with --fast: ignore learned styles, use the predicted style vector")
    instant.add_argument("--network-side", type=int, default=512,
                         help="with --fast: longest side the network paints at; larger results are enlarged with the photo's detail "
                              "added back, so the strokes keep their size relative to the picture (0 = paint at the result's size)")
    instant.add_argument("--backend", choices=["auto", "onnxruntime", "torch"], default="auto", help="with --fast: what runs the network")
    instant.add_argument("--report-time", action="store_true", help="print the stylisation time alone, as “N.NN s”")
    add_server_option(parser)
    parser.set_defaults(handler=run, writes_files=True)


def _style_specs(args: argparse.Namespace) -> list[tuple[str, float]]:
    """(name, weight) of each --style NAME[:WEIGHT]; a malformed one is a one-line error."""
    try:
        return [parse_style_spec(spec) for spec in args.style]
    except ValueError as exc:
        raise GenArtError(str(exc)) from None


def build_request(args: argparse.Namespace) -> StyleTransferRequest:
    from genart_core.styles import find_style

    sources = []
    for name, weight in _style_specs(args):
        style = find_style(name)
        sources.append(StyleSource(style.name, str(style.path), weight))
    if args.strength < 0:
        raise GenArtError("--strength must not be negative.")
    return StyleTransferRequest(
        content=str(Path(args.content)),
        styles=tuple(sources),
        preset=Preset(args.preset),
        size=args.size or None,
        seed=args.seed,
        strength=args.strength,
        preserve_colors=ColorMode(args.preserve_colors),
        init=Init(args.init),
        optimizer=args.optimizer,
        weights=args.weights,
        style_scale=args.style_scale,
    )


def build_fast_request(args: argparse.Namespace) -> FastStyleRequest:
    from genart_core.fast_style.sources import source_for

    sources = [source_for(name, weight, use_learned=not args.untuned) for name, weight in _style_specs(args)]
    return FastStyleRequest(
        content=str(Path(args.content)),
        styles=tuple(sources),
        strength=args.strength,
        size=args.size or None,
        seed=args.seed,
        variation=args.variation,
        preserve_colors=ColorMode(args.preserve_colors),
        network_side=args.network_side or None,
        backend=args.backend,
    )


def run(args: argparse.Namespace) -> int:
    from genart_core.artwork import format_for_path, save_artwork
    from genart_core.terminal import run_in_terminal

    format_for_path(args.output)  # a bad file name fails now, not after minutes of work
    if args.fast:
        request: StyleTransferRequest | FastStyleRequest = build_fast_request(args)
    else:
        from genart_core.device import configure_threads  # imports torch: not on the instant path

        request = build_request(args)
        configure_threads()
    result = run_in_terminal(request, engine_for(args))
    if args.report_time:
        sys.stdout.write(f"{result.extras['seconds']:.2f} s\n")
    path = save_artwork(args.output, result.images[0], result.infos[0])
    height, width = result.images[0].shape[:2]
    sys.stdout.write(f"Saved {path} ({width}×{height}, seed {request.seed}, {result.extras['seconds']:.1f} s)\n")
    return 0
