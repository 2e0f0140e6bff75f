"""How sharp and how recognisable a VAE's digits are: the figures behind the sharper VAE (issue 14).

    python bench/vae_sharpness.py                                  # the bundled vae-digits
    python bench/vae_sharpness.py --model old/vae-digits --model resources/models/vae-digits \
        --side-by-side /tmp/vae.png                                # compare two, same seeds
    python bench/vae_sharpness.py --step-times 10                  # also: training step time with each term

(bench/detail.py, where the issue puts these figures, does not exist on this branch yet; its
"vae" section can call ``vae_figures`` from here.)

For each model, on 1000 samples from the prior (seeds fixed, the same codes for every model) and
on reconstructions of 1000 digits that were not in its training set (the same fonts, another seed):

* sharpness — mean gradient energy relative to the data's (genart_core/sharpness.py): 1 is as
  crisp as the digits, lower is blurrier;
* recognisability — an independent digit classifier, a small CNN trained here on scikit-learn's
  handwritten 8×8 digits (1797, never used to train the VAE), scaled into the 20-in-28 pixel
  frame our digits use, with random shifts, rotations, scales, stroke contrast and blur.
  Samples have no labels, so for them it is the share the classifier reads with confidence
  ≥ 0.9; reconstructions are labelled, so for them it is accuracy. Both are printed next to the
  classifier's figure on the real digits, which is the ceiling for a perfect VAE;
* diversity — genart_core/diversity.py (spread relative to the data, classes reached).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from genart_core.atomic import write_bytes_atomic
from genart_core.datasets import synthetic_digits
from genart_core.diversity import measure
from genart_core.latents import enlarge, make_grid
from genart_core.imaging import batch_from_tensor
from genart_core.pipelines.sampling import sample_latents
from genart_core.pipelines.vae import load_vae
from genart_core.sharpness import sharpness
from genart_core.weights import find_model

CONFIDENT = 0.9
HELD_OUT_SEED = 20_261_201  # the training set used seed 0; these are other draws of the same generator


# -- the independent classifier ----------------------------------------------------------------

def sklearn_digits_28() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's digits (0..16 on 8×8) as N×1×28×28 in [0, 1]: bicubic to 20×20, centred in 28×28."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.zeros((len(digits.images), 28, 28), np.float32)
    for index, digit in enumerate(digits.images):
        small = Image.fromarray((digit * 255 / 16).astype(np.uint8)).resize((20, 20), Image.Resampling.BICUBIC)
        images[index, 4:24, 4:24] = np.asarray(small, np.float32) / 255
    return torch.from_numpy(images)[:, None], torch.from_numpy(digits.target.astype(np.int64))


def augment(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random affine jitter, stroke contrast (soft to nearly binary) and occasional blur."""
    count = len(images)
    angle = (torch.rand(count, generator=generator) - 0.5) * 0.4  # ±11°
    scale = 0.85 + torch.rand(count, generator=generator) * 0.3
    shift = (torch.rand(count, 2, generator=generator) - 0.5) * 0.25
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    moved = F.grid_sample(images, F.affine_grid(theta, images.shape, align_corners=False), align_corners=False)
    contrast = 1 + torch.rand(count, 1, 1, 1, generator=generator) * 8
    crisp = torch.sigmoid((moved - 0.4) * contrast * 4)
    crisp = (crisp - torch.sigmoid(torch.tensor(-1.6) * contrast)).clamp(0, 1)  # background back to 0
    blurred = F.avg_pool2d(crisp, 3, 1, padding=1)
    blur = torch.rand(count, 1, 1, 1, generator=generator) < 0.3
    return torch.where(blur, blurred, crisp)


class DigitClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 14×14
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 7×7
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 49, 128), nn.ReLU(), nn.Linear(128, 10),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.layers(images)


