"""Diffusion requests: text-to-image, image-to-image and inpainting, for Stable Diffusion models
and for the bundled offline model. Plain values only (no torch)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from genart_core.api import Request
from genart_core.requests.upscale import DEFAULT_UPSCALER

# The model key of the bundled offline model (see genart_core.sd_models).
OFFLINE_PREFIX = "offline:"
DEFAULT_OFFLINE_MODEL = OFFLINE_PREFIX + "tiny-diffusion"
# The offline model's guidance: bench/offline_diffusion_quality.py's fonts reader reads 99.8 % of the
# shipped weights' digits at 3 (400 digits, 25 steps; 97.8 % of training-style digits); the previous
# weights read 99 % at 3 and 96 % at 2. With the earlier sampler 3 distorted the strokes (25 % against 78 % at 2).
OFFLINE_GUIDANCE = 3.0
# The hires fix's plain enlargement; any other hires_upscaler names a learned upscaler.
HIRES_LANCZOS = "lanczos"
HIRES_SCALE_RANGE = (1.0, 4.0)


class Scheduler(str, enum.Enum):
    DEFAULT = "default"  # whatever the model ships with
    EULER_A = "euler_a"
    DPMPP_2M_KARRAS = "dpmpp_2m_karras"
    DDIM = "ddim"
    LCM = "lcm"  # for LCM-distilled models

    @property
    def label(self) -> str:
        return {
            "default": "Model default",
            "euler_a": "Euler a",
            "dpmpp_2m_karras": "DPM++ 2M Karras",
            "ddim": "DDIM",
            "lcm": "LCM",
        }[self.value]


# Pixels of context around an inpainting mask: up to the largest side a picture is generated at
# (pipelines.diffusion.MAX_SIDE), so any picture's whole width fits.
MAX_MASK_PADDING = 2048


@dataclass(frozen=True)
class TextToImageRequest(Request):
    pipeline: ClassVar[str] = "genart_core.pipelines.diffusion"
    supports_stop_and_keep: ClassVar[bool] = True

    prompt: str = ""
    # A hub id, a diffusers folder, a .safetensors checkpoint, or "offline:<name>".
    model: str = DEFAULT_OFFLINE_MODEL
    negative_prompt: str = ""
    seed: int = 0  # image i of the batch uses seed + i
    steps: int = 20
    guidance: float = 7.0  # classifier-free guidance scale; <= 1 turns guidance off
    width: int = 512
    height: int = 512
    count: int = 1  # number of variations
    scheduler: Scheduler = Scheduler.DEFAULT
    preview_every: int = 1  # report a preview every N steps (0 = never)
    # Decode with the tiny TAESD autoencoder instead of the model's VAE: several times faster on
    # CPUs, slightly softer detail; ~10 MB downloaded once. The offline model ignores it.
    fast_decoder: bool = False
    # Run the model's safety checker where it has one (SD 1.x models): it returns flagged images
    # black. Other tools offer to turn it off too; the result says when it flagged an image.
    safety_checker: bool = True
    # Hires fix (text-to-image with Stable Diffusion models; 1.0 = off): make the picture at
    # width×height (the model's native size), enlarge it hires_scale times with hires_upscaler,
    # then repaint it by image-to-image at hires_denoise with the same prompt and seed, in one job.
    hires_scale: float = 1.0
    hires_denoise: float = 0.35
    hires_upscaler: str = DEFAULT_UPSCALER  # the bundled learned upscaler; "lanczos" for a plain resize

    @property
    def mode(self) -> str:
        return "txt2img"

    @property
    def hires(self) -> bool:
        return self.hires_scale != 1.0


@dataclass(frozen=True)
class ImageToImageRequest(TextToImageRequest):
    # uint8 H×W×3 (or ×4) starting image; the result has its size unless width/height differ.
    init_image: np.ndarray | None = field(default=None, compare=False, repr=False)
    strength: float = 0.6  # 0 keeps the image, 1 ignores it

    @property
    def mode(self) -> str:
        return "img2img"


@dataclass(frozen=True)
class InpaintRequest(ImageToImageRequest):
    # uint8 H×W, non-zero where the picture is to be repainted.
    mask: np.ndarray | None = field(default=None, compare=False, repr=False)
    strength: float = 1.0
    # A picture larger than the model repaints in one pass is repainted only around its mask
    # (A1111's "Only masked"): the mask's bounding box grown by this many of the picture's pixels
    # on each side, so the model sees what surrounds the hole it fills (at most MAX_MASK_PADDING).
    mask_padding: int = 32

    @property
    def mode(self) -> str:
        return "inpaint"
