"""Terminal progress reporting for the CLI: one line, rewritten in place."""

from __future__ import annotations

import sys
from typing import TextIO

from genart_core.api import Progress


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
