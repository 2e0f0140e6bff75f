"""``genart``: the core's jobs from a terminal. Subcommands live in genart_core/commands/."""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from genart_core import __version__, commands
from genart_core.api import Cancelled, GenArtError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genart",
        description="GenArt Studio from the command line: style transfer, GANs, VAEs and diffusion.",
    )
    parser.add_argument("--version", action="version", version=f"GenArt Studio {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens in detail")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{module_info.name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except Cancelled:
        sys.stderr.write("Cancelled.\n")
        return 130
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        return 130
    except GenArtError as exc:
        sys.stderr.write(f"genart: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
