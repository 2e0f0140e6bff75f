"""``genart train gan|vae --data FOLDER --out MODEL_DIR``: train a model; Ctrl+C keeps the last checkpoint."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from genart_core.engine_choice import add_server_option, engine_for
from genart_core.requests.generative import BUNDLED_DATA


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="train a GAN or VAE on a folder of images",
        description=f"Train a GAN or VAE. --data is a folder of images or one of {', '.join(BUNDLED_DATA)}. "
        "Running the same command again resumes from the checkpoint in --out.",
    )
    parser.add_argument("kind", choices=["gan", "vae"])
    parser.add_argument("--data", required=True, help=f"folder of images, or {' / '.join(BUNDLED_DATA)}")
    parser.add_argument("--out", type=Path, required=True, help="model folder to write (model.safetensors, card.json, checkpoint.pt)")
    parser.add_argument("--wgan-gp", action="store_true", help="GAN: Wasserstein loss with gradient penalty instead of BCE")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--size", type=int, choices=[28, 32, 64], default=28, help="image side in pixels")
    parser.add_argument("--rgb", action="store_true", help="train in colour (default greyscale)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--beta", type=float, default=1.0, help="VAE: weight of the KL term")
    parser.add_argument(
        "--perceptual-weight", type=float, default=0.0, metavar="W",
        help="VAE: add a VGG-19 feature (perceptual) reconstruction term of this weight, against blur (e.g. 1; default 0, off)",
    )
    parser.add_argument(
        "--adversarial-weight", type=float, default=0.0, metavar="A",
        help="VAE: add a PatchGAN adversarial term of this weight, making a VAE-GAN (e.g. 0.1; default 0, off)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="", help="model name (default: the folder's name)")
    parser.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint in --out")
    add_server_option(parser)
    parser.set_defaults(handler=run, writes_files=True)


def run(args: argparse.Namespace) -> int:
    from genart_core.requests.generative import TrainRequest
    from genart_core.terminal import run_in_terminal

    method = "vae" if args.kind == "vae" else ("wgan-gp" if args.wgan_gp else "gan")
    request = TrainRequest(
        data=args.data, out=str(args.out), method=method, name=args.name, epochs=args.epochs, image_size=args.size,
        channels=3 if args.rgb else 1, batch=args.batch, seed=args.seed, beta=args.beta, resume=not args.fresh,
        perceptual_weight=args.perceptual_weight, adversarial_weight=args.adversarial_weight,
    )
    card = run_in_terminal(request, engine_for(args)).extras["card"]
    losses = ", ".join(f"{k} {v:.4g}" for k, v in card["final_losses"].items())
    sys.stdout.write(f"{args.out}: {card['steps']} steps in {card['wall_time_s']} s; {losses}; diversity {card['diversity']}\n")
    return 0
