"""Train the bundled upscalers: on photos and textures that ship in scikit-image and scikit-learn,
genart-sr (2×) and genart-sr-4x (4×, its own network rather than the 2× one run twice); on
rendered digits, digit-sr (4×, for the GAN's and VAE's 28 px samples).

    PYTHONPATH=. nice -n 10 nohup python scripts/train_upscaler.py > train_upscaler.log 2>&1 &
    PYTHONPATH=. nice -n 10 nohup python scripts/train_upscaler.py --scale 4 --width 32 --blocks 5 \
        --minutes 28 > train_upscaler_4x.log 2>&1 &
    PYTHONPATH=. nice -n 10 nohup python scripts/train_upscaler.py --data digits --scale 4 --width 16 --blocks 3 \
        --minutes 20 > train_digit_upscaler.log 2>&1 &

Each step takes random crops of the training photos, shrinks them with random realistic
degradations (genart_core.sr_data: blur, resampling filter, noise, JPEG) and teaches the network
to give back the sharp crop (L1 loss, Adam, a cosine learning rate that follows the wall-clock
budget, so training ends on time however busy the CPU is). The result goes to
resources/models/genart-sr/ (or genart-sr-4x/; fp16 safetensors + card.json); the card records
the data, the held-out photos, steps, wall time and PSNR figures on the held-out photos measured
through the app's own upscale pipeline. Both cards name the family "genart-sr", so asking for
genart-sr at 4× runs the 4× network (genart_core.upscalers.resolve).

With --data digits, each step takes whole 28 px digits and their sharp truths from a pool drawn
at the start (genart_core.digit_sr_data: drawn as the GAN/VAE data is, on a larger canvas, in the
fonts outside the digit judge's family); the card's figures are on digits in the judge's fonts.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.nn import functional as F

from genart_core import digit_sr_data
from genart_core.digit_reader import training_fonts
from genart_core.imaging import resize
from genart_core.models.sr_net import SRConfig, SRNet
from genart_core.pipelines.upscale import upscale_array
from genart_core.sr_data import HELD_OUT_PHOTOS, TRAINING_PHOTOS, degrade_fixed, even_crop, photos, psnr, random_crop_pair, shrink
from genart_core.weights import WEIGHTS_FILE, load_fp32_state_dict, read_card, save_model

log = logging.getLogger("train_upscaler")
FAMILY = "genart-sr"


def as_batch(pictures: list[np.ndarray]) -> torch.Tensor:
    """uint8 H×W×3 (or H×W grey, repeated into three channels) pictures -> B×3×H×W in [0, 1]."""
    stacked = np.stack([np.dstack([p, p, p]) if p.ndim == 2 else p for p in pictures])
    return torch.from_numpy(stacked).permute(0, 3, 1, 2).float() / 255


def photo_batches(args: argparse.Namespace, crop: int, rng: np.random.Generator):
    training = photos(TRAINING_PHOTOS)
    log.info("%d training photos", len(training))

    def batch() -> tuple[torch.Tensor, torch.Tensor]:
        pairs = [random_crop_pair(training, crop, args.scale, rng, args.clean_share) for _ in range(args.batch)]
        return as_batch([p[0] for p in pairs]), as_batch([p[1] for p in pairs])

    return batch


def digit_batches(args: argparse.Namespace, rng: np.random.Generator):
    started = time.perf_counter()
    inputs, truths = digit_sr_data.digit_pairs(args.digits, args.scale, args.seed, training_fonts(), args.detail)
    log.info("%d digits drawn in %.0f s", len(inputs), time.perf_counter() - started)

    def batch() -> tuple[torch.Tensor, torch.Tensor]:
        chosen = rng.integers(len(inputs), size=args.batch)
        return as_batch([digit_sr_data.soften(inputs[i], rng) for i in chosen]), as_batch([truths[i] for i in chosen])

    return batch


def held_out_figures(model: str, label: str) -> dict[str, dict[str, float]]:
    """PSNR (dB) of bicubic, Lanczos and the network against each held-out photo, for a clean
    bicubic reduction and for the fixed degraded one, at ×2 and ×4."""
    figures: dict[str, dict[str, float]] = {}
    for name, picture in zip(HELD_OUT_PHOTOS, photos(HELD_OUT_PHOTOS)):
        for scale in (2, 4):
            sharp = even_crop(picture, scale)
            height, width = sharp.shape[:2]
            for condition, small in (("clean", shrink(sharp, scale)), ("degraded", degrade_fixed(sharp, scale))):
                bicubic = np.asarray(Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC))
                figures[f"{name} ×{scale} {condition}"] = {
                    "bicubic": round(psnr(bicubic, sharp), 2),
                    "lanczos": round(psnr(resize(small, width, height), sharp), 2),
                    label: round(psnr(upscale_array(small, scale, model), sharp), 2),
                }
    return figures


def digit_figures(model: str, label: str, scale: int, count: int = 200) -> dict[str, dict[str, float]]:
    """PSNR (dB) and stroke thickness relative to the truth (1 = as thick) of Lanczos and the
    network, mean over ``count`` digits in the held-out fonts (seed 1)."""
    inputs, truths = digit_sr_data.digit_pairs(count, scale, 1, digit_sr_data.held_out_fonts(), max(1, scale // 2))
    side = truths.shape[1]
    figures: dict[str, dict[str, float]] = {}
    for method, enlarge in (("lanczos", lambda d: resize(d, side, side)), (label, lambda d: upscale_array(np.dstack([d, d, d]), scale, model).mean(axis=2).round().astype(np.uint8))):
        enlarged = [enlarge(digit) for digit in inputs]
        figures[method] = {
            "psnr_db": round(float(np.mean([psnr(e, t) for e, t in zip(enlarged, truths)])), 2),
            "stroke_thickness_ratio": round(float(np.mean([digit_sr_data.stroke_thickness_ratio(e, t) for e, t in zip(enlarged, truths)])), 3),
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", choices=("photos", "digits"), default="photos")
    parser.add_argument("--scale", type=int, choices=(2, 4), default=2)
    parser.add_argument("--digits", type=int, default=1500, help="digits: how many to draw for the pool")
    parser.add_argument("--detail", type=int, default=2, help="digits: canvas enlargement for drawing the truths")
    parser.add_argument("--out", type=Path, default=None, help="default: resources/models/genart-sr (2×) or genart-sr-4x (4×)")
    parser.add_argument("--minutes", type=float, default=42.0, help="wall-clock budget for the training steps")
    parser.add_argument("--max-steps", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--crop", type=int, default=None, help="sharp crop side (default 24 × scale: 24 input pixels)")
    parser.add_argument("--width", type=int, default=24)
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clean-share", type=float, default=0.0, help="photos: share of crops shrunk by plain bicubic, without degradations")
    parser.add_argument("--loss", choices=("l1", "mse"), default="l1", help="mse: what PSNR measures (a fine-tune after L1 trims grain on fur and grass)")
    parser.add_argument("--init-from", type=Path, default=None, help="start from this model folder's weights (same config) and fine-tune")
    parser.add_argument("--threads", type=int, default=1, help="on a shared CPU one thread wastes least in spin-waits")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    family = FAMILY if args.data == "photos" else "digit-sr"
    name = family if args.scale == 2 or args.data == "digits" else f"{family}-{args.scale}x"
    out = args.out or Path("resources/models") / name
    crop = args.crop or 24 * args.scale
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    batch = photo_batches(args, crop, rng) if args.data == "photos" else digit_batches(args, rng)
    config = SRConfig(scale=args.scale, width=args.width, blocks=args.blocks)
    network = SRNet(config)
    started_from = {}
    if args.init_from:  # read now: checkpoints may write over that folder
        started_from = {"started_from": read_card(args.init_from)}
        network.load_state_dict(load_fp32_state_dict(args.init_from / WEIGHTS_FILE))
        log.info("starting from %s", args.init_from)
    optimiser = torch.optim.Adam(network.parameters(), lr=args.lr)
    log.info("%d parameters", sum(p.numel() for p in network.parameters()))

    started = time.perf_counter()
    step, losses, progress = 0, [], 0.0
    while progress < 1.0:
        small, sharp = batch()
        for group in optimiser.param_groups:  # cosine from lr to lr/100 over the budget
            group["lr"] = args.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress)))
        loss = (F.l1_loss if args.loss == "l1" else F.mse_loss)(network(small), sharp)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
        step += 1
        # The schedule follows the wall clock, not a step count fixed in advance: on a shared CPU
        # the cost of a step changes as other jobs come and go, and the budget must hold.
        progress = max(step / args.max_steps, (time.perf_counter() - started) / (args.minutes * 60))
        if step % 100 == 0:
            log.info("step %d (%.0f %%)  %s %.5f  (%.0f s)", step, 100 * progress, args.loss, float(np.mean(losses[-100:])), time.perf_counter() - started)
        if step % 1000 == 0:
            save_model(out, network.state_dict(), {"kind": "super-resolution", "name": name, "family": family, "config": config.to_dict(), "steps": step})
    steps = step
    wall = time.perf_counter() - started
    card = {
        "kind": "super-resolution",
        "name": name,
        "family": family,
        "pictures": args.data,  # what it is made for: the model lists say "for 28 px digits"
        "description": describe(args),
        "config": config.to_dict(),
        "parameters": sum(p.numel() for p in network.parameters()),
        "data": training_data(args, crop),
        "seed": args.seed,
        "steps": steps,
        **started_from,
        "batch": args.batch,
        "loss": args.loss.upper(),
        "lr": args.lr,
        f"final_{args.loss}": round(float(np.mean(losses[-100:])), 5),
        "wall_time_s": round(wall, 1),
        "note": "trained with nice -n 10 on a 2-core CPU shared with other jobs: the wall time is inflated",
    }
    save_model(out, network.state_dict(), card)
    log.info("Trained %d steps in %.0f s; measuring the held-out pictures", steps, wall)
    if args.data == "photos":
        card["figures_psnr_db"] = held_out_figures(str(out), name)
    else:
        card["figures_held_out_digits"] = digit_figures(str(out), name, args.scale)
    save_model(out, network.state_dict(), card)
    log.info("%s", json.dumps({key: value for key, value in card.items() if key.startswith("figures")}, indent=1, ensure_ascii=False))


def describe(args: argparse.Namespace) -> str:
    network = f"{args.blocks} residual blocks of {args.width} channels and a pixel shuffle over a bicubic base"
    if args.data == "photos":
        return f"GenArt Studio's compact {args.scale}× upscaler for photos, textures and paintings: {network}"
    return (
        f"GenArt Studio's {args.scale}× upscaler for the GAN's and VAE's 28 px white-on-black digits: "
        f"trained to keep strokes as thick as drawn; {network}; not for photos"
    )


def training_data(args: argparse.Namespace, crop: int) -> dict:
    if args.data == "photos":
        return {
            "training_photos": list(TRAINING_PHOTOS),
            "held_out_photos": list(HELD_OUT_PHOTOS),
            "crop": crop,
            "degradations": "random crops, flips and turns; Gaussian blur σ 0.2–1.2 (60 %), reduction by bicubic, "
            "bilinear, box or Lanczos, Gaussian noise σ 1–6 (50 %), JPEG quality 50–95 (50 %)"
            + (f"; {args.clean_share:.0%} of the crops instead a plain bicubic reduction" if args.clean_share else ""),
        }
    return {
        "digits": f"{args.digits} digits drawn as bundled:digits is (seed {args.seed}) on a canvas {args.detail}× larger, "
        f"framed at {28 * args.scale} px; in the fonts outside the digit judge's family: "
        + ", ".join(sorted({font.stem.split('-')[0] for font in training_fonts()})),
        "degradations": "Lanczos reduction to 28 px (as the framing makes the training digits); half of them "
        "softened by a Gaussian blur σ 0.3–0.8 px",
        "held_out": "200 digits in the digit judge's URW fonts, seed 1",
    }

if __name__ == "__main__":
    main()
