"""The diagnostic plasma job (see genart_core.requests.selftest)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from genart_core.api import GenerationInfo, Result
from genart_core.device import seeded_generator
from genart_core.engine import RunContext
from genart_core.requests.selftest import SelfTestRequest


def _to_uint8(field: torch.Tensor) -> np.ndarray:
    # field: 3×H×W, any range -> H×W×3 uint8
    lo = field.amin(dim=(1, 2), keepdim=True)
    hi = field.amax(dim=(1, 2), keepdim=True)
    scaled = (field - lo) / (hi - lo + 1e-8)
    return (scaled.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()


def run(request: SelfTestRequest, ctx: RunContext) -> Result:
    generator = seeded_generator(request.seed)
    # Start from coarse noise; each step adds finer detail, so previews visibly evolve.
    field = torch.randn(3, 4, 4, generator=generator)
    work = torch.randn(request.work_size, request.work_size, generator=generator)
    for step in range(1, request.steps + 1):
        ctx.check_cancelled()
        size = (min(request.height, 4 * 2**step), min(request.width, 4 * 2**step))
        field = F.interpolate(field[None], size=size, mode="bicubic", align_corners=False)[0]
        field = field + 0.5**step * torch.randn(field.shape, generator=generator)
        # Busy work standing in for a network's forward pass: keeps the CPU as busy as a real job.
        for _ in range(4):
            work = torch.tanh(work @ work.T / request.work_size)
        preview = _to_uint8(field) if step % request.preview_every == 0 else None
        ctx.report(step, request.steps, "Rendering", preview)
    field = F.interpolate(field[None], size=(request.height, request.width), mode="bicubic")[0]
    info = GenerationInfo(
        prompt="self-test plasma",
        steps=request.steps,
        seed=request.seed,
        width=request.width,
        height=request.height,
        model="selftest",
        request=request.to_dict(),
    )
    return Result(images=[_to_uint8(field)], infos=[info])
