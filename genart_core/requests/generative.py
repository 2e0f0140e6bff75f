"""GAN and VAE requests: sample, decode codes, interpolate, reconstruct, train. Plain values only (no torch).

``model`` is a model name (bundled or yours), a model folder, or "" for the first model of
that kind. Latent codes travel as tuples of floats so a request stays a plain value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from genart_core.api import Request

Latents = tuple[tuple[float, ...], ...]
BUNDLED_DATA = ("bundled:digits", "bundled:sklearn-digits", "bundled:faces")


def as_latents(array: np.ndarray) -> Latents:
    return tuple(tuple(float(x) for x in row) for row in np.atleast_2d(np.asarray(array, np.float64)))


@dataclass(frozen=True)
class SampleRequest(Request):
    """``count`` samples from seeded noise; the result's images are the samples, extras hold the
    grid ("grid") and their codes ("latents", count × latent)."""

    model: str = ""
    count: int = 64
    seed: int = 0
    columns: int = 8


@dataclass(frozen=True)
class GanSampleRequest(SampleRequest):
    pipeline: ClassVar[str] = "genart_core.pipelines.gan"


@dataclass(frozen=True)
class VaeSampleRequest(SampleRequest):
    pipeline: ClassVar[str] = "genart_core.pipelines.vae"


@dataclass(frozen=True)
class DecodeRequest(Request):
    """One image per code (slider moves, picked samples)."""

    model: str = ""
    latents: Latents = ()


@dataclass(frozen=True)
class GanDecodeRequest(DecodeRequest):
    pipeline: ClassVar[str] = "genart_core.pipelines.gan"


@dataclass(frozen=True)
class VaeDecodeRequest(DecodeRequest):
    pipeline: ClassVar[str] = "genart_core.pipelines.vae"


@dataclass(frozen=True)
class InterpolateRequest(Request):
    """``steps`` images along the slerp path from ``start`` to ``end`` (codes); extras: "strip", "latents"."""

    model: str = ""
    start: tuple[float, ...] = ()
    end: tuple[float, ...] = ()
    steps: int = 8


@dataclass(frozen=True)
class GanInterpolateRequest(InterpolateRequest):
    pipeline: ClassVar[str] = "genart_core.pipelines.gan"


@dataclass(frozen=True)
class VaeInterpolateRequest(InterpolateRequest):
    """For a VAE the ends may instead be images (uint8 H×W×C), encoded first."""

    pipeline: ClassVar[str] = "genart_core.pipelines.vae"
    start_image: np.ndarray | None = None
    end_image: np.ndarray | None = None


@dataclass(frozen=True)
class VaeReconstructRequest(Request):
    """Encode an image and decode its mean code; extras: "latents" (1 × latent)."""

    pipeline: ClassVar[str] = "genart_core.pipelines.vae"
    model: str = ""
    image: np.ndarray | None = None


@dataclass(frozen=True)
class TrainRequest(Request):
    """Train a GAN, WGAN-GP or VAE on a folder (or "bundled:digits", …) into ``out`` (a model folder).

    Progress reports carry the latest losses in ``Progress.extras`` ("losses") and, every
    ``sample_every`` steps, the sample grid as the preview plus "diversity" figures.
    """

    pipeline: ClassVar[str] = "genart_core.pipelines.training"
    data: str = "bundled:digits"
    out: str = ""
    method: str = "gan"
    name: str = ""  # "" = the folder's name
    epochs: int = 5
    image_size: int = 28
    channels: int = 1
    batch: int = 64
    seed: int = 0
    beta: float = 1.0
    perceptual_weight: float = 0.0  # VAE: VGG-19 feature reconstruction term (0 = off)
    adversarial_weight: float = 0.0  # VAE: PatchGAN term, a VAE-GAN (0 = off)
    width: int = 0  # 0 = the method's default
    sample_every: int = 100
    checkpoint_every: int = 200
    resume: bool = True  # continue from a checkpoint in ``out`` when its settings match
