"""Train GenArt Studio's bundled GAN and VAE on digits drawn from the installed fonts.

    OMP_NUM_THREADS=1 nohup python scripts/train_bundled_models.py dcgan-digits > gan.log 2>&1 &

Each model lands in resources/models/<name>/ (model.safetensors in fp16 + card.json); the
resumable checkpoint and a 64-sample grid per checkpoint go to --work-dir.

vae-digits is made in two stages: vae-digits-base (the pixel loss and KL only) is trained first
into --work-dir, then fine-tuned with the perceptual and adversarial terms against its blur:

    nice -n 10 nohup python scripts/train_bundled_models.py vae-digits --images 10000 > vae.log 2>&1 &

``--base FOLDER`` starts from an existing model instead of training the base again, after
checking that its card records exactly the base's settings. The shipped vae-digits was made
that way: its fine-tune (800 steps on 10 000 digits) started from the pixel-loss vae-digits
shipped before, whose card records exactly vae-digits-base's settings.
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch
from PIL import Image

from genart_core.datasets import load_dataset
from genart_core.latents import enlarge
from genart_core.training import Snapshot, TrainSettings, Trainer, fit
from genart_core.weights import load_fp32_state_dict, read_card

# name -> (data source, settings, the model whose weights training starts from or None). The
# generator is 128 channels wide rather than the tutorial's 256: a quarter of the weights (1.8 MB
# in fp16) and fast enough on two CPU cores. The VGG perceptual term makes a VAE step about 12
# times slower on a CPU (bench/vae_sharpness.py --step-times), so the sharper VAE fine-tunes the pixel-loss one rather than starting over.
SHARP_STEPS, PERCEPTUAL_WEIGHT, ADVERSARIAL_WEIGHT = 800, 1.0, 0.1
MODELS = {
    "dcgan-digits": ("bundled:digits", TrainSettings(method="gan", steps=6000, batch=64, width=128, seed=0), None),
    "vae-digits-base": ("bundled:digits", TrainSettings(method="vae", steps=6000, batch=64, latent_dim=16, beta=1.0, seed=0), None),
    "vae-digits": (
        "bundled:digits",
        TrainSettings(
            method="vae", steps=SHARP_STEPS, batch=64, latent_dim=16, beta=1.0, seed=0, lr=3e-4,
            perceptual_weight=PERCEPTUAL_WEIGHT, adversarial_weight=ADVERSARIAL_WEIGHT,
        ),
        "vae-digits-base",
    ),
}
BUNDLED = ("dcgan-digits", "vae-digits")  # what a plain run makes; the base is made on the way


def base_weights(base: str, folder: Path) -> dict:
    """The VAE weights of ``folder``, after checking its card records the settings of MODELS[base]."""
    recorded = read_card(folder).get("settings", {})
    expected = asdict(MODELS[base][1].resolved())
    differing = sorted(key for key, value in expected.items() if recorded.get(key, value) != value)
    if differing:
        raise SystemExit(f"{folder} was not trained with the settings of {base} (differs in {', '.join(differing)}).")
    return {key: value for key, value in load_fp32_state_dict(folder / "model.safetensors").items() if not key.startswith("latent.")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help=f"which to train (default: {', '.join(BUNDLED)})")
    parser.add_argument("--out-root", type=Path, default=Path("resources/models"))
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/genart-bundled-training"))
    parser.add_argument("--images", type=int, default=20_000, help="digits to render")
    parser.add_argument("--minutes", type=float, default=None, help="stop each model after this long")
    parser.add_argument("--steps", type=int, default=None, help="override the step count")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--base", type=Path, help="start vae-digits from this model folder instead of training vae-digits-base")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(1)

    for name in args.models or list(BUNDLED):
        if name not in MODELS:
            parser.error(f"unknown model {name}; choose from {', '.join(MODELS)}")
        train(name, args)


def train(name: str, args: argparse.Namespace) -> Path:
    """Train MODELS[name] (and the model it starts from, if that is not there yet); returns its folder."""
    source, settings, base = MODELS[name]
    base_folder = None
    if base:
        base_folder = args.base or args.work_dir / base / "model"
        if not (base_folder / "model.safetensors").is_file():
            base_folder = train(base, args)
    out = args.out_root / name if name in BUNDLED else args.work_dir / name / "model"
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
    extra = None
    if base_folder is not None:
        trainer.vae.load_state_dict(base_weights(base, base_folder))
        base_card = read_card(base_folder)
        extra = {"started_from": {"model": base, "steps": base_card.get("steps"), "description": base_card.get("description")}}
    card = fit(
        trainer, out, name, dataset.description, report=report,
        sample_every=500, checkpoint_every=500, resume=args.resume, checkpoint_dir=work,
        max_seconds=None if args.minutes is None else args.minutes * 60, card_extra=extra,
    )
    print(f"{name}: done, {card['steps']} steps in {card['wall_time_s']} s, losses {card['final_losses']}, diversity {card['diversity']}", flush=True)
    return out


if __name__ == "__main__":
    main()
