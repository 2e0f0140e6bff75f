"""Sampling a trained DCGAN: seeded sample grids, images from given codes, slerp strips."""

from __future__ import annotations

import numpy as np
import torch

from genart_core.api import GenArtError, GenerationInfo, Result
from genart_core.imaging import batch_from_tensor
from genart_core.latents import interpolation_path, make_grid
from genart_core.models.dcgan import DCGANConfig, Generator
from genart_core.pipelines.sampling import check_sample_count, decode_in_chunks, find_generative_model, sample_latents, slider_axes
from genart_core.requests.generative import GanDecodeRequest, GanInterpolateRequest, GanSampleRequest, as_latents
from genart_core.weights import WEIGHTS_FILE, ModelEntry, ModelError, load_fp32_state_dict, load_into


def generator_config(entry: ModelEntry) -> DCGANConfig:
    try:
        return DCGANConfig.from_dict(entry.card["config"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"The card of the GAN “{entry.name}” has no usable config ({exc}).") from None


def load_generator(entry: ModelEntry) -> Generator:
    """The generator of the model folder ``entry.location`` (fp16 on disk, fp32 here), in eval mode."""
    state = load_fp32_state_dict(f"{entry.location}/{WEIGHTS_FILE}")
    return load_into(Generator(generator_config(entry)), state, f"the GAN “{entry.name}”")


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
    return list(batch_from_tensor((generator(z).clamp(-1, 1) + 1) / 2))


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
    check_sample_count(request.count)
    ctx.report(0, 1, "Loading the GAN")
    entry, generator = _model(request, ctx)
    latent_dim = generator.config.latent_dim
    latents = sample_latents(request.count, latent_dim, request.seed)
    images = decode_in_chunks(ctx, latents, lambda chunk: generate(generator, chunk))
    infos = [_info(entry, request, request.seed, image, index=i) for i, image in enumerate(images)]
    return Result(images, infos, {"grid": make_grid(images, request.columns), "latents": latents, **slider_axes(latent_dim)})


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

