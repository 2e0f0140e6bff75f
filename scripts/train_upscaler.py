"""Train the bundled 2× upscaler (genart-sr) on photos and textures that ship in scikit-image and scikit-learn.

    PYTHONPATH=. nice -n 10 nohup python scripts/train_upscaler.py > train_upscaler.log 2>&1 &

Each step takes random crops of the training photos, shrinks them with random realistic
degradations (genart_core.sr_data: blur, resampling filter, noise, JPEG) and teaches the network
to give back the sharp crop (L1 loss, Adam, cosine learning rate). The step count is fixed after
a short timing run so that the schedule fits the wall-clock budget. The result goes to
resources/models/genart-sr/ (fp16 safetensors + card.json); the card records the data, the
held-out photos, steps, wall time and PSNR figures on the held-out photos measured through the
app's own upscale pipeline (×4 is the 2× network run twice).
"""

from __future__ import annotations

import argparse
import logging
import math
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.nn import functional as F

from genart_core.imaging import resize
from genart_core.models.sr_net import SRConfig, SRNet
from genart_core.pipelines.upscale import upscale_array
from genart_core.sr_data import HELD_OUT_PHOTOS, TRAINING_PHOTOS, degrade_fixed, even_crop, photos, psnr, random_crop_pair, shrink
from genart_core.weights import save_model

log = logging.getLogger("train_upscaler")
SCALE = 2


def batch(pictures: list[np.ndarray], size: int, crop: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    pairs = [random_crop_pair(pictures, crop, SCALE, rng) for _ in range(size)]
    small = torch.from_numpy(np.stack([p[0] for p in pairs])).permute(0, 3, 1, 2).float() / 255
    sharp = torch.from_numpy(np.stack([p[1] for p in pairs])).permute(0, 3, 1, 2).float() / 255
    return small, sharp


def held_out_figures(model: str) -> dict[str, dict[str, float]]:
    """PSNR (dB) of bicubic, Lanczos and genart-sr against each held-out photo, for a clean
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
                    "genart-sr": round(psnr(upscale_array(small, scale, model), sharp), 2),
                }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("resources/models/genart-sr"))
    parser.add_argument("--minutes", type=float, default=42.0, help="wall-clock budget for the training steps")
    parser.add_argument("--max-steps", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--crop", type=int, default=48, help="sharp crop side (the input is half that)")
    parser.add_argument("--width", type=int, default=24)
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="on a shared CPU one thread wastes least in spin-waits")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    training = photos(TRAINING_PHOTOS)
    config = SRConfig(scale=SCALE, width=args.width, blocks=args.blocks)
    network = SRNet(config)
    optimiser = torch.optim.Adam(network.parameters(), lr=args.lr)
    log.info("%d training photos, %d parameters", len(training), sum(p.numel() for p in network.parameters()))

    started = time.perf_counter()
    steps, step, losses = args.max_steps, 0, []
    while step < steps:
        small, sharp = batch(training, args.batch, args.crop, rng)
        for group in optimiser.param_groups:  # cosine from lr to lr/100 over the fixed step count
            group["lr"] = args.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * step / steps)))
        loss = F.l1_loss(network(small), sharp)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
        step += 1
        if step == 30:  # now the cost of a step is known: fit the schedule into the budget
            per_step = (time.perf_counter() - started) / step
            steps = max(step + 1, min(args.max_steps, int(args.minutes * 60 / per_step)))
            log.info("%.2f s per step: %d steps fit in %.0f minutes", per_step, steps, args.minutes)
        if step % 100 == 0:
            log.info("step %d/%d  L1 %.4f  (%.0f s)", step, steps, float(np.mean(losses[-100:])), time.perf_counter() - started)
        if step % 1000 == 0:
            save_model(args.out, network.state_dict(), {"kind": "super-resolution", "name": "genart-sr", "config": config.to_dict(), "steps": step})
    wall = time.perf_counter() - started
    card = {
        "kind": "super-resolution",
        "name": "genart-sr",
        "description": f"GenArt Studio's compact 2× upscaler: {args.blocks} residual blocks of {args.width} channels and a "
        "pixel shuffle over a bicubic base; 4× runs it twice",
        "config": config.to_dict(),
        "parameters": sum(p.numel() for p in network.parameters()),
        "data": {
            "training_photos": list(TRAINING_PHOTOS),
            "held_out_photos": list(HELD_OUT_PHOTOS),
            "degradations": "random crops, flips and turns; Gaussian blur σ 0.2–1.2 (60 %), reduction by bicubic, "
            "bilinear, box or Lanczos, Gaussian noise σ 1–6 (50 %), JPEG quality 50–95 (50 %)",
        },
        "seed": args.seed,
        "steps": steps,
        "batch": args.batch,
        "crop": args.crop,
        "loss": "L1",
        "lr": args.lr,
        "final_l1": round(float(np.mean(losses[-100:])), 5),
        "wall_time_s": round(wall, 1),
        "note": "trained with nice -n 10 on a 2-core CPU shared with other jobs (load 7–20): the wall time is inflated",
    }
    save_model(args.out, network.state_dict(), card)
    log.info("Trained %d steps in %.0f s; measuring the held-out photos", steps, wall)
    card["figures_psnr_db"] = held_out_figures(str(args.out))
    save_model(args.out, network.state_dict(), card)
    for key, value in card["figures_psnr_db"].items():
        log.info("%-32s %s", key, value)


if __name__ == "__main__":
    main()
