"""``genart models list`` and ``genart models add HUB_ID|FOLDER|FILE``."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="list or add diffusion models")
    actions = parser.add_subparsers(dest="models_command", metavar="ACTION")
    listing = actions.add_parser("list", help="list the diffusion models this installation can use")
    listing.set_defaults(handler=list_models)
    add = actions.add_parser(
        "add",
        help="add a model: a Hugging Face id (downloaded), a diffusers folder or a .safetensors file",
        description="Add a diffusion model. Hub ids are downloaded into the Hugging Face cache (resumable). "
        "On a CPU, stabilityai/sd-turbo is a good first choice (one step per image).",
    )
    add.add_argument("source", metavar="HUB_ID|FOLDER|FILE")
    add.set_defaults(handler=add_model, writes_files=True)
    parser.set_defaults(handler=list_models)


def list_models(args: argparse.Namespace) -> int:
    from genart_core import sd_models

    for spec in sd_models.list_models():
        sys.stdout.write(f"{spec.key:<48} {spec.kind:<8} {spec.location}\n")
    return 0


def add_model(args: argparse.Namespace) -> int:
    from genart_core import sd_models
    from genart_core.api import Progress
    from genart_core.terminal import TerminalProgress

    bar = TerminalProgress()

    def show(done: int, total: int, filename: str) -> None:
        # Megabytes keep the numbers readable on one line.
        bar(Progress(done // 1_000_000, max(1, total // 1_000_000), f"MB {filename.split('/')[-1]}"))

    try:
        spec = sd_models.add_model(args.source, show)
    finally:
        bar.done()
    sys.stdout.write(f"Added {spec.key} ({spec.kind}). Use it with: genart generate \"…\" --model {spec.key}\n")
    return 0
