"""``genart serve``: run the GenArt server (the core Engine on Ray Serve) for the app and CLI to use."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import sys
import threading

from genart_core.api import GenArtError

log = logging.getLogger(__name__)
APP_NAME = "genart"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run a GenArt server (on Ray Serve) that the app and `--server` commands can send jobs to",
        description="Deploy the GenArt engine as a Ray Serve application. Without --address a local Ray "
        "instance is started (and stopped again on Ctrl+C or SIGTERM); with --address the application runs "
        "on that existing cluster, which is left running.",
    )
    parser.add_argument("--address", help="an existing Ray cluster (e.g. ray://head:10001 or auto); default: start a local one")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on; 0.0.0.0 to accept other machines (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="HTTP port (default 8765)")
    parser.add_argument("--token", default=os.environ.get("GENART_TOKEN"), help="the bearer token clients must send (default: $GENART_TOKEN, else a new random one, printed)")
    parser.add_argument("--replicas", type=int, default=1, help="engine replicas, each holding its own loaded models (default 1)")
    parser.add_argument("--gpus-per-replica", type=float, default=0.0, help="GPUs each replica reserves, e.g. 1 (default 0: CPU)")
    parser.add_argument("--allow-paths", metavar="DIR", help="let clients name server files (models, weights, training data) inside DIR")
    parser.add_argument("--max-request-mb", type=float, default=64.0, help="largest request accepted, in MB (default 64)")
    parser.add_argument("--max-image-megapixels", type=float, default=16.0, help="largest image accepted, in megapixels (default 16)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.replicas < 1 or args.gpus_per_replica < 0:
        raise GenArtError("--replicas must be at least 1 and --gpus-per-replica not negative.")
    allow_paths = None
    if args.allow_paths:
        allow_paths = os.path.realpath(os.path.expanduser(args.allow_paths))
        if not os.path.isdir(allow_paths):
            raise GenArtError(f"--allow-paths {args.allow_paths}: no such folder.")
    try:
        import ray
        from ray import serve
    except ImportError:
        raise GenArtError("The server needs Ray Serve: pip install 'genart-studio[server]' (or 'ray[serve]').") from None
    from genart_core.server.app import build_app
    from genart_core.server.protocol import Limits

    token = args.token or secrets.token_urlsafe(24)
    limits = Limits(max_body_bytes=int(args.max_request_mb * 1e6), max_image_pixels=int(args.max_image_megapixels * 1e6))
    stop = threading.Event()
    ray.init(address=args.address, include_dashboard=False, logging_level="WARNING")
    # After ray.init, which installs a SIGTERM handler of its own that exits at once: SIGTERM
    # (systemd, docker stop, kill) ends the server the way Ctrl+C does, shutting Ray down cleanly.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        serve.start(http_options={"host": args.host, "port": args.port})
        serve.run(build_app(token, args.replicas, args.gpus_per_replica, allow_paths, limits), name=APP_NAME, route_prefix="/")
        shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
        sys.stdout.write(
            f"GenArt server ready at http://{shown_host}:{args.port}\n"
            f"Token: {token}\n"
            f"Use it with: GENART_SERVER=http://{shown_host}:{args.port} GENART_TOKEN={token} genart stylize …\n"
        )
        sys.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        sys.stdout.write("Stopping the GenArt server…\n")
        sys.stdout.flush()
    finally:
        try:
            serve.delete(APP_NAME)
            if not args.address:
                serve.shutdown()
        finally:
            # With --address this only disconnects; the cluster keeps running.
            ray.shutdown()
    return 0
