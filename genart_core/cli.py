"""``genart``: the core's jobs from a terminal. Subcommands live in genart_core/commands/."""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from genart_core import __version__, commands
from genart_core.api import Cancelled, GenArtError

log = logging.getLogger(__name__)


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
    if getattr(args, "writes_files", False):
        _remove_dead_sessions_leftovers()
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


def _remove_dead_sessions_leftovers() -> None:
    """What the app does at start-up, for commands that write files: a killed save or run leaves
    temporary files and scratch folders that only this clean-up finds. It reads one small folder
    (never a running instance's files), so it costs milliseconds; a failure must not stop the command."""
    from genart_core.leftovers import remove_dead_sessions

    try:
        freed = remove_dead_sessions()
    except OSError as exc:
        log.warning("Could not remove the leftovers of ended sessions: %s", exc)
        return
    if freed:
        log.info("Removed %s bytes left by ended sessions", f"{freed:,}")


if __name__ == "__main__":
    sys.exit(main())
