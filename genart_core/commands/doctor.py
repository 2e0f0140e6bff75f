"""``genart doctor``: versions, device, folders and available models, to paste into a bug report."""

from __future__ import annotations

import argparse
import importlib.metadata
import platform
import sys

from genart_core import __version__, paths


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("doctor", help="print versions, device, folders and available models")
    parser.add_argument("--self-test", action="store_true", help="also run a short diagnostic job through the engine")
    parser.set_defaults(handler=run)


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def run(args: argparse.Namespace) -> int:
    from genart_core import device
    from genart_core.openvino_backend import choice as cpu_backend
    from genart_core.weights import available_models

    out = sys.stdout
    out.write(f"GenArt Studio {__version__}\nPython {platform.python_version()} on {platform.platform()}\n\n")
    out.write("Packages:\n")
    for package in ("torch", "torchvision", "diffusers", "transformers", "safetensors", "huggingface_hub", "openvino", "PySide6", "pillow", "numpy"):
        out.write(f"  {package:<16} {_version(package)}\n")
    out.write("\nCompute:\n")
    for key, value in device.describe().items():
        out.write(f"  {key:<16} {value}\n")
    # Measured once per machine (a few seconds) unless $GENART_CPU_BACKEND says.
    out.write(f"  {'SD networks':<16} {cpu_backend.choose(device.choose_device())}\n")
    out.write("\nFolders:\n")
    for name, folder in (("data", paths.data_dir), ("cache", paths.cache_dir), ("models", paths.models_dir), ("resources", paths.resources_dir)):
        out.write(f"  {name:<16} {folder()}\n")
    out.write("\nModels:\n")
    models = available_models()
    for model in models:
        out.write(f"  {model.kind:<16} {model.name:<28} {model.status}\n")
    if not models:
        out.write("  (none found)\n")
    if args.self_test:
        _self_test(out)
    return 0


def _self_test(out) -> None:
    from genart_core.requests.selftest import SelfTestRequest
    from genart_core.terminal import run_in_terminal

    result = run_in_terminal(SelfTestRequest(steps=8))
    image = result.images[0]
    out.write(f"\nSelf-test: rendered a {image.shape[1]}×{image.shape[0]} image through the engine.\n")