def train_classifier(epochs: int = 30, seed: int = 0) -> DigitClassifier:
    images, labels = sklearn_digits_28()
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    net = DigitClassifier()
    optimiser = torch.optim.Adam(net.parameters(), 2e-3)
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator)
        for batch in order.split(64):
            loss = F.cross_entropy(net(augment(images[batch], generator)), labels[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return net.eval()


@torch.no_grad()
def read_digits(classifier: DigitClassifier, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(predicted class, confidence) of N×1×28×28 images in [0, 1]."""
    probabilities = torch.cat([classifier(chunk).softmax(1) for chunk in images.split(500)])
    confidence, predicted = probabilities.max(1)
    return predicted, confidence


# -- the figures ---------------------------------------------------------------------------------

def held_out_digits(count: int) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = synthetic_digits(count, 28, seed=HELD_OUT_SEED)
    return torch.from_numpy(images).float()[:, None] / 255, torch.from_numpy(labels)


@torch.no_grad()
def samples_and_reconstructions(folder: str, digits: torch.Tensor, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    vae = load_vae(find_model("vae", folder)).vae
    codes = torch.from_numpy(sample_latents(count, vae.config.latent_dim, seed=0))
    mean, _ = vae.encode(digits)
    return vae.decode(codes), vae.decode(mean)


def vae_figures(samples: torch.Tensor, reconstructions: torch.Tensor, digits: torch.Tensor, labels: torch.Tensor, classifier) -> dict:
    read_samples, sample_confidence = read_digits(classifier, samples)
    read_reconstructions, _ = read_digits(classifier, reconstructions)
    spread = measure(samples, digits, labels).to_dict()
    return {
        "sample_sharpness": round(sharpness(samples, digits), 3),
        "reconstruction_sharpness": round(sharpness(reconstructions, digits), 3),
        "samples_read_confidently": round(float((sample_confidence >= CONFIDENT).float().mean()), 3),
        "sample_classes": int(torch.unique(read_samples[sample_confidence >= CONFIDENT]).numel()),
        "reconstruction_accuracy": round(float((read_reconstructions == labels).float().mean()), 3),
        "diversity": spread["diversity"],
        "classes_seen": spread["classes_seen"],
    }


def step_times(steps: int) -> None:
    """Training steps per second of the bundled VAE's shape with each term, one after the other in one run."""
    from genart_core.datasets import load_dataset
    from genart_core.training import TrainSettings, Trainer

    data = load_dataset("bundled:sklearn-digits", 28, 1)
    plain = None
    variants = (
        ("pixel loss", {}),
        ("+ perceptual", {"perceptual_weight": 1.0}),
        ("+ perceptual + adversarial", {"perceptual_weight": 1.0, "adversarial_weight": 0.1}),
    )
    for label, terms in variants:
        trainer = Trainer(TrainSettings(method="vae", steps=steps + 2, batch=64, latent_dim=16, **terms), data.images, data.labels)
        trainer.train_step()  # untimed: first-call allocations
        started = time.perf_counter()
        for _ in range(steps):
            trainer.train_step()
        rate = steps / (time.perf_counter() - started)
        plain = plain or rate
        print(f"  VAE step, batch 64, {label}: {rate:.2f} steps/s ({plain / rate:.1f}× the time of the pixel loss)")


def side_by_side(path: Path, folders: list[str], sheets: list[tuple[torch.Tensor, torch.Tensor]], digits: torch.Tensor) -> None:
    """Top: 32 samples of each model, same codes, side by side. Bottom: 16 held-out digits, then each model's reconstructions."""
    gap = np.full((8 * 29 + 1, 8, 3), 255, np.uint8)
    top = [make_grid(list(batch_from_tensor(samples[:32])), 4) for samples, _ in sheets]
    bottom = [make_grid(list(batch_from_tensor(digits[:16])), 2)] + [make_grid(list(batch_from_tensor(rec[:16])), 2) for _, rec in sheets]
    rows = []
    for parts in (top, bottom):
        height = max(p.shape[0] for p in parts)
        padded = [np.pad(p, ((0, height - p.shape[0]), (0, 0), (0, 0)), constant_values=255) for p in parts]
        rows.append(np.concatenate(sum(([p, gap[:height]] for p in padded), [])[:-1], axis=1))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 8), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    Image.fromarray(enlarge(np.concatenate(rows), 3)).save(path)
    print(f"side by side ({' | '.join(folders)}; bottom: held-out digits | reconstructions): {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", help="VAE name or folder (repeatable; default: vae-digits)")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--side-by-side", type=Path, help="write a PNG of samples and reconstructions of each model")
    parser.add_argument("--step-times", type=int, default=0, metavar="STEPS", help="also time this many training steps with each term")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--record-in-card", action="store_true",
        help="write the figures of the first --model (before) and the last (after) into the last one's card.json",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    folders = args.model or ["vae-digits"]

    started = time.perf_counter()
    classifier = train_classifier()
    digits, labels = held_out_digits(args.count)
    read, confidence = read_digits(classifier, digits)
    reference = {
        "digits_read_confidently": round(float((confidence >= CONFIDENT).float().mean()), 3),
        "digit_accuracy": round(float((read == labels).float().mean()), 3),
    }
    print(f"classifier (scikit-learn digits, {time.perf_counter() - started:.0f} s) on {args.count} held-out font digits: {reference}")
    figures, sheets = {"real digits": reference}, []
    for folder in folders:
        samples, reconstructions = samples_and_reconstructions(folder, digits, args.count)
        sheets.append((samples, reconstructions))
        figures[folder] = vae_figures(samples, reconstructions, digits, labels, classifier)
        print(f"{folder}: {figures[folder]}")
    if args.side_by_side:
        side_by_side(args.side_by_side, folders, sheets, digits)
    if args.step_times:
        step_times(args.step_times)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    if args.record_in_card:
        record_in_card(find_model("vae", folders[-1]).location, figures, folders, args.count)


def _described(folder: str) -> str:
    card = find_model("vae", folder).card
    return f"{card['name']}, {card.get('steps')} steps: {card.get('description')}"


def record_in_card(folder: str, figures: dict, folders: list[str], count: int) -> None:
    """Add {"before", "after", "real_digits", "how"} as "sharpness_figures" to the card, atomically."""
    card_path = Path(folder) / "card.json"
    card = json.loads(card_path.read_text())
    card["sharpness_figures"] = {
        "before": {"model": _described(folders[0]), **figures[folders[0]]},
        "after": {"model": _described(folders[-1]), **figures[folders[-1]]},
        "real_digits": figures["real digits"],
        "how": f"python bench/vae_sharpness.py: {count} samples (seed 0) and reconstructions of {count} held-out font digits; "
        "classifier trained on scikit-learn's digits only",
    }
    write_bytes_atomic(card_path, (json.dumps(card, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    print(f"recorded in {card_path}")


if __name__ == "__main__":
    main()
