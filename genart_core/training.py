"""Training a GAN (the tutorial's BCE loss, or WGAN-GP) or a VAE on uint8 images.

``Trainer`` owns the networks, optimisers, learning-rate schedules, the generator's EMA copy
and every random state, so a checkpoint written after step k and resumed gives exactly the
step k + 1 an uninterrupted run would have taken. ``export`` writes the model folder the app
loads (model.safetensors in fp16 + card.json); the checkpoint (checkpoint.pt, read back with
``weights_only=True``) sits beside it for resuming.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from genart_core.api import GenArtError
from genart_core.atomic import atomic_write
from genart_core.diversity import measure
from genart_core.imaging import batch_from_tensor
from genart_core.latents import make_grid
from genart_core.models.dcgan import DCGANConfig, Discriminator, Generator, init_weights
from genart_core.models.patch_discriminator import PatchDiscriminator
from genart_core.models.vae import ConvVAE, VAEConfig, vae_loss
from genart_core.pipelines.sampling import sample_latents
from genart_core.sharpness import sharpness
from genart_core.vae_terms import MAX_TERM_WEIGHT, PerceptualDistance, TrainingTerms, adversarial_loss, discriminator_loss
from genart_core.weights import save_model

log = logging.getLogger(__name__)

METHODS = ("gan", "wgan-gp", "vae")
CHECKPOINT_FILE = "checkpoint.pt"
DIRECTIONS = 8  # principal latent directions stored with a VAE
# Settings added after checkpoints were first written: an older checkpoint trained without them.
_LATER_SETTINGS = {"perceptual_weight": 0.0, "adversarial_weight": 0.0, "perceptual_net": "auto"}


@dataclass(frozen=True)
class TrainSettings:
    method: str = "gan"  # "gan" (non-saturating BCE, as the tutorial), "wgan-gp" or "vae"
    image_size: int = 28  # 28, 32 or 64
    channels: int = 1  # 1 greyscale, 3 RGB
    steps: int = 2000  # generator (or VAE) optimiser steps
    batch: int = 64
    latent_dim: int = 0  # 0 = 100 for a GAN, 16 for a VAE
    width: int = 0  # 0 = 128 generator channels (GAN) / 32 first-conv channels (VAE)
    beta: float = 1.0  # VAE: weight of the KL term
    lr: float = 0.0  # 0 = 2e-4 (GAN), 1e-4 (WGAN-GP), 1e-3 (VAE)
    lr_schedule: str = "cosine"  # "cosine" (warm-up, then down to 10 %) or "constant"
    ema_decay: float = 0.999  # EMA of the generator's weights; samples come from the EMA copy
    critic_steps: int = 5  # WGAN-GP: critic updates per generator update
    gp_weight: float = 10.0  # WGAN-GP: λ of the gradient penalty
    seed: int = 0
    bf16: bool = True  # bf16 autocast where the device runs it faster
    perceptual_weight: float = 0.0  # VAE: weight of the VGG-19 feature reconstruction term (vae_terms.py)
    adversarial_weight: float = 0.0  # VAE: weight of the PatchGAN term, making it a VAE-GAN
    perceptual_net: str = "auto"  # VGG-19 weights for that term: "auto", "oxford", "torchvision" or a .safetensors path

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise GenArtError(f"Unknown training method “{self.method}”; use one of {', '.join(METHODS)}.")
        if self.steps < 1 or self.batch < 2:
            raise GenArtError("Training needs at least one step and a batch of at least two images.")
        for name, weight in (("perceptual", self.perceptual_weight), ("adversarial", self.adversarial_weight)):
            if not 0.0 <= weight <= MAX_TERM_WEIGHT:  # also refuses NaN
                raise GenArtError(f"The {name} weight must be between 0 and {MAX_TERM_WEIGHT:g}, not {weight}.")
            if weight and self.method != "vae":
                raise GenArtError(f"The {name} term sharpens VAE training; a GAN is adversarial already.")

    @property
    def is_gan(self) -> bool:
        return self.method != "vae"

    def resolved(self) -> "TrainSettings":
        """Defaults filled in, so cards and checkpoints record the values actually used."""
        gan = self.is_gan
        return replace(
            self,
            latent_dim=self.latent_dim or (100 if gan else 16),
            width=self.width or (128 if gan else 32),
            lr=self.lr or {"gan": 2e-4, "wgan-gp": 1e-4, "vae": 1e-3}[self.method],
        )


def _schedule(settings: TrainSettings):
    warmup = max(1, settings.steps // 50)

    def factor(step: int) -> float:
        if settings.lr_schedule == "constant":
            return 1.0
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, settings.steps - warmup))
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

    return factor


class Trainer:
    def __init__(self, settings: TrainSettings, images: np.ndarray, labels: np.ndarray | None = None, device: torch.device | str = "cpu") -> None:
        settings = settings.resolved()
        if images.ndim != 4 or images.shape[1:] != (settings.image_size, settings.image_size, settings.channels):
            raise GenArtError(f"Training images must be N×{settings.image_size}×{settings.image_size}×{settings.channels}, not {images.shape}.")
        self.settings = settings
        self.device = torch.device(device)
        torch.manual_seed(settings.seed)
        self.data = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()  # uint8 N×C×H×W
        self.labels = None if labels is None else torch.as_tensor(labels)
        self.step = 0
        self.train_seconds = 0.0
        self.history: list[dict[str, float]] = []
        self._order = torch.randperm(len(self.data))
        self._cursor = 0
        self._autocast = settings.bf16 and self._bf16_pays_off()
        factor = _schedule(settings)
        if settings.is_gan:
            config = DCGANConfig(settings.image_size, settings.channels, settings.latent_dim, settings.width, critic=settings.method == "wgan-gp")
            self.config = config
            self.generator = Generator(config).to(self.device)
            self.critic = Discriminator(config).to(self.device)
            self.generator.apply(init_weights)
            self.critic.apply(init_weights)
            self.ema = copy.deepcopy(self.generator).eval().requires_grad_(False)
            betas = (0.5, 0.999) if settings.method == "gan" else (0.0, 0.9)
            self.optimisers = {
                "generator": torch.optim.Adam(self.generator.parameters(), settings.lr, betas=betas),
                "critic": torch.optim.Adam(self.critic.parameters(), settings.lr, betas=betas),
            }
        else:
            self.config = VAEConfig(settings.image_size, settings.channels, settings.latent_dim, settings.width, beta=settings.beta)
            self.vae = ConvVAE(self.config).to(self.device)
            self.optimisers = {"vae": torch.optim.Adam(self.vae.parameters(), settings.lr)}
            self.perceptual = self.discriminator = None
            if settings.perceptual_weight:
                from genart_core.vgg_weights import load_vgg

                self.perceptual = PerceptualDistance(load_vgg(settings.perceptual_net)).to(self.device)
            if settings.adversarial_weight:
                self.discriminator = PatchDiscriminator(settings.channels).to(self.device)
                self.optimisers["discriminator"] = torch.optim.Adam(self.discriminator.parameters(), 2e-4, betas=(0.5, 0.999))
        self.schedulers = {name: torch.optim.lr_scheduler.LambdaLR(opt, factor) for name, opt in self.optimisers.items()}

    def _bf16_pays_off(self) -> bool:
        from genart_core.device import fast_dtype

        return fast_dtype(self.device) == torch.bfloat16

    def _amp(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self._autocast)

    # -- data ------------------------------------------------------------------------------

    def _batch(self) -> torch.Tensor:
        """The next batch in [0, 1], B×C×H×W; a fresh permutation each epoch."""
        size = min(self.settings.batch, len(self.data))
        if self._cursor + size > len(self.data):
            self._order = torch.randperm(len(self.data))
            self._cursor = 0
        indices = self._order[self._cursor : self._cursor + size]
        self._cursor += size
        return self.data[indices].to(self.device).float() / 255.0

    @property
    def epoch(self) -> float:
        return self.step * self.settings.batch / len(self.data)

    # -- one step --------------------------------------------------------------------------

    def train_step(self) -> dict[str, float]:
        started = time.perf_counter()
        step = {"gan": self._gan_step, "wgan-gp": self._wgan_step, "vae": self._vae_step}[self.settings.method]
        losses = step()
        for scheduler in self.schedulers.values():
            scheduler.step()
        self.step += 1
        self.train_seconds += time.perf_counter() - started
        self.history.append({"step": float(self.step), **losses})
        return losses

    def _noise(self, count: int) -> torch.Tensor:
        return torch.randn(count, self.settings.latent_dim, device=self.device)

    def _gan_step(self) -> dict[str, float]:
        real = self._batch() * 2 - 1
        ones, zeros = torch.ones(len(real), device=self.device), torch.zeros(len(real), device=self.device)
        with self._amp():
            fake = self.generator(self._noise(len(real)))
            real_logits, fake_logits = self.critic(real), self.critic(fake.detach())
        d_loss = F.binary_cross_entropy_with_logits(real_logits.float(), ones) + F.binary_cross_entropy_with_logits(fake_logits.float(), zeros)
        self.optimisers["critic"].zero_grad(set_to_none=True)
        d_loss.backward()
        self.optimisers["critic"].step()
        with self._amp():
            fooled = self.critic(fake)
        # Non-saturating loss: the generator maximises log D(G(z)) rather than minimising log(1 - D(G(z))).
        g_loss = F.binary_cross_entropy_with_logits(fooled.float(), ones)
        self.optimisers["generator"].zero_grad(set_to_none=True)
        g_loss.backward()
        self.optimisers["generator"].step()
        self._update_ema()
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item(), "d_real": torch.sigmoid(real_logits.detach().float()).mean().item()}

    def _wgan_step(self) -> dict[str, float]:
        for _ in range(self.settings.critic_steps):
            real = self._batch() * 2 - 1
            with torch.no_grad(), self._amp():
                fake = self.generator(self._noise(len(real))).float()
            mix = torch.rand(len(real), 1, 1, 1, device=self.device)
            between = (mix * real + (1 - mix) * fake).requires_grad_(True)
            with self._amp():
                real_score, fake_score, between_score = self.critic(torch.cat([real, fake, between])).float().chunk(3)
            gradients = torch.autograd.grad(between_score.sum(), between, create_graph=True)[0]
            penalty = ((gradients.float().flatten(1).norm(dim=1) - 1) ** 2).mean()
            wasserstein = real_score.mean() - fake_score.mean()
            c_loss = -wasserstein + self.settings.gp_weight * penalty
            self.optimisers["critic"].zero_grad(set_to_none=True)
            c_loss.backward()
            self.optimisers["critic"].step()
        with self._amp():
            g_loss = -self.critic(self.generator(self._noise(self.settings.batch))).float().mean()
        self.optimisers["generator"].zero_grad(set_to_none=True)
        g_loss.backward()
        self.optimisers["generator"].step()
        self._update_ema()
        return {"d_loss": c_loss.item(), "g_loss": g_loss.item(), "wasserstein": wasserstein.item(), "gp": penalty.item()}

    def _vae_step(self) -> dict[str, float]:
        images = self._batch()
        with self._amp():
            logits, mean, log_var = self.vae(images)
        total, reconstruction, kl = vae_loss(logits, images, mean, log_var, self.settings.beta)
        losses = {"reconstruction": reconstruction.item(), "kl": kl.item()}
        decoded = torch.sigmoid(logits.float())
        if self.perceptual is not None:
            with self._amp():
                perceptual = self.perceptual(decoded, images)
            total = total + self.settings.perceptual_weight * perceptual
            losses["perceptual"] = perceptual.item()
        if self.discriminator is not None:
            adversarial, critic_losses = self._patch_adversarial(images, decoded)
            total = total + self.settings.adversarial_weight * adversarial
            losses |= critic_losses
        self.optimisers["vae"].zero_grad(set_to_none=True)
        total.backward()
        self.optimisers["vae"].step()
        return {"loss": total.item(), **losses}

    def _patch_adversarial(self, images: torch.Tensor, decoded: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        """One PatchGAN update, then the decoder's adversarial loss against the updated critic.

        As in Larsen et al.'s VAE-GAN, the critic judges reconstructions and samples from the
        prior: samples are what users see, and the pixel loss never looks at them.
        """
        with self._amp():
            sampled = self.vae.decode(self._noise(len(images))).float()
        fakes = torch.cat([decoded, sampled])
        with self._amp():
            critic_loss = discriminator_loss(self.discriminator(images), self.discriminator(fakes.detach()))
        self.optimisers["discriminator"].zero_grad(set_to_none=True)
        critic_loss.backward()
        self.optimisers["discriminator"].step()
        self.discriminator.requires_grad_(False)  # the decoder's loss needs no gradient for the critic's weights
        with self._amp():
            adversarial = adversarial_loss(self.discriminator(fakes), images.shape[-2] * images.shape[-1])
        self.discriminator.requires_grad_(True)
        return adversarial, {"adversarial": adversarial.item(), "d_loss": critic_loss.item()}

    @torch.no_grad()
    def _update_ema(self) -> None:
        decay = min(self.settings.ema_decay, (1 + self.step) / (10 + self.step))  # short warm-up
        for ema, live in zip(self.ema.parameters(), self.generator.parameters()):
            ema.lerp_(live, 1 - decay)
        for ema, live in zip(self.ema.buffers(), self.generator.buffers()):
            ema.copy_(live)

    # -- samples and figures -----------------------------------------------------------------

    @torch.no_grad()
    def samples(self, count: int = 64, seed: int = 0) -> torch.Tensor:
        """B×C×H×W in [0, 1] from fixed noise (the EMA generator, or the VAE's decoder)."""
        z = torch.from_numpy(sample_latents(count, self.settings.latent_dim, seed)).to(self.device)
        if self.settings.is_gan:
            return (self.ema(z).float().clamp(-1, 1) + 1) / 2
        self.vae.eval()
        images = self.vae.decode(z).float()
        self.vae.train()
        return images

    def grid_image(self, count: int = 64, seed: int = 0) -> np.ndarray:
        """The fixed-noise sample sheet (uint8 RGB) that training reports show."""
        return grid(self.samples(count, seed))

    def diversity(self, samples: torch.Tensor | None = None, reference: int = 500) -> dict:
        """Mode-collapse figures of ``samples`` (default: the fixed-noise samples) against the training data."""
        samples = self.samples() if samples is None else samples
        picked = torch.linspace(0, len(self.data) - 1, min(reference, len(self.data))).long()
        labels = None if self.labels is None else self.labels[picked]
        data = self.data[picked].float() / 255.0
        return {**measure(samples.cpu(), data, labels).to_dict(), "sharpness": round(sharpness(samples.cpu(), data), 4)}

    # -- checkpoints -----------------------------------------------------------------------

    def _modules(self) -> dict[str, torch.nn.Module]:
        if self.settings.is_gan:
            return {"generator": self.generator, "critic": self.critic, "ema": self.ema}
        return {"vae": self.vae} | ({"discriminator": self.discriminator} if self.discriminator is not None else {})

    def save_checkpoint(self, path: Path) -> None:
        state = {
            "settings": asdict(self.settings),
            "step": self.step,
            "train_seconds": self.train_seconds,
            "history": self.history,
            "modules": {name: module.state_dict() for name, module in self._modules().items()},
            "optimisers": {name: opt.state_dict() for name, opt in self.optimisers.items()},
            "schedulers": {name: sched.state_dict() for name, sched in self.schedulers.items()},
            "rng": torch.get_rng_state(),
            "order": self._order,
            "cursor": self._cursor,
        }
        if self.device.type == "cuda":  # noise drawn on the GPU comes from its own generator
            state["cuda_rng"] = torch.cuda.get_rng_state(self.device)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as stream:  # a crash mid-write never leaves a half checkpoint
            torch.save(state, stream)

    def load_checkpoint(self, path: Path) -> None:
        try:
            state = torch.load(path, map_location=self.device, weights_only=True)
        except (OSError, RuntimeError, ValueError) as exc:
            raise GenArtError(f"The checkpoint {path} could not be read ({exc}).") from None
        if {**_LATER_SETTINGS, **state["settings"]} != asdict(self.settings):
            raise GenArtError(f"The checkpoint {path} was made with other settings; train into a new folder or use the same settings.")
        for name, module in self._modules().items():
            module.load_state_dict(state["modules"][name])
        for name, opt in self.optimisers.items():
            opt.load_state_dict(state["optimisers"][name])
        for name, sched in self.schedulers.items():
            sched.load_state_dict(state["schedulers"][name])
        torch.set_rng_state(state["rng"].cpu())
        if "cuda_rng" in state and self.device.type == "cuda":
            torch.cuda.set_rng_state(state["cuda_rng"].cpu(), self.device)
        self.step, self.train_seconds, self.history = state["step"], state["train_seconds"], state["history"]
        self._order, self._cursor = state["order"].cpu(), state["cursor"]

    # -- the model folder the app loads ---------------------------------------------------------

    def export(self, folder: Path, name: str, data: str, extra: dict | None = None) -> dict:
        """Write model.safetensors (fp16) + card.json; returns the card."""
        if self.settings.is_gan:
            tensors = dict(self.ema.state_dict())
        else:
            tensors = dict(self.vae.state_dict())
            tensors |= {f"latent.{key}": value for key, value in self.latent_directions().items()}
        last = {k: round(v, 5) for k, v in self.history[-1].items() if k != "step"} if self.history else {}
        card = {
            "kind": "gan" if self.settings.is_gan else "vae",
            "name": name,
            "method": self.settings.method,
            "description": _describe(self.settings),
            "config": self.config.to_dict(),
            "data": data,
            "seed": self.settings.seed,
            "steps": self.step,
            "batch": self.settings.batch,
            "settings": asdict(self.settings),
            "wall_time_s": round(self.train_seconds, 1),
            "final_losses": last,
            "diversity": self.diversity(),
            "weights_dtype": "float16" + (" (EMA generator)" if self.settings.is_gan else ""),
            "bf16_autocast": self._autocast,
            **(extra or {}),
        }
        save_model(folder, tensors, card)
        return card

    @torch.no_grad()
    def latent_directions(self, limit: int = 4000) -> dict[str, torch.Tensor]:
        """Principal directions of the training codes: mean, unit directions (k×latent), their spread."""
        self.vae.eval()
        picked = torch.linspace(0, len(self.data) - 1, min(limit, len(self.data))).long()
        codes = torch.cat([self.vae.encode(self.data[chunk].to(self.device).float() / 255.0)[0] for chunk in picked.split(512)]).float()
        self.vae.train()
        centre = codes.mean(dim=0)
        _, singular, vectors = torch.linalg.svd(codes - centre, full_matrices=False)
        count = min(DIRECTIONS, vectors.shape[0])
        scales = singular[:count] / math.sqrt(max(1, len(codes) - 1))  # standard deviation along each
        return {"mean": centre, "directions": vectors[:count], "scales": scales}


def _describe(settings: TrainSettings) -> str:
    size = f"{settings.image_size}×{settings.image_size} {'greyscale' if settings.channels == 1 else 'RGB'}"
    if settings.method == "vae":
        terms = TrainingTerms(settings.perceptual_weight, settings.adversarial_weight).describe()
        return f"Convolutional VAE, {settings.latent_dim}-d code, β={settings.beta:g}, {size}, {terms}"
    loss = "non-saturating BCE (TensorFlow tutorial)" if settings.method == "gan" else f"WGAN-GP (λ={settings.gp_weight:g}, {settings.critic_steps} critic steps)"
    return f"DCGAN, {settings.width}-channel generator, {loss}, EMA weights, {size}"


def grid(images: torch.Tensor, columns: int = 8) -> np.ndarray:
    """B×C×H×W in [0, 1] -> one uint8 RGB sample sheet."""
    return make_grid(list(batch_from_tensor(images)), columns)


@dataclass
class Snapshot:
    """What a training loop reports: the step, the latest losses, and every few steps a grid."""

    step: int
    total: int
    losses: dict[str, float]
    grid: np.ndarray | None = None  # uint8 sample grid, at sample steps only
    diversity: dict | None = None  # mode-collapse figures, at sample steps only


def fit(
    trainer: Trainer,
    out: Path,
    name: str,
    data: str,
    report=None,
    check_cancelled=None,
    sample_every: int = 200,
    checkpoint_every: int = 500,
    max_seconds: float | None = None,
    resume: bool = False,
    checkpoint_dir: Path | None = None,
    card_extra: dict | None = None,
) -> dict:
    """Train to ``trainer.settings.steps`` (or ``max_seconds``), exporting the model to ``out``.

    Every ``checkpoint_every`` steps the checkpoint and the model folder are rewritten, so
    stopping (``check_cancelled`` raising) keeps the last checkpoint, usable and resumable.
    ``checkpoint_dir`` keeps the checkpoint elsewhere (bundled models ship without it);
    ``card_extra`` adds fields to the card (e.g. the model training started from).
    Returns the card of the final export.
    """
    checkpoint = (checkpoint_dir or out) / CHECKPOINT_FILE
    if resume and checkpoint.is_file():
        trainer.load_checkpoint(checkpoint)
        log.info("Resumed %s at step %d", checkpoint, trainer.step)
    total = trainer.settings.steps
    started = time.perf_counter()
    card: dict = {}
    while trainer.step < total:
        if check_cancelled:
            check_cancelled()
        losses = trainer.train_step()
        step = trainer.step
        out_of_time = max_seconds is not None and time.perf_counter() - started > max_seconds
        last = step == total or out_of_time
        if report:
            sampled = step % sample_every == 0 or step == 1 or last
            samples = trainer.samples() if sampled else None  # one draw for the sheet and the figures
            sheet = grid(samples) if sampled else None
            figures = trainer.diversity(samples) if sampled else None
            report(Snapshot(step, total, losses, sheet, figures))
        if step % checkpoint_every == 0 or last:
            trainer.save_checkpoint(checkpoint)
            card = trainer.export(out, name, data, card_extra)
        if out_of_time:
            log.info("Training time budget reached at step %d of %d", step, total)
            break
    return card or trainer.export(out, name, data, card_extra)
