"""What the status bar and the Queue panel call a job: words for people, not request class names."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from genart_core.api import Request
from genart_core.requests import generative
from genart_core.requests.diffusion import ImageToImageRequest, InpaintRequest, TextToImageRequest
from genart_core.requests.fast_style import LearnStyleRequest, RefineRequest
from genart_core.requests.selftest import SelfTestRequest
from genart_core.requests.style import StyleTransferRequest
from genart_core.requests.upscale import UpscaleRequest


def describe_job(request: Request, model_label: Callable[[str], str]) -> str:
    """"Generating with Stable Diffusion 1.5…"; ``model_label`` turns a diffusion model key into its listed name."""
    if isinstance(request, TextToImageRequest):
        model = model_label(request.model)
        if isinstance(request, InpaintRequest):
            return f"Inpainting with {model}…"
        if isinstance(request, ImageToImageRequest):
            return f"Repainting the picture with {model}…"
        if request.hires:
            return f"Generating with {model}, hires fix {request.hires_scale:g}×…"
        return f"Generating with {model}…"
    if isinstance(request, UpscaleRequest):
        return f"Upscaling {request.scale}× with {Path(request.model).name or request.model}…"
    if isinstance(request, StyleTransferRequest):
        names = ", ".join(style.name for style in request.styles) or "the chosen style"
        return f"Stylising in {names}…"
    if isinstance(request, RefineRequest):
        names = ", ".join(style.name for style in request.instant.styles) or "the chosen style"
        return f"Refining the instant {names}…"
    if isinstance(request, LearnStyleRequest):
        return f"Learning the style “{request.style_name}”…"
    if isinstance(request, generative.TrainRequest):
        return f"Training a {request.method.upper()}…"
    if isinstance(request, (generative.SampleRequest, generative.DecodeRequest, generative.InterpolateRequest, generative.VaeReconstructRequest)):
        kind = "VAE" if type(request).__name__.startswith("Vae") else "GAN"
        model = Path(request.model).name or f"the first {kind}"
        if isinstance(request, generative.SampleRequest):
            return f"Sampling {request.count} pictures from the {kind} “{model}”…"
        if isinstance(request, generative.InterpolateRequest):
            return f"Interpolating with the {kind} “{model}”…"
        return f"Drawing the picked sample with the {kind} “{model}”…"
    if isinstance(request, SelfTestRequest):
        return "Running the self-test…"
    return "Working…"
