"""``genart batch stylize FOLDER --style S -o OUTDIR``: style transfer over a folder on Ray workers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from genart_core.api import GenArtError
from genart_core.requests.style import ColorMode, Init, Preset


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("batch", help="stylise a whole folder on Ray workers (this machine or a cluster)")
    actions = parser.add_subparsers(dest="batch_command", metavar="ACTION", required=True)
    stylize = actions.add_parser(
        "stylize", help="stylise every image in a folder",
        description="Stylise every image in FOLDER into OUTDIR/<name>.png, spread over Ray workers (one model load "
        "per worker). Outputs that exist are skipped, so running the command again resumes an interrupted batch; "
        "files that are not readable images are reported and skipped.",
    )
    stylize.add_argument("folder", type=Path)
    stylize.add_argument("--style", "-s", action="append", required=True, metavar="STYLE[:WEIGHT]", help="style image or name (repeatable)")
    stylize.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR")
    stylize.add_argument("--preset", choices=[p.value for p in Preset], default=Preset.BALANCED.value)
    stylize.add_argument("--size", type=int, default=512, help="longest side of each result (0 = its own size)")
    stylize.add_argument("--seed", type=int, default=0)
    stylize.add_argument("--strength", type=float, default=1.0)
    stylize.add_argument("--weights", default="auto", help="VGG-19 weights: auto, oxford, torchvision, or a .safetensors file")
    stylize.add_argument("--workers", type=int, default=0, help="Ray workers (default: one per CPU Ray offers)")
    stylize.add_argument("--gpus-per-worker", type=float, default=0.0)
    stylize.add_argument("--address", help="an existing Ray cluster (default: a local Ray, started and stopped here)")
    stylize.set_defaults(handler=run_stylize, preserve_colors=ColorMode.NONE.value, init=Init.CONTENT.value, optimizer=None, style_scale=1.0)


def run_stylize(args: argparse.Namespace) -> int:
    try:
        import ray
    except ImportError:
        raise GenArtError("Batch work needs Ray: pip install 'genart-studio[server]' (or 'ray[serve]').") from None
    from genart_core.api import Progress
    from genart_core.batch import stylize_folder
    from genart_core.commands.stylize import build_request
    from genart_core.terminal import TerminalProgress

    # Each item's content replaces this placeholder; the rest of the request is the same for all.
    template = build_request(argparse.Namespace(**{**vars(args), "content": str(args.folder)}))
    started_ray = not ray.is_initialized()
    if started_ray:
        ray.init(address=args.address, include_dashboard=False, logging_level="WARNING")
    bar = TerminalProgress()
    try:
        workers = args.workers or max(1, int(ray.available_resources().get("CPU", 1)))
        report = stylize_folder(
            template, args.folder, args.output, workers, args.gpus_per_worker,
            lambda done, total, rate: bar(Progress(done, total, f"{done}/{total} images, {rate:.2f}/s")),
        )
    finally:
        bar.done()
        if started_ray:
            ray.shutdown()
    for source, why in report.failed.items():
        sys.stderr.write(f"skipped {source}: {why}\n")
    sys.stdout.write(f"{len(report.done)} stylised, {len(report.skipped)} already done, {len(report.failed)} failed "
                     f"in {report.seconds:.1f} s -> {args.output}\n")
    return 1 if report.failed else 0
