"""One progress bar across the phases of a job that runs other pipelines' code in turn (the hires
fix: base image, upscaling, hires pass). Each phase reports its own steps as it always does; a
PhasedProgress maps them into that phase's share of the whole bar, weighted by the phase's
estimated cost, so the bar moves at an even pace and never runs backwards between phases."""

from __future__ import annotations

from genart_core.api import Progress
from genart_core.engine import RunContext


class PhasedProgress:
    def __init__(self, ctx: RunContext, weights: dict[str, int], images: int = 1) -> None:
        """``weights``: each phase's estimated cost (any unit, e.g. UNet evaluations at the native
        size), in the order they run; ``images``: how many times the phases repeat."""
        self._ctx = ctx
        self._weights = {phase: max(1, int(weight)) for phase, weight in weights.items()}
        self._offsets: dict[str, int] = {}
        done = 0
        for phase, weight in self._weights.items():
            self._offsets[phase] = done
            done += weight
        self._per_image = done
        self._images = images
        self.total = done * images

    def context(self, phase: str, image: int = 0) -> RunContext:
        """A RunContext for ``phase`` of image ``image`` (from 0): reports made through it move the
        shared bar across the phase's share; its Cancel, Stop and keep and cache are the job's own."""
        start = image * self._per_image + self._offsets[phase]
        weight = self._weights[phase]
        prefix = f"image {image + 1}/{self._images}: " if self._images > 1 else ""

        def report(progress: Progress) -> None:
            step = start + min(weight, int(weight * progress.fraction))
            inner = "" if progress.phase == phase else progress.phase  # the upscaler calls its own phase "Upscaling" too
            text = f"{prefix}{phase} — {inner}" if inner else prefix + phase
            self._ctx.on_progress(Progress(step, self.total, text, progress.preview, progress.extras))

        return RunContext(self._ctx.engine, report, self._ctx.cancel)
