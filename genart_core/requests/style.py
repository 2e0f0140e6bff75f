"""Neural style transfer requests (plain values only: no torch here)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from genart_core.api import Request


class ColorMode(str, enum.Enum):
    NONE = "none"  # take the style's colours
    LUMINANCE = "luminance"  # transfer only brightness; the content's colour is put back at the end
    MATCH = "match"  # recolour the style images to the content's colour statistics first


class Preset(str, enum.Enum):
    PREVIEW = "preview"
    BALANCED = "balanced"
    BEST = "best"


class Init(str, enum.Enum):
    CONTENT = "content"  # the content image plus seeded low-frequency perturbation
    NOISE = "noise"  # seeded noise around the content's mean colour


@dataclass(frozen=True)
class StyleSource:
    """One style image and its weight in the fusion (weights are normalised to sum to 1)."""

    name: str
    path: str
    weight: float = 1.0


@dataclass(frozen=True)
class StyleTransferRequest(Request):
    """Repaint ``content`` in the fused style of ``styles``."""

    pipeline: ClassVar[str] = "genart_core.pipelines.style_transfer"
    supports_stop_and_keep: ClassVar[bool] = True

    # A file path or a uint8 H×W×C array (the canvas).
    content: str | Path | np.ndarray = field(compare=False)
    styles: tuple[StyleSource, ...]
    preset: Preset = Preset.BALANCED
    # Longest side of the result in pixels; None or anything larger means the content's own size.
    size: int | None = 512
    seed: int = 0
    # 1.0 is the default balance of style against content; 0 keeps the content, 3 is very stylised.
    strength: float = 1.0
    preserve_colors: ColorMode = ColorMode.NONE
    init: Init = Init.CONTENT
    # "adam" or "lbfgs"; None takes Adam, the presets' choice.
    optimizer: str | None = None
    # "auto", "oxford", "torchvision" or a .safetensors path (see genart_core.vgg_weights).
    weights: str = "auto"
    # "auto" (bf16 where faster) or "fp32" (to compare quality).
    precision: str = "auto"
    # Multiplies the preset's iteration counts (benchmarks and tests).
    iterations_scale: float = 1.0
    # Size of the style relative to the content: >1 paints larger brush marks.
    style_scale: float = 1.0


def parse_style_spec(spec: str) -> tuple[str, float]:
    """``"path/or name:0.7"`` -> (``"path/or name"``, 0.7); a suffix that is not a number stays part of the name."""
    head, sep, tail = spec.rpartition(":")
    if sep and head:
        try:
            weight = float(tail)
        except ValueError:
            return spec, 1.0
        if weight < 0:
            raise ValueError(f"style weight must not be negative: {spec}")
        return head, weight
    return spec, 1.0
