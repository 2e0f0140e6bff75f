"""Train GenArt Studio's offline diffusion model: a small class-conditional DDPM on 32×32 images.

The data is made here, from things every installation has: digits rendered as the GAN/VAE
data is (genart_core.datasets: fonts that really draw digits, slant, stroke weight, elastic
distortion, MNIST framing) except in the fonts the independent digit judge learns from
(genart_core.digit_reader); crops of scikit-image's brick, grass and gravel photographs, tinted;
and simple filled shapes on dark backgrounds. Each image has a label ("digit 7",
"brick", "circle", …); 10 % of the time the label is dropped so classifier-free guidance works.

    OMP_NUM_THREADS=1 nohup python scripts/train_diffusion.py --minutes 40 > train.log 2>&1 &

Writes <out>/model.safetensors (EMA weights, fp16) and <out>/card.json at every checkpoint,
and a sample grid (one row per label) to --grid-dir if given.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from genart_core.datasets import render_digits
from genart_core.digit_reader import training_fonts
from genart_core.models.tiny_unet import TinyUNetConfig, build_unet
from genart_core.pipelines.tiny_diffusion import TRAIN_TIMESTEPS, make_scheduler, sample
from genart_core.requests.diffusion import OFFLINE_GUIDANCE
from genart_core.weights import load_fp32_state_dict, read_card, save_model

DIGITS = [f"digit {d}" for d in range(10)]
TEXTURES = {"brick": (1.0, 0.55, 0.42), "grass": (0.55, 0.95, 0.35), "gravel": (0.85, 0.82, 0.78)}
SHAPES = ["circle", "square", "triangle"]
LABELS = DIGITS + list(TEXTURES) + SHAPES
SIZE = 32
SUPER = 4  # shapes are drawn 4× larger and downsampled, for anti-aliased edges


def _texture(name: str, sources: dict[str, np.ndarray], rng: random.Random) -> np.ndarray:
    source = sources[name]
    crop = rng.randint(64, 192)
    y, x = rng.randint(0, source.shape[0] - crop), rng.randint(0, source.shape[1] - crop)
    patch = Image.fromarray(source[y : y + crop, x : x + crop]).resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    grey = np.asarray(patch, np.float32) / 255
    if rng.random() < 0.5:
        grey = grey[:, ::-1]
    tint = np.asarray(TEXTURES[name], np.float32) * rng.uniform(0.85, 1.15)
    return np.clip(grey[:, :, None] * tint, 0, 1)


def _shape(name: str, rng: random.Random) -> np.ndarray:
    big = SIZE * SUPER
    background = tuple(rng.randint(0, 70) for _ in range(3))
    colour = tuple(rng.randint(120, 255) for _ in range(3))
    canvas = Image.new("RGB", (big, big), background)
    draw = ImageDraw.Draw(canvas)
    radius = big * rng.uniform(0.22, 0.4)
    cx, cy = big / 2 + rng.uniform(-0.1, 0.1) * big, big / 2 + rng.uniform(-0.1, 0.1) * big
    if name == "circle":
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=colour)
    else:
        corners = 4 if name == "square" else 3
        turn = rng.uniform(0, 2 * math.pi)
        points = [(cx + radius * math.cos(turn + 2 * math.pi * k / corners), cy + radius * math.sin(turn + 2 * math.pi * k / corners)) for k in range(corners)]
        draw.polygon(points, fill=colour)
    return np.asarray(canvas.resize((SIZE, SIZE), Image.Resampling.LANCZOS), np.float32) / 255


def make_dataset(per_label: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(N×3×32×32 uint8 images, N labels), ``per_label`` of each label."""
    import skimage.data

    rng = random.Random(seed)
    digit_rng = np.random.default_rng(seed)
    fonts = training_fonts()  # the digit judge's fonts stay out of the training data
    sources = {name: getattr(skimage.data, name)() for name in TEXTURES}
    blocks = []
    for label in LABELS:
        if label in DIGITS:
            grey = render_digits(np.full(per_label, DIGITS.index(label)), SIZE, digit_rng, fonts)
            blocks.append(np.repeat(grey[..., None], 3, axis=-1))
        else:
            pictures = [_texture(label, sources, rng) if label in TEXTURES else _shape(label, rng) for _ in range(per_label)]
            blocks.append((np.stack(pictures) * 255).round().astype(np.uint8))
    stacked = torch.from_numpy(np.concatenate(blocks)).permute(0, 3, 1, 2).contiguous()
    return stacked, torch.arange(len(LABELS)).repeat_interleave(per_label)


