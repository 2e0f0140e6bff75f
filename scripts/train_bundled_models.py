"""Train GenArt Studio's bundled GAN and VAE on digits drawn from the installed fonts.

    OMP_NUM_THREADS=1 nohup python scripts/train_bundled_models.py dcgan-digits > gan.log 2>&1 &

Each model lands in resources/models/<name>/ (model.safetensors in fp16 + card.json); the
resumable checkpoint and a 64-sample grid per checkpoint go to --work-dir.
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import replace
from pathlib import Path

import torch
from PIL import Image

from genart_core.datasets import load_dataset
from genart_core.latents import enlarge
from genart_core.training import Snapshot, TrainSettings, Trainer, fit

# name -> (data source, settings). The generator is 128 channels wide rather than the
# tutorial's 256: a quarter of the weights (1.8 MB in fp16) and fast enough on two CPU cores.
MODELS = {
    "dcgan-digits": ("bundled:digits", TrainSettings(method="gan", steps=6000, batch=64, width=128, seed=0)),
    "vae-digits": ("bundled:digits", TrainSettings(method="vae", steps=6000, batch=64, latent_dim=16, beta=1.0, seed=0)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help=f"which to train (default: all of {', '.join(MODELS)})")
    parser.add_argument("--out-root", type=Path, default=Path("resources/models"))
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/genart-bundled-training"))
    parser.add_argument("--images", type=int, default=20_000, help="digits to render")
    parser.add_argument("--minutes", type=float, default=None, help="stop each model after this long")
    parser.add_argument("--steps", type=int, default=None, help="override the step count")
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(1)

    for name in args.models or list(MODELS):
        if name not in MODELS:
            parser.error(f"unknown model {name}; choose from {', '.join(MODELS)}")
        source, settings = MODELS[name]
        if args.steps:
            settings = replace(settings, steps=args.steps)
        started = time.perf_counter()
        dataset = load_dataset(source, settings.image_size, settings.channels, count=args.images, seed=settings.seed)
        print(f"{name}: {len(dataset.images)} images ({dataset.description}) in {time.perf_counter() - started:.0f} s", flush=True)
        work = args.work_dir / name

        def report(snapshot: Snapshot, name: str = name, work: Path = work) -> None:
            if snapshot.grid is None:
                return
            losses = " ".join(f"{k} {v:.4f}" for k, v in snapshot.losses.items())
            print(f"{name} step {snapshot.step}/{snapshot.total} {losses} {snapshot.diversity}", flush=True)
            work.mkdir(parents=True, exist_ok=True)
            Image.fromarray(enlarge(snapshot.grid, 2)).save(work / "grid.png")

        trainer = Trainer(settings, dataset.images, dataset.labels)
        card = fit(
            trainer, args.out_root / name, name, dataset.description, report=report,
            sample_every=500, checkpoint_every=500, resume=args.resume, checkpoint_dir=work,
            max_seconds=None if args.minutes is None else args.minutes * 60,
        )
        print(f"{name}: done, {card['steps']} steps in {card['wall_time_s']} s, losses {card['final_losses']}, diversity {card['diversity']}", flush=True)


if __name__ == "__main__":
    main()
