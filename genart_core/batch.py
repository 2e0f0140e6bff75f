"""Folder-scale style transfer spread over Ray workers (``genart batch stylize``).

Each worker is a Ray actor holding one Engine, so the VGG loads once per worker, not per image.
The driver reads the inputs and writes the outputs (atomically, with their parameters), so a
cluster's workers need no shared folder. An output that exists is complete (writes are atomic) and
is skipped: a run stopped by Ctrl+C or a crash resumes where it was. A file that is not a readable
image is reported and skipped; the others go on.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import ray

from genart_core.api import GenArtError, Result
from genart_core.datasets import IMAGE_SUFFIXES
from genart_core.requests.style import StyleTransferRequest

log = logging.getLogger(__name__)


@dataclass
class BatchReport:
    done: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # already complete from an earlier run
    failed: dict[Path, str] = field(default_factory=dict)  # input -> why
    seconds: float = 0.0


def planned_items(folder: Path, out_dir: Path) -> tuple[list[tuple[Path, Path]], list[Path]]:
    """(input, output) pairs still to make, and the outputs that already exist."""
    if not folder.is_dir():
        raise GenArtError(f"{folder} is not a folder of images.")
    todo, existing = [], []
    for source in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES):
        target = out_dir / f"{source.stem}.png"
        if target.exists():
            existing.append(target)
        else:
            todo.append((source, target))
    return todo, existing


@ray.remote(num_cpus=1)
class StylizeWorker:
    """Holds an Engine (models stay loaded) and the style images, written once into its own folder."""

    def __init__(self, template: StyleTransferRequest, style_images: dict[str, np.ndarray]) -> None:
        from genart_core.engine import Engine
        from genart_core.server.path_policy import job_folder, with_attached_images

        self.engine = Engine()
        self.folder = job_folder()
        self.template = with_attached_images(template, style_images, self.folder)

    def stylize(self, content: np.ndarray) -> Result | str:
        """The result, or a message when this image could not be stylised."""
        try:
            return self.engine.run(dataclasses.replace(self.template, content=content))
        except GenArtError as exc:
            return str(exc)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def stylize_folder(
    template: StyleTransferRequest, folder: Path, out_dir: Path, workers: int, gpus_per_worker: float = 0.0,
    on_item: Callable[[int, int, float], None] | None = None,
) -> BatchReport:
    """Stylise every image in ``folder`` into ``out_dir`` with ``workers`` Ray actors (Ray must be
    initialised). ``on_item(done, total, items_per_second)`` follows progress."""
    from genart_core.artwork import save_artwork
    from genart_core.imaging import load_image

    report = BatchReport()
    todo, report.skipped = planned_items(folder, out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    def finished_one() -> None:
        if on_item:
            elapsed = time.perf_counter() - started
            on_item(len(report.done) + len(report.failed), len(todo), len(report.done) / elapsed if elapsed else 0.0)

    style_images = {style.path: load_image(style.path) for style in template.styles}
    count = max(1, min(workers, len(todo))) if todo else 0
    pool = [StylizeWorker.options(num_gpus=gpus_per_worker).remote(template, style_images) for _ in range(count)]
    idle = list(pool)
    queue = list(todo)
    pending: dict[ray.ObjectRef, tuple[Path, Path, ray.actor.ActorHandle]] = {}
    try:
        while queue or pending:
            while queue and idle:
                source, target = queue.pop(0)
                try:
                    content = load_image(source)
                except GenArtError as exc:
                    report.failed[source] = str(exc)
                    finished_one()
                    continue
                worker = idle.pop()
                pending[worker.stylize.remote(content)] = (source, target, worker)
            if not pending:
                continue
            [ready], _ = ray.wait(list(pending), num_returns=1)
            source, target, worker = pending.pop(ready)
            idle.append(worker)
            outcome = ray.get(ready)
            if isinstance(outcome, str):
                report.failed[source] = outcome
            else:
                save_artwork(target, outcome.images[0], outcome.infos[0])
                report.done.append(target)
            finished_one()
    finally:
        # Workers end with the batch: their models and style folders go with them.
        try:
            ray.get([worker.close.remote() for worker in pool], timeout=10)
        except ray.exceptions.RayError as exc:
            log.warning("A batch worker did not clean up: %s", exc)
        for worker in pool:
            ray.kill(worker, no_restart=True)
    report.seconds = time.perf_counter() - started
    return report
