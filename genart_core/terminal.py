"""What the CLI commands share: a progress line rewritten in place, running a job with it, saving sheets."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import numpy as np

from genart_core.api import GenerationInfo, Progress, Request, Result


class TerminalProgress:
    def __init__(self, stream: TextIO | None = None) -> None:
        # Looked up per instance, not at import, so redirected or captured stderr is honoured.
        self._stream = stream or sys.stderr
        self._last = ""

    def __call__(self, progress: Progress) -> None:
        width = 30
        filled = round(width * progress.fraction)
        line = f"\r{progress.phase:<24.24} [{'#' * filled}{'.' * (width - filled)}] {progress.step}/{progress.total}"
        if line != self._last:
            self._stream.write(line)
            self._stream.flush()
            self._last = line

    def done(self) -> None:
        if self._last:
            self._stream.write("\n")
            self._stream.flush()
            self._last = ""


def run_in_terminal(request: Request, engine=None) -> Result:
    """Run ``request`` with a progress line on stderr, through ``engine`` (an Engine or a
    RemoteEngine, see engine_choice) or else a fresh local Engine; then its notes on stderr."""
    if engine is None:
        from genart_core.engine import Engine

        engine = Engine()
    progress = TerminalProgress()
    try:
        result = engine.run(request, progress)
    finally:
        progress.done()
    for note in result.notes:  # e.g. a safety checker blacked out an image: say so, not only in the file
        sys.stderr.write(f"{note}\n")
    return result


def save_sheet(path: Path, sheet: np.ndarray, scale: int, result: Result, **extra) -> None:
    """Save a grid or strip, enlarged ``scale`` times, with the request that made it in its metadata."""
    from genart_core.artwork import save_artwork
    from genart_core.latents import enlarge

    first = result.infos[0] if result.infos else GenerationInfo()
    image = enlarge(sheet, scale)
    info = GenerationInfo(seed=first.seed, width=image.shape[1], height=image.shape[0], model=first.model, extra={**first.extra, **extra}, request=first.request)
    save_artwork(path, image, info)
    sys.stdout.write(f"{path}\n")
