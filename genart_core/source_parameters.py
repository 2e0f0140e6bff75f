"""An enlarged picture keeps how its source was made.

An upscale's own GenerationInfo says only "Upscale 2×, genart-sr". Saved alone, a generated picture
that was then upscaled would lose its prompt, seed and model: the file would describe the last step
instead of the picture. AUTOMATIC1111 keeps the source's parameters after an upscale and adds the
upscale's as further fields; we do the same, so an exported upscaled artwork still says what made
it. The request stays the upscale's, so Reproduce sets the Upscale dialog up again.
"""

from __future__ import annotations

import dataclasses

from genart_core.api import GenerationInfo

# The generation fields a source passes on; size is the upscaled picture's own.
_CARRIED = ("prompt", "negative_prompt", "steps", "sampler", "cfg_scale", "seed", "model")


def with_source_parameters(upscaled: GenerationInfo, source: GenerationInfo | None) -> GenerationInfo:
    """``upscaled`` with the generation parameters of the picture it was made from. The
    upscaler's name stays in the extras ("Upscaler"); "Model" is the source's model, as A1111
    writes it. A source with no parameters (a photo) leaves ``upscaled`` as it is."""
    if source is None or not any(getattr(source, name) not in (None, "") for name in _CARRIED):
        return upscaled
    carried = {name: getattr(source, name) for name in _CARRIED}
    # The source's extras first: where both name a field, the later step (the upscale) is true now.
    extra = {**source.extra, **upscaled.extra}
    return dataclasses.replace(upscaled, **carried, extra=extra)
