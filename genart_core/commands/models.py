"""``genart models list`` and ``genart models add HUB_ID|FOLDER|FILE`` (``--upscaler FILE|owner/repo/FILE`` for upscalers)."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="list or add diffusion models and upscalers")
    actions = parser.add_subparsers(dest="models_command", metavar="ACTION")
    listing = actions.add_parser("list", help="list the diffusion models and upscalers this installation can use")
    listing.set_defaults(handler=list_models)
    add = actions.add_parser(
        "add",
        help="add a model: a Hugging Face id (downloaded), a diffusers folder or a .safetensors file",
        description="Add a diffusion model. Hub ids are downloaded into the Hugging Face cache (resumable). "
        "On a CPU, stabilityai/sd-turbo is a good first choice (one step per image).",
    )
    add.add_argument("source", metavar="HUB_ID|FOLDER|FILE")
    add.add_argument(
        "--upscaler", action="store_true",
        help="add a community upscaler instead: a .safetensors or .pth file (ESRGAN, Real-ESRGAN, SwinIR, SPAN, …), "
        "or one file of a Hugging Face repository as owner/repo/FILE (downloaded)",
    )
    add.set_defaults(handler=add_model, writes_files=True)
    parser.set_defaults(handler=list_models)


def list_models(args: argparse.Namespace) -> int:
    from genart_core import sd_models, upscalers

    for spec in sd_models.list_models():
        sys.stdout.write(f"{spec.key:<48} {spec.kind:<8} {spec.location}\n")
    for upscaler in upscalers.list_upscalers():
        # Ours: the name with its scale and use ("genart-sr (bundled, 2×; 4× by genart-sr-4x)");
        # community files: the key `--model` takes.
        shown = upscaler.label if upscaler.kind == "ours" else upscaler.key
        sys.stdout.write(f"{shown:<48} {'upscaler':<8} {upscaler.location}\n")
    return 0


def add_model(args: argparse.Namespace) -> int:
    from genart_core import sd_models, upscalers
    from genart_core.api import Progress
    from genart_core.terminal import TerminalProgress

    bar = TerminalProgress()

    def show(done: int, total: int, filename: str) -> None:
        # Megabytes keep the numbers readable on one line.
        bar(Progress(done // 1_000_000, max(1, total // 1_000_000), f"MB {filename.split('/')[-1]}"))

    add = upscalers.add_upscaler if args.upscaler else sd_models.add_model
    try:
        spec = add(args.source, show)
    finally:
        bar.done()
    if args.upscaler:
        sys.stdout.write(f"Added the upscaler {spec.key}. Use it with: genart upscale IN -o OUT --model {spec.key}\n")
    else:
        sys.stdout.write(f"Added {spec.key} ({spec.kind}). Use it with: genart generate \"…\" --model {spec.key}\n")
    return 0
