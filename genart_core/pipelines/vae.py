"""Using a trained VAE: sample, decode codes, reconstruct an image, interpolate between codes or images.

The model file also holds the principal directions of the training codes ("latent.mean",
"latent.directions" k × latent, "latent.scales" = the codes' standard deviation along each);
sample results hand them on as slider axes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from genart_core.api import GenArtError, GenerationInfo, Result
from genart_core.imaging import batch_from_tensor, square_crop, to_pil
from genart_core.latents import interpolation_path, make_grid
from genart_core.models.vae import ConvVAE, VAEConfig
from genart_core.requests.generative import (
    VaeDecodeRequest,
    VaeInterpolateRequest,
    VaeReconstructRequest,
    VaeSampleRequest,
    as_latents,
)
from genart_core.pipelines.sampling import check_sample_count, decode_in_chunks, find_generative_model, sample_latents, slider_axes
from genart_core.vae_terms import TrainingTerms, terms_from_card
from genart_core.validate import InvalidDataError
from genart_core.weights import WEIGHTS_FILE, ModelEntry, ModelError, load_fp32_state_dict, load_into


@dataclass
class LoadedVAE:
    vae: ConvVAE
    axes: dict[str, np.ndarray]  # "directions" (k × latent), "scales" (k), "mean" (latent)
    terms: TrainingTerms  # the reconstruction terms it was trained with, recorded with its pictures


def load_vae(entry: ModelEntry) -> LoadedVAE:
    try:
        config = VAEConfig.from_dict(entry.card["config"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"The card of the VAE “{entry.name}” has no usable config ({exc}).") from None
    try:
        terms = terms_from_card(entry.card, f"The card of the VAE “{entry.name}”")
    except InvalidDataError as exc:
        raise ModelError(str(exc)) from None
    state = load_fp32_state_dict(f"{entry.location}/{WEIGHTS_FILE}")
    axes = {k.removeprefix("latent."): state.pop(k).numpy() for k in list(state) if k.startswith("latent.")}
    vae = load_into(ConvVAE(config), state, f"the VAE “{entry.name}”")
    if "directions" not in axes:  # a model without stored directions: move along the code's own axes
        axes = {**slider_axes(config.latent_dim), "mean": np.zeros(config.latent_dim, np.float32)}
    return LoadedVAE(vae, axes, terms)


def _model(request, ctx) -> tuple[ModelEntry, LoadedVAE]:
    entry = find_generative_model("vae", request.model)
    return entry, ctx.cache.get_or_load(("vae", entry.location), lambda: load_vae(entry))


@torch.inference_mode()
def decode(vae: ConvVAE, latents: np.ndarray) -> list[np.ndarray]:
    """Codes (N × latent) -> uint8 H×W×3 images."""
    z = torch.as_tensor(np.asarray(latents, np.float32))
    if z.ndim != 2 or z.shape[1] != vae.config.latent_dim:
        raise GenArtError(f"This VAE takes codes of length {vae.config.latent_dim}, not {tuple(z.shape)}.")
    return list(batch_from_tensor(vae.decode(z)))


@torch.inference_mode()
def encode(vae: ConvVAE, image: np.ndarray) -> np.ndarray:
    """Any uint8 image -> the mean of its code (latent,), after fitting it to the model's input."""
    config = vae.config
    picture = to_pil(image).convert("L" if config.channels == 1 else "RGB")
    picture = square_crop(picture).resize((config.image_size, config.image_size))
    pixels = np.asarray(picture, np.float32).reshape(config.image_size, config.image_size, config.channels) / 255.0
    mean, _ = vae.encode(torch.from_numpy(pixels).permute(2, 0, 1)[None])
    return mean[0].numpy()


def _info(entry: ModelEntry, model: LoadedVAE, request, image: np.ndarray, seed: int | None = None, **extra) -> GenerationInfo:
    return GenerationInfo(
        seed=seed, width=image.shape[1], height=image.shape[0], model=entry.name,
        extra={"kind": "vae", "beta": entry.card.get("config", {}).get("beta"), "trained_with": model.terms.describe(), **extra},
        request=request.to_dict(),
    )


def run(request, ctx) -> Result:
    handlers = {
        VaeSampleRequest: _sample,
        VaeDecodeRequest: _decode,
        VaeInterpolateRequest: _interpolate,
        VaeReconstructRequest: _reconstruct,
    }
    handler = handlers.get(type(request))
    if handler is None:
        raise TypeError(f"The VAE pipeline cannot run {type(request).__name__}")
    return handler(request, ctx)


def _sample(request: VaeSampleRequest, ctx) -> Result:
    check_sample_count(request.count)
    ctx.report(0, 1, "Loading the VAE")
    entry, model = _model(request, ctx)
    latents = sample_latents(request.count, model.vae.config.latent_dim, request.seed)
    images = decode_in_chunks(ctx, latents, lambda chunk: decode(model.vae, chunk))
    infos = [_info(entry, model, request, image, request.seed, index=i) for i, image in enumerate(images)]
    return Result(images, infos, {"grid": make_grid(images, request.columns), "latents": latents, **model.axes})


def _decode(request: VaeDecodeRequest, ctx) -> Result:
    entry, model = _model(request, ctx)
    ctx.check_cancelled()
    images = decode(model.vae, np.asarray(request.latents, np.float32))
    return Result(images, [_info(entry, model, request, image) for image in images])


def _reconstruct(request: VaeReconstructRequest, ctx) -> Result:
    if request.image is None:
        raise GenArtError("Give the VAE an image to reconstruct.")
    entry, model = _model(request, ctx)
    code = encode(model.vae, request.image)
    images = decode(model.vae, code[None])
    return Result(images, [_info(entry, model, request, images[0])], {"latents": code[None], **model.axes})


def _interpolate(request: VaeInterpolateRequest, ctx) -> Result:
    entry, model = _model(request, ctx)
    ctx.check_cancelled()
    start = encode(model.vae, request.start_image) if request.start_image is not None else np.asarray(request.start, np.float32)
    end = encode(model.vae, request.end_image) if request.end_image is not None else np.asarray(request.end, np.float32)
    if start.size == 0 or end.size == 0:
        raise GenArtError("An interpolation needs two ends: two codes or two images.")
    path = interpolation_path(start, end, max(2, request.steps))
    images = decode(model.vae, path)
    infos = [_info(entry, model, request, image, slerp_t=i / (len(images) - 1)) for i, image in enumerate(images)]
    return Result(images, infos, {"strip": make_grid(images, columns=len(images)), "latents": as_latents(path)})
