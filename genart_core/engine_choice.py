"""Where a CLI job runs: here (the local Engine) or on a GenArt server (``--server URL``).

Shared by the commands that run jobs (stylize, generate, gan, vae, train). The token comes from
$GENART_TOKEN only, never from an option, so it does not show in `ps` or in shell history.
"""

from __future__ import annotations

import argparse
import os

from genart_core.api import GenArtError


def add_server_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server", metavar="URL", default=None,
        help="run the job on a GenArt server (`genart serve`), e.g. http://gpu-box:8765; "
        "default: $GENART_SERVER; the token is read from $GENART_TOKEN",
    )


def engine_for(args: argparse.Namespace):
    """An Engine, or a RemoteEngine when a server is named; both offer run(request, on_progress, cancel)."""
    url = getattr(args, "server", None) or os.environ.get("GENART_SERVER", "")
    if not url:
        from genart_core.engine import Engine

        return Engine()
    token = os.environ.get("GENART_TOKEN", "")
    if not token:
        raise GenArtError(f"To use the server at {url}, set GENART_TOKEN to the token `genart serve` printed.")
    from genart_core.remote_engine import RemoteEngine

    return RemoteEngine(url, token)
