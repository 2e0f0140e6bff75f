"""An upscaled picture keeps how its source was made (genart_core.source_parameters)."""

from __future__ import annotations

from genart_core.api import GenerationInfo
from genart_core.source_parameters import with_source_parameters


def _upscaled() -> GenerationInfo:
    return GenerationInfo(
        width=1024, height=1024, model="genart-sr",
        extra={"Upscale": 2, "Upscaler": "genart-sr", "Detail": 1.0}, request={"type": "UpscaleRequest", "scale": 2},
    )


def test_the_source_generation_fields_are_kept_beside_the_upscale_fields() -> None:
    source = GenerationInfo(
        prompt="a lighthouse", negative_prompt="blurry", steps=25, sampler="DDIM", cfg_scale=7.0, seed=42,
        width=512, height=512, model="tiny-diffusion", extra={"Hires upscale": 2, "Detail": 0.2}, request={"type": "DiffusionRequest"},
    )
    info = with_source_parameters(_upscaled(), source)
    assert (info.prompt, info.negative_prompt, info.steps, info.sampler, info.cfg_scale, info.seed, info.model) == (
        "a lighthouse", "blurry", 25, "DDIM", 7.0, 42, "tiny-diffusion",
    )
    assert (info.width, info.height) == (1024, 1024)  # the picture's own size, not the source's
    assert info.extra == {"Hires upscale": 2, "Detail": 1.0, "Upscale": 2, "Upscaler": "genart-sr"}  # the upscale's Detail wins
    assert info.request == {"type": "UpscaleRequest", "scale": 2}  # Reproduce reopens the Upscale dialog


def test_a_source_without_parameters_leaves_the_upscale_info_alone() -> None:
    upscaled = _upscaled()
    assert with_source_parameters(upscaled, None) is upscaled
    assert with_source_parameters(upscaled, GenerationInfo(width=10, height=10, extra={"Source": "photo.jpg"})) is upscaled
