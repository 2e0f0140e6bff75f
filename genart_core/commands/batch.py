"""``genart batch stylize|generate|gan|vae``: many jobs of one kind spread over Ray workers."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from genart_core.api import GenArtError
from genart_core.requests.style import ColorMode, Init, Preset

log = logging.getLogger(__name__)

_RESUME = ("Outputs that exist are skipped, so running the command again resumes an interrupted batch "
           "(use a new OUTDIR to remake them with other settings).")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("batch", help="many jobs at once on Ray workers (this machine or a cluster)")
    actions = parser.add_subparsers(dest="batch_command", metavar="ACTION", required=True)
    stylize = actions.add_parser(
        "stylize", help="stylise every image in a folder",
        description="Stylise every image in FOLDER into OUTDIR/<name>.png, spread over Ray workers (one model load "
        f"per worker). {_RESUME} Files that are not readable images are reported and skipped.",
    )
    stylize.add_argument("folder", type=Path)
    stylize.add_argument("--style", "-s", action="append", required=True, metavar="STYLE[:WEIGHT]", help="style image or name (repeatable)")
    stylize.add_argument("--preset", choices=[p.value for p in Preset], default=Preset.BALANCED.value)
    stylize.add_argument("--size", type=int, default=512, help="longest side of each result (0 = its own size)")
    stylize.add_argument("--seed", type=int, default=0)
    stylize.add_argument("--strength", type=float, default=1.0)
    stylize.add_argument("--weights", default="auto", help="VGG-19 weights: auto, oxford, torchvision, or a .safetensors file")
    stylize.set_defaults(handler=run_stylize, preserve_colors=ColorMode.NONE.value, init=Init.CONTENT.value, optimizer=None, style_scale=1.0)

    generate = actions.add_parser(
        "generate", help="images for every prompt in a text file",
        description="Make -n images for each line of PROMPTS.txt (blank lines and lines starting with # are ignored), "
        f"seeds SEED, SEED+1, …, into OUTDIR/<prompt words>-<hash>-seed<S>.png. {_RESUME} A line that is not a usable "
        "prompt, or whose job fails, is reported and skipped.",
    )
    generate.add_argument("prompts", type=Path, metavar="PROMPTS.txt")
    generate.add_argument("-n", "--count", type=int, default=1, help="images per prompt")
    from genart_core.commands.generate import add_prompt_options

    add_prompt_options(generate)
    generate.set_defaults(handler=run_generate)

    for kind in ("gan", "vae"):
        sample = actions.add_parser(
            kind, help=f"many samples of a {kind.upper()}, one file each",
            description=f"Sample a {kind.upper()} once per seed (SEED … SEED+N-1) into OUTDIR/seed-<S>.png. {_RESUME}",
        )
        sample.add_argument("--model", default="", help=f"model name or folder (default: the bundled {kind.upper()})")
        sample.add_argument("-n", "--count", type=int, default=64, help="how many samples")
        sample.add_argument("--seed", type=int, default=0, help="seed of the first sample")
        sample.set_defaults(handler=run_samples, kind=kind)

    for action in (stylize, generate, *(actions.choices[kind] for kind in ("gan", "vae"))):
        action.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR")
        action.add_argument("--workers", type=int, default=0, help="Ray workers (default: one per CPU Ray offers)")
        action.add_argument("--gpus-per-worker", type=float, default=0.0)
        action.add_argument("--address", help="an existing Ray cluster (default: a local Ray, started and stopped here)")


def _worker_count(asked: int, gpus_per_worker: float, free: dict[str, float]) -> int:
    """``asked`` workers (0: one per free CPU), no more than the free CPUs: a worker Ray cannot
    place would hold its items forever. A GPU cluster places workers by their GPUs."""
    cpus = int(free.get("CPU", 0))
    if not asked:
        return max(1, cpus)
    if gpus_per_worker == 0 and asked > max(1, cpus):
        log.warning("Ray has %d free CPU(s) now; using %d worker(s) instead of %d.", cpus, max(1, cpus), asked)
        return max(1, cpus)
    return asked


def _run_on_ray(args: argparse.Namespace, what: str, batch) -> int:
    """Start (or join) Ray, run ``batch(workers, on_item)`` with a progress bar, report, stop Ray."""
    try:
        import ray
    except ImportError:
        raise GenArtError("Batch work needs Ray: pip install 'genart-studio[server]' (or 'ray[serve]').") from None
    from genart_core.api import Progress
    from genart_core.terminal import TerminalProgress

    started_ray = not ray.is_initialized()
    if started_ray:
        ray.init(address=args.address, include_dashboard=False, logging_level="WARNING")
    bar = TerminalProgress()
    try:
        workers = _worker_count(args.workers, args.gpus_per_worker, ray.available_resources())
        report = batch(workers, lambda done, total, rate: bar(Progress(done, total, f"{done}/{total} images, {rate:.2f}/s")))
    finally:
        bar.done()
        if started_ray:
            ray.shutdown()
    for item, why in report.failed.items():
        sys.stderr.write(f"skipped {item}: {why}\n")
    sys.stdout.write(f"{len(report.done)} {what}, {len(report.skipped)} already done, {len(report.failed)} failed "
                     f"in {report.seconds:.1f} s -> {args.output}\n")
    return 1 if report.failed else 0


def run_stylize(args: argparse.Namespace) -> int:
    from genart_core.batch import stylize_folder
    from genart_core.commands.stylize import build_request

    # Each item's content replaces this placeholder; the rest of the request is the same for all.
    template = build_request(argparse.Namespace(**{**vars(args), "content": str(args.folder)}))
    return _run_on_ray(args, "stylised", lambda workers, on_item: stylize_folder(
        template, args.folder, args.output, workers, args.gpus_per_worker, on_item))


def run_generate(args: argparse.Namespace) -> int:
    from genart_core.batch import prompt_items, run_batch
    from genart_core.commands.generate import prompt_fields
    from genart_core.prompts_file import read_prompts
    from genart_core.requests.diffusion import TextToImageRequest

    if args.count < 1:
        raise GenArtError("-n must be at least 1.")
    prompts, bad_lines = read_prompts(args.prompts)
    template = TextToImageRequest(**prompt_fields(args, prompt="", count=1))  # each item sets prompt and seed
    items = prompt_items(prompts, args.seed, args.count, args.output)

    def batch(workers, on_item):
        report = run_batch(template, items, args.output, workers, args.gpus_per_worker, on_item=on_item)
        report.failed = {**bad_lines, **report.failed}
        return report

    return _run_on_ray(args, "made", batch)


def run_samples(args: argparse.Namespace) -> int:
    from genart_core.batch import run_batch, seed_items
    from genart_core.requests.generative import GanSampleRequest, VaeSampleRequest

    if args.count < 1:
        raise GenArtError("-n must be at least 1.")
    request_type = GanSampleRequest if args.kind == "gan" else VaeSampleRequest
    template = request_type(model=args.model, count=1, seed=0, columns=1)  # each item sets the seed
    items = seed_items(args.seed, args.count, args.output)
    return _run_on_ray(args, "sampled", lambda workers, on_item: run_batch(
        template, items, args.output, workers, args.gpus_per_worker, on_item=on_item))
