"""Does the offline diffusion model draw the digit it is asked for? Figures for issue #14.

Two independent digit readers (genart_core.digit_reader: one trained on digits rendered from
fonts that the model's training data leaves out, one on scikit-learn's handwritten digits) read
``--per-class`` pictures the model draws for each prompt "digit N" (fixed seeds, the app's
default 25 DDIM steps and guidance, OFFLINE_GUIDANCE) and as many digits made the way the training data is made
(same renderer and fonts, another seed). Printed per class: each reader's accuracy on both, and
the share of pictures with no digit in them (no ink, or a background as busy as a texture).

    python bench/offline_diffusion_quality.py [--model resources/models/tiny-diffusion] [--grid out.png]

This is the "diffusion" section of issue #14's figures; bench/detail.py did not exist on this
branch, so it is a script of its own with one function per step.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from genart_core.datasets import render_digits
from genart_core.digit_reader import DigitReader, looks_empty, train_font_reader, train_sklearn_reader, training_fonts
from genart_core.pipelines.tiny_diffusion import load_tiny_model, sample
from genart_core.pipelines.tiny_prompts import parse_prompt
from genart_core.requests.diffusion import OFFLINE_GUIDANCE

SIZE = 32
UNSURE = 0.5  # a reading whose top probability is below this counts as "unsure"
GRID_COLUMNS = 12  # pictures per label in the grid


def generate(unet, config, prompts: list[str], per_prompt: int, seed: int, steps: int, guidance: float) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 N×32×32×3 pictures, N label indices): ``per_prompt`` pictures per prompt, one seeded batch."""
    labels = torch.tensor([parse_prompt(prompt, config.labels) for prompt in prompts]).repeat_interleave(per_prompt)
    images = sample(unet, config, labels, steps=steps, guidance=guidance, generator=torch.Generator().manual_seed(seed))
    return images.mul(255).round().byte().permute(0, 2, 3, 1).numpy(), labels.numpy()


def training_like_digits(per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Digits drawn as scripts/train_diffusion.py draws its training data (another seed)."""
    labels = np.repeat(np.arange(10), per_class)
    grey = render_digits(labels, SIZE, np.random.default_rng(seed + 1000), training_fonts())
    return np.repeat(grey[..., None], 3, axis=-1), labels


def read(reader: DigitReader, pictures: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """Per class: accuracy, unsure share and the most common wrong reading."""
    probabilities = reader.probabilities(pictures)
    readings = probabilities.argmax(axis=1)
    accuracy, unsure, confusion = [], [], []
    for digit in range(10):
        mine = labels == digit
        accuracy.append(float((readings[mine] == digit).mean()))
        unsure.append(float((probabilities[mine].max(axis=1) < UNSURE).mean()))
        wrong = readings[mine & (readings != digit)]
        confusion.append(int(np.bincount(wrong, minlength=10).argmax()) if len(wrong) else -1)
    return {"accuracy": np.array(accuracy), "unsure": np.array(unsure), "confusion": np.array(confusion)}


def empty_share(pictures: np.ndarray, labels: np.ndarray) -> np.ndarray:
    flags = np.array([looks_empty(picture) for picture in pictures])
    return np.array([flags[labels == digit].mean() for digit in range(10)])


def save_grid(pictures: np.ndarray, labels: np.ndarray, names: list[str], path: Path, columns: int = GRID_COLUMNS) -> None:
    """One row per label (its name is not drawn; rows follow the model's label order), 2× nearest."""
    shown = sorted(set(labels.tolist()))
    grid = np.zeros((len(shown) * SIZE, columns * SIZE, 3), np.uint8)  # black where a label has fewer pictures
    for row, index in enumerate(shown):
        for column, picture in enumerate(pictures[labels == index][:columns]):
            grid[row * SIZE : (row + 1) * SIZE, column * SIZE : (column + 1) * SIZE] = picture
    Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.Resampling.NEAREST).save(path)
    print(f"grid: {path} (rows: {', '.join(names[i] for i in sorted(set(labels.tolist())))})")


def diffusion_section(model: Path, per_class: int, seed: int, steps: int, guidance: float, grid: Path | None) -> None:
    started = time.perf_counter()
    readers = {"fonts": train_font_reader(seed=seed), "sklearn": train_sklearn_reader()}
    print(f"readers trained in {time.perf_counter() - started:.0f} s")
    unet, config, _ = load_tiny_model(str(model))
    started = time.perf_counter()
    digit_prompts = [f"digit {digit}" for digit in range(10)]
    generated, generated_labels = generate(unet, config, digit_prompts, per_class, seed, steps, guidance)
    print(f"{len(generated)} pictures generated in {time.perf_counter() - started:.0f} s ({steps} steps, guidance {guidance}, seed {seed})")
    if grid is not None:
        others = [label for label in config.labels if not label.startswith("digit ")]
        other_pictures, other_labels = generate(unet, config, others, GRID_COLUMNS, seed + 1, steps, guidance)
        save_grid(np.concatenate([generated, other_pictures]), np.concatenate([generated_labels, other_labels]), config.labels, grid)
    data, data_labels = training_like_digits(per_class, seed)
    results = {}
    for name, reader in readers.items():
        results[name, "generated"] = read(reader, generated, generated_labels)
        results[name, "data"] = read(reader, data, data_labels)
    empty = {"generated": empty_share(generated, generated_labels), "data": empty_share(data, data_labels)}

    print(f"\nmodel {model}, {per_class} pictures per class")
    print("digit | fonts reader: generated / data (misread as) | sklearn reader: generated / data | no digit: generated / data | unsure (fonts): generated")
    for digit in range(10):
        fonts_gen, fonts_data = results["fonts", "generated"], results["fonts", "data"]
        sk_gen, sk_data = results["sklearn", "generated"], results["sklearn", "data"]
        misread = fonts_gen["confusion"][digit]
        print(
            f"{digit:>5} | {fonts_gen['accuracy'][digit]:6.0%} / {fonts_data['accuracy'][digit]:4.0%} ({misread if misread >= 0 else '-'})"
            f"       | {sk_gen['accuracy'][digit]:6.0%} / {sk_data['accuracy'][digit]:4.0%}"
            f"   | {empty['generated'][digit]:6.0%} / {empty['data'][digit]:4.0%}"
            f"   | {fonts_gen['unsure'][digit]:5.0%}"
        )
    print(
        f"  all | {results['fonts', 'generated']['accuracy'].mean():6.1%} / {results['fonts', 'data']['accuracy'].mean():4.1%}"
        f"         | {results['sklearn', 'generated']['accuracy'].mean():6.1%} / {results['sklearn', 'data']['accuracy'].mean():4.1%}"
        f"  | {empty['generated'].mean():6.1%} / {empty['data'].mean():4.1%}"
        f"   | {results['fonts', 'generated']['unsure'].mean():5.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=Path("resources/models/tiny-diffusion"))
    parser.add_argument("--per-class", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--guidance", type=float, default=OFFLINE_GUIDANCE)
    parser.add_argument("--grid", type=Path, help=f"save a grid here: one row per label, {GRID_COLUMNS} pictures each (the other labels are drawn for it)")
    args = parser.parse_args()
    diffusion_section(args.model, args.per_class, args.seed, args.steps, args.guidance, args.grid)


if __name__ == "__main__":
    main()
