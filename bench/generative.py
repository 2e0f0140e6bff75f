"""GAN and VAE figures on this machine: sampling speed, training speed, diversity of the bundled models.

    python bench/generative.py               # all figures, a few seconds each
    python bench/generative.py --threads 1   # as the bundled models were trained

Prints samples per second at batch 64 for each bundled model (fp32 and bf16 autocast,
channels_last), training steps per second for each bundled model's own settings (data from
scikit-learn digits, so nothing is rendered first), and the diversity figure stored in each
model card next to one measured now.
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np
import torch

from genart_core.datasets import load_dataset
from genart_core.diversity import measure
from genart_core.engine import Engine
from genart_core.pipelines.gan import load_generator
from genart_core.pipelines.vae import load_vae
from genart_core.requests.generative import GanSampleRequest, VaeSampleRequest
from genart_core.timing import best_of
from genart_core.training import TrainSettings, Trainer
from genart_core.weights import available_models


def sampling(repeats: int) -> None:
    print("Sampling, batch 64 (samples/s):")
    for entry in available_models("gan") + available_models("vae"):
        network = load_generator(entry) if entry.kind == "gan" else load_vae(entry).vae
        decode = network if entry.kind == "gan" else network.decode
        z = torch.randn(64, network.config.latent_dim)
        figures = []
        for label, bf16, channels_last in (("fp32", False, False), ("bf16", True, False), ("bf16+channels_last", True, True)):
            network.to(memory_format=torch.channels_last if channels_last else torch.contiguous_format)  # in place
            amp = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()

            def run() -> None:
                with torch.inference_mode(), amp:
                    decode(z)

            figures.append(f"{label} {64 / best_of(run, repeats):,.0f}")
        print(f"  {entry.kind} {entry.name}: " + ", ".join(figures))


def steps_per_second(trainer: Trainer, steps: int) -> float:
    """Training speed over ``steps`` steps, after one untimed step (first-call allocations)."""
    trainer.train_step()
    started = time.perf_counter()
    for _ in range(steps):
        trainer.train_step()
    return steps / (time.perf_counter() - started)


def training(steps: int) -> None:
    print("Training (steps/s at each bundled model's settings, sklearn digits):")
    data = load_dataset("bundled:sklearn-digits", 28, 1)
    for entry in available_models("gan") + available_models("vae"):
        saved = entry.card.get("settings", {})
        for bf16 in (False, True):
            settings = TrainSettings(**{**saved, "steps": steps + 2, "bf16": bf16})
            trainer = Trainer(settings, data.images, data.labels)
            rate = steps_per_second(trainer, steps)
            print(f"  {entry.kind} {entry.name} ({settings.method}, batch {settings.batch}, {'bf16' if trainer._autocast else 'fp32'}): {rate:.2f} steps/s")
    wgan = Trainer(TrainSettings(method="wgan-gp", steps=steps + 2, width=128), data.images, data.labels)
    print(f"  (not bundled) wgan-gp, 128-wide generator, 5 critic steps: {steps_per_second(wgan, max(1, steps // 4)):.2f} generator steps/s")


def diversity() -> None:
    print("Diversity of 64 samples (pairwise distance / the data's; classes reached, by nearest of 1000 rendered digits):")
    data = load_dataset("bundled:digits", 28, 1, count=1000, seed=99)
    reference = torch.from_numpy(data.images).permute(0, 3, 1, 2).float() / 255
    engine = Engine()
    for entry in available_models("gan") + available_models("vae"):
        request = (GanSampleRequest if entry.kind == "gan" else VaeSampleRequest)(model=entry.location, count=64, seed=0)
        samples = torch.from_numpy(np.stack(engine.run(request).images)[..., :1]).permute(0, 3, 1, 2).float() / 255
        print(f"  {entry.kind} {entry.name}: {measure(samples, reference, torch.from_numpy(data.labels)).to_dict()} (card: {entry.card.get('diversity')})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--train-steps", type=int, default=20)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    sampling(args.repeats)
    training(args.train_steps)
    diversity()


if __name__ == "__main__":
    main()
