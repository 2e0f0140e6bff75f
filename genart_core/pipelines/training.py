"""The TrainRequest pipeline: load the data, train with checkpoints, report losses and sample grids.

Each report's ``Progress.extras`` holds "losses" (the step's values) and "epoch"; every
``sample_every`` steps the preview is a 64-sample grid and extras add "diversity". Cancel stops
between steps; the last checkpoint (and the model exported with it) stays in the output folder,
and running the same request again resumes from it.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

from genart_core.api import GenArtError, GenerationInfo, Progress, Result
from genart_core.datasets import load_dataset
from genart_core.latents import enlarge
from genart_core.requests.generative import TrainRequest
from genart_core.training import Snapshot, TrainSettings, Trainer, fit

log = logging.getLogger(__name__)


def settings_for(request: TrainRequest, images: int) -> TrainSettings:
    steps = max(1, math.ceil(request.epochs * images / request.batch))
    return TrainSettings(
        method=request.method, image_size=request.image_size, channels=request.channels, steps=steps,
        batch=request.batch, beta=request.beta, width=request.width, seed=request.seed,
        perceptual_weight=request.perceptual_weight, adversarial_weight=request.adversarial_weight,
    )


def run(request: TrainRequest, ctx) -> Result:
    if not request.out:
        raise GenArtError("Choose where the trained model should be saved.")
    out = Path(request.out)
    ctx.report(0, 1, "Loading training images")
    dataset = load_dataset(request.data, request.image_size, request.channels, seed=request.seed)
    ctx.check_cancelled()
    from genart_core.device import choose_device

    device = choose_device()
    trainer = Trainer(settings_for(request, len(dataset.images)), dataset.images, dataset.labels, device)
    name = request.name or out.name
    # Short runs still show a few grids along the way.
    sample_every = max(1, min(request.sample_every, trainer.settings.steps // 10))

    def report(snapshot: Snapshot) -> None:
        extras = {"losses": snapshot.losses, "epoch": trainer.epoch}
        if snapshot.diversity is not None:
            extras["diversity"] = snapshot.diversity
        preview = None if snapshot.grid is None else enlarge(snapshot.grid, 2)
        ctx.on_progress(Progress(snapshot.step, snapshot.total, f"Training {request.method.upper()}", preview, extras))

    log.info("Training %s on %s (%d images) into %s on %s", request.method, request.data, len(dataset.images), out, device)
    card = fit(
        trainer, out, name, dataset.description, report=report, check_cancelled=ctx.check_cancelled,
        sample_every=sample_every, checkpoint_every=request.checkpoint_every, resume=request.resume,
    )
    grid = trainer.grid_image()
    info = GenerationInfo(seed=request.seed, width=grid.shape[1], height=grid.shape[0], model=name, extra={"kind": card["kind"], "trained": True}, request=request.to_dict())
    return Result([grid], [info], {"card": card, "folder": str(out)})
