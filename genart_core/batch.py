"""Batch work spread over Ray workers (``genart batch stylize|generate|gan|vae``).

Every batch is one request template and a list of items, each item changing a few of the
template's fields (the content photo, the prompt, the seed) and naming its output file. Each
worker is a Ray actor holding one Engine, so models load once per worker, not per item. The
driver reads the inputs and writes the outputs (atomically, with their parameters), so a
cluster's workers need no shared folder. An output that exists is complete (writes are atomic)
and is skipped: a run stopped by Ctrl+C or a crash resumes where it was. An item whose input
cannot be read, or whose job fails, is reported and skipped; the others go on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import ray

from genart_core.api import GenArtError, Request, Result
from genart_core.datasets import IMAGE_SUFFIXES

log = logging.getLogger(__name__)


@dataclass
class BatchReport:
    done: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # already complete from an earlier run
    failed: dict[str, str] = field(default_factory=dict)  # item (an input file, "line 7") -> why
    seconds: float = 0.0


@dataclass(frozen=True)
class BatchItem:
    name: str  # what a report calls it
    target: Path  # its output file
    # The template fields this item changes, read on the driver when the item is sent out;
    # a GenArtError here (an unreadable input) fails this item only.
    changes: Callable[[], dict[str, Any]]


# ---- the items of each kind of batch ------------------------------------------------------------


def folder_items(folder: Path, out_dir: Path) -> list[BatchItem]:
    """One item per image file in ``folder`` (its content replaced), into OUTDIR/<name>.png."""
    from genart_core.imaging import load_image

    if not folder.is_dir():
        raise GenArtError(f"{folder} is not a folder of images.")
    sources = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    return [BatchItem(str(source), out_dir / f"{source.stem}.png", lambda source=source: {"content": load_image(source)})
            for source in sources]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "prompt"


def prompt_items(prompts: list[tuple[int, str]], first_seed: int, per_prompt: int, out_dir: Path) -> list[BatchItem]:
    """``per_prompt`` items per (line number, prompt), seeds first_seed, first_seed + 1, …. Outputs are
    named by the prompt's words, a hash of its text and the seed, so editing other lines of the
    file does not rename (and remake) them."""
    items = []
    for number, prompt in prompts:
        digest = hashlib.sha256(prompt.encode()).hexdigest()[:8]
        for offset in range(per_prompt):
            seed = first_seed + offset
            items.append(BatchItem(f"line {number} (seed {seed})", out_dir / f"{_slug(prompt)}-{digest}-seed{seed}.png",
                                   lambda prompt=prompt, seed=seed: {"prompt": prompt, "seed": seed}))
    return items


def seed_items(first_seed: int, count: int, out_dir: Path) -> list[BatchItem]:
    """Samples of a GAN or VAE, one per seed, into OUTDIR/seed-<seed>.png."""
    return [BatchItem(f"seed {seed}", out_dir / f"seed-{seed}.png", lambda seed=seed: {"seed": seed})
            for seed in range(first_seed, first_seed + count)]


# ---- running them -----------------------------------------------------------------------------------


@ray.remote(num_cpus=1)
class BatchWorker:
    """Holds an Engine (models stay loaded) and the template, with its attached images (styles)
    written once into a folder of its own."""

    def __init__(self, template: Request, images: dict[str, np.ndarray]) -> None:
        from genart_core.engine import Engine
        from genart_core.server.path_policy import job_folder, with_attached_images

        self.engine = Engine()
        self.folder = job_folder() if images else None
        self.template = with_attached_images(template, images, self.folder)

    def run(self, changes: dict[str, Any]) -> Result | str:
        """The result, or a message when this item's job failed."""
        try:
            return self.engine.run(dataclasses.replace(self.template, **changes))
        except GenArtError as exc:
            return str(exc)

    def close(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def run_batch(
    template: Request, items: list[BatchItem], out_dir: Path, workers: int, gpus_per_worker: float = 0.0,
    images: dict[str, np.ndarray] | None = None, on_item: Callable[[int, int, float], None] | None = None,
) -> BatchReport:
    """Run every item whose output does not exist yet on ``workers`` Ray actors (Ray must be
    initialised) and save each result's first image with its parameters. ``images`` are the
    template's attached images (see path_policy). ``on_item(done, total, items_per_second)``
    follows progress."""
    from genart_core.artwork import save_artwork

    report = BatchReport()
    todo = [item for item in items if not item.target.exists()]
    report.skipped = [item.target for item in items if item.target.exists()]
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    def finished_one() -> None:
        if on_item:
            elapsed = time.perf_counter() - started
            on_item(len(report.done) + len(report.failed), len(todo), len(report.done) / elapsed if elapsed else 0.0)

    count = max(1, min(workers, len(todo))) if todo else 0
    pool = [BatchWorker.options(num_gpus=gpus_per_worker).remote(template, images or {}) for _ in range(count)]
    idle = list(pool)
    queue = list(todo)
    pending: dict[ray.ObjectRef, tuple[BatchItem, ray.actor.ActorHandle]] = {}
    try:
        while queue or pending:
            while queue and idle:
                item = queue.pop(0)
                try:
                    changes = item.changes()
                except GenArtError as exc:
                    report.failed[item.name] = str(exc)
                    finished_one()
                    continue
                worker = idle.pop()
                pending[worker.run.remote(changes)] = (item, worker)
            if not pending:
                continue
            [ready], _ = ray.wait(list(pending), num_returns=1)
            item, worker = pending.pop(ready)
            idle.append(worker)
            outcome = ray.get(ready)
            if isinstance(outcome, str):
                report.failed[item.name] = outcome
            else:
                save_artwork(item.target, outcome.images[0], outcome.infos[0])
                report.done.append(item.target)
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


def stylize_folder(template: Request, folder: Path, out_dir: Path, workers: int, gpus_per_worker: float = 0.0,
                   on_item: Callable[[int, int, float], None] | None = None) -> BatchReport:
    """Style transfer of every image in ``folder``: the styles are read here once and sent to each worker."""
    from genart_core.imaging import load_image

    items = folder_items(folder, out_dir)
    style_images = {style.path: load_image(style.path) for style in template.styles}
    return run_batch(template, items, out_dir, workers, gpus_per_worker, style_images, on_item)