def batch_indices(labels: torch.Tensor, batch: int, digit_share: float | None) -> torch.Tensor:
    """Random training images for one step; ``digit_share`` of them digits when given (else uniform)."""
    if digit_share is None:
        return torch.randint(0, len(labels), (batch,))
    digits = torch.nonzero(labels < len(DIGITS)).squeeze(1)
    others = torch.nonzero(labels >= len(DIGITS)).squeeze(1)
    from_digits = torch.rand(batch) < digit_share
    return torch.where(from_digits, digits[torch.randint(0, len(digits), (batch,))], others[torch.randint(0, len(others), (batch,))])


def min_snr_weights(alphas_cumprod: torch.Tensor, gamma: float) -> torch.Tensor:
    """Min-SNR-γ weights of ε-prediction losses at noise levels ᾱ_t: min(SNR, γ)/SNR, SNR = ᾱ/(1-ᾱ).
    1 at the noisy timesteps (SNR ≤ γ), less at the nearly clean ones."""
    snr = alphas_cumprod / (1 - alphas_cumprod)
    return snr.clamp(max=gamma) / snr


def save_grid(unet, config: TinyUNetConfig, path: Path, seed: int, per_label: int = 8, steps: int = 25) -> None:
    labels = torch.arange(len(config.labels)).repeat_interleave(per_label)
    generator = torch.Generator().manual_seed(seed)
    images = sample(unet, config, labels, steps=steps, guidance=OFFLINE_GUIDANCE, generator=generator)  # N×3×32×32 in [0, 1]
    grid = images.view(len(config.labels), per_label, 3, SIZE, SIZE).permute(0, 3, 1, 4, 2)
    grid = grid.reshape(len(config.labels) * SIZE, per_label * SIZE, 3)
    Image.fromarray((grid.numpy() * 255).round().astype(np.uint8)).resize(
        (per_label * SIZE * 2, len(config.labels) * SIZE * 2), Image.Resampling.NEAREST
    ).save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("resources/models/tiny-diffusion"))
    parser.add_argument("--minutes", type=float, default=40.0, help="wall-clock training budget")
    parser.add_argument("--batch", type=int, default=48)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--per-label", type=int, default=1200, help="training images per label")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save-every", type=float, default=5.0, help="minutes between checkpoints")
    parser.add_argument("--grid-dir", type=Path, help="write a sample grid here at each checkpoint")
    parser.add_argument("--grid-per-label", type=int, default=4, help="samples per label in the grid")
    parser.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True, help="bf16 autocast on the CPU")
    parser.add_argument("--resume", action="store_true", help="start from the weights in --out (fresh optimiser)")
    parser.add_argument("--init", type=Path, help="with --resume: start from the model in this folder instead of --out")
    parser.add_argument("--keep-checkpoints", action="store_true", help="also keep each checkpoint in <out>/step_NNNNNN/ (to compare them afterwards)")
    # Min-SNR-γ loss weighting (Hang et al. 2023): ε-prediction's plain MSE spends most of its
    # gradient on the nearly clean timesteps; weighting each sample by min(SNR, γ)/SNR moves it to
    # the noisy ones, where a digit's shape is decided.
    parser.add_argument("--min-snr-gamma", type=float, help="weight each sample's loss by min(SNR, γ)/SNR (5 is the paper's choice)")
    parser.add_argument("--digit-share", type=float, help="fraction of each batch drawn from the digit labels (default: as in the data)")
    parser.add_argument("--note", default="", help="a line for the card's history (added to the resumed card's history)")
    # A short run needs a short EMA window: 0.999 still averages in the untrained weights of
    # the first thousand steps.
    parser.add_argument("--ema-decay", type=float, default=0.995)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    started = time.perf_counter()
    images, labels = make_dataset(args.per_label, args.seed)
    print(f"data: {len(images)} images, {len(LABELS)} labels, made in {time.perf_counter() - started:.1f} s", flush=True)
    config = TinyUNetConfig(labels=LABELS)
    unet = build_unet(config).to(memory_format=torch.channels_last)
    previous = {}
    if args.resume:
        source = args.init or args.out
        unet.load_state_dict(load_fp32_state_dict(source / "model.safetensors"))
        previous = read_card(source)
    ema = build_unet(config)
    ema.load_state_dict(unet.state_dict())
    ema.requires_grad_(False)
    parameters = sum(p.numel() for p in unet.parameters())
    print(f"UNet: {parameters / 1e6:.2f}M parameters", flush=True)
    optimiser = torch.optim.AdamW(unet.parameters(), lr=args.lr, weight_decay=0.0)
    scheduler = make_scheduler()
    alphas = scheduler.alphas_cumprod
    budget = args.minutes * 60
    step, losses, next_save = 0, [], args.save_every * 60
    train_started = time.perf_counter()
    while True:
        elapsed = time.perf_counter() - train_started
        lr = args.lr * min(1.0, (step + 1) / 200) * (0.5 * (1 + math.cos(math.pi * min(1.0, elapsed / budget))) * 0.9 + 0.1)
        for group in optimiser.param_groups:
            group["lr"] = lr
        index = batch_indices(labels, args.batch, args.digit_share)
        x0 = images[index].float().div(127.5).sub(1).to(memory_format=torch.channels_last)
        if torch.rand(()) < 0.5:  # mirror textures and shapes only: a mirrored digit is not a digit
            flip = labels[index] >= len(DIGITS)
            x0[flip] = x0[flip].flip(-1)
        y = labels[index].clone()
        y[torch.rand(args.batch) < 0.1] = config.null_label
        t = torch.randint(0, TRAIN_TIMESTEPS, (args.batch,))
        noise = torch.randn_like(x0)
        a = alphas[t].view(-1, 1, 1, 1)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            predicted = unet(xt, t, class_labels=y).sample
        per_sample = F.mse_loss(predicted.float(), noise, reduction="none").mean(dim=(1, 2, 3))
        if args.min_snr_gamma:
            per_sample = per_sample * min_snr_weights(alphas[t], args.min_snr_gamma)
        loss = per_sample.mean()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        optimiser.step()
        decay = min(args.ema_decay, (1 + step) / (10 + step))
        with torch.no_grad():
            for e, p in zip(ema.parameters(), unet.parameters()):
                e.lerp_(p, 1 - decay)
        losses.append(loss.item())
        step += 1
        if step % 50 == 0:
            print(f"step {step} loss {np.mean(losses[-50:]):.4f} lr {lr:.2e} {elapsed / step:.2f} s/step", flush=True)
        done = elapsed >= budget
        if elapsed >= next_save or done:
            next_save += args.save_every * 60
            card = {
                "kind": "tiny-diffusion",
                "name": args.out.name,
                "description": "GenArt Studio's offline model: 32×32 class-conditional DDPM (UNet2DModel). "
                "Prompts: " + ", ".join(LABELS) + ".",
                "config": config.to_dict(),
                "scheduler": {"num_train_timesteps": TRAIN_TIMESTEPS, "beta_schedule": "squaredcos_cap_v2", "prediction_type": "epsilon"},
                "data": f"{len(images)} synthetic 32×32 images: digits rendered as genart_core.datasets renders them (only fonts "
                "with real digit glyphs and not the digit judge's URW fonts, elastic distortion, MNIST framing), tinted scikit-image brick/grass/gravel crops, "
                "filled shapes; 10% label dropout" + (f"; {args.digit_share:.0%} of each batch digits" if args.digit_share else ""),
                "seed": args.seed,
                "steps": step + previous.get("steps", 0),
                "batch": args.batch,
                "parameters": parameters,
                "wall_time_s": round(time.perf_counter() - started + previous.get("wall_time_s", 0), 1),
                "final_loss": round(float(np.mean(losses[-200:])), 5),
                "weights_dtype": "float16 (EMA)",
                "bf16_autocast": args.bf16,
            }
            history = "; ".join(line for line in (previous.get("history", ""), args.note) if line)
            if history:
                card["history"] = history
            save_model(args.out, ema.state_dict(), card)
            if args.keep_checkpoints:
                save_model(args.out / f"step_{card['steps']:06d}", ema.state_dict(), card)
            if args.grid_dir:
                args.grid_dir.mkdir(parents=True, exist_ok=True)
                save_grid(ema, config, args.grid_dir / f"grid_step{step + previous.get('steps', 0):06d}.png", seed=args.seed, per_label=args.grid_per_label)
            print(f"checkpoint at step {step}, loss {card['final_loss']}", flush=True)
        if done:
            break


if __name__ == "__main__":
    main()
