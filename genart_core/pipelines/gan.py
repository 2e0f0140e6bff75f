"""Sampling a trained DCGAN: seeded sample grids, images from given codes, slerp strips."""

from __future__ import annotations

import numpy as np
import torch

from genart_core.api import GenArtError, GenerationInfo, Result
from genart_core.latents import interpolation_path, make_grid
from genart_core.models.dcgan import DCGANConfig, Generator
from genart_core.requests.generative import GanDecodeRequest, GanInterpolateRequest, GanSampleRequest, as_latents
from genart_core.weights import ModelEntry, ModelError, available_models, find_model, load_fp32_state_dict, load_into

MAX_SAMPLES = 1024
SLIDERS = 8  # a GAN's noise has no learnt axes, so its sliders move the first noise coordinates


def load_generator(entry: ModelEntry) -> Generator:
    """The generator of the model folder ``entry.location`` (fp16 on disk, fp32 here), in eval mode."""
    try:
        config = DCGANConfig.from_dict(entry.card["config"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"The card of the GAN “{entry.name}” has no usable config ({exc}).") from None
    state = load_fp32_state_dict(f"{entry.location}/model.safetensors")
    return load_into(Generator(config), state, f"the GAN “{entry.name}”")


def find_generative_model(kind: str, name: str) -> ModelEntry:
    """The named (or first) model of ``kind``, with a hint on how to get one when there is none."""
    if not name and not available_models(kind):
        raise ModelError(f"No {kind.upper()} model is installed. Train one with “genart train {kind} …” or Train on folder… in the app.")
    return find_model(kind, name or None)


def _model(request, ctx) -> tuple[ModelEntry, Generator]:
    entry = find_generative_model("gan", request.model)
    generator = ctx.cache.get_or_load(("gan", entry.location), lambda: load_generator(entry))
    return entry, generator


@torch.inference_mode()
def generate(generator: Generator, latents: np.ndarray) -> list[np.ndarray]:
    """Codes (N × latent) -> uint8 H×W×3 images."""
    z = torch.as_tensor(np.asarray(latents, np.float32))
    if z.ndim != 2 or z.shape[1] != generator.config.latent_dim:
        raise GenArtError(f"This GAN takes codes of length {generator.config.latent_dim}, not {tuple(z.shape)}.")
    images = ((generator(z).clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    return list(np.repeat(images, 3, axis=3) if images.shape[3] == 1 else images)


def sample_latents(count: int, latent_dim: int, seed: int) -> np.ndarray:
    """The codes a seed stands for: the same on every machine (CPU generator, fp32)."""
    generator = torch.Generator().manual_seed(int(seed))
    return torch.randn(count, latent_dim, generator=generator).numpy()


def _info(entry: ModelEntry, request, seed: int | None, image: np.ndarray, **extra) -> GenerationInfo:
    return GenerationInfo(
        seed=seed, width=image.shape[1], height=image.shape[0], model=entry.name,
        extra={"kind": "gan", **extra}, request=request.to_dict(),
    )


def run(request, ctx) -> Result:
    if isinstance(request, GanSampleRequest):
        return _sample(request, ctx)
    if isinstance(request, GanDecodeRequest):
        return _decode(request, ctx)
    if isinstance(request, GanInterpolateRequest):
        return _interpolate(request, ctx)
    raise TypeError(f"The GAN pipeline cannot run {type(request).__name__}")


def _sample(request: GanSampleRequest, ctx) -> Result:
    if not 1 <= request.count <= MAX_SAMPLES:
        raise GenArtError(f"Ask for between 1 and {MAX_SAMPLES} samples.")
    ctx.report(0, 1, "Loading the GAN")
    entry, generator = _model(request, ctx)
    ctx.check_cancelled()
    latents = sample_latents(request.count, generator.config.latent_dim, request.seed)
    images = []
    for chunk in np.array_split(latents, max(1, len(latents) // 64)):  # cancel between chunks of ~64
        ctx.check_cancelled()
        images += generate(generator, chunk)
        ctx.report(len(images), request.count, "Sampling")
    infos = [_info(entry, request, request.seed, image, index=i) for i, image in enumerate(images)]
    return Result(images, infos, {"grid": make_grid(images, request.columns), "latents": latents, **slider_axes(generator)})


def slider_axes(generator: Generator) -> dict:
    """Directions (k × latent) and step sizes (k) for latent sliders."""
    count = min(SLIDERS, generator.config.latent_dim)
    return {"directions": np.eye(count, generator.config.latent_dim, dtype=np.float32), "scales": np.ones(count, np.float32)}


def _decode(request: GanDecodeRequest, ctx) -> Result:
    entry, generator = _model(request, ctx)
    ctx.check_cancelled()
    images = generate(generator, np.asarray(request.latents, np.float32))
    return Result(images, [_info(entry, request, None, image) for image in images], {"model": entry.name})


def _interpolate(request: GanInterpolateRequest, ctx) -> Result:
    entry, generator = _model(request, ctx)
    ctx.check_cancelled()
    path = interpolation_path(np.asarray(request.start), np.asarray(request.end), max(2, request.steps))
    images = generate(generator, path)
    strip = make_grid(images, columns=len(images))
    infos = [_info(entry, request, None, image, slerp_t=i / (len(images) - 1)) for i, image in enumerate(images)]
    return Result(images, infos, {"strip": strip, "latents": as_latents(path), "model": entry.name})

