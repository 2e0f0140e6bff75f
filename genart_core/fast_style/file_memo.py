"""Values computed from a file, remembered while the file stays the same.

Live mode restyles the canvas several times a second with the same styles; predicting a style
image's vector (decode, resize, the predictor network) or reading a learned style file each time
costs more than a quarter of the instant path on this CPU. A file's version is its size and
modification time, so an edited or replaced file is read again.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Hashable, TypeVar

T = TypeVar("T")


class FileMemo:
    def __init__(self, max_items: int = 64) -> None:
        self._max_items = max_items
        self._values: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()  # the instant worker and the job worker both read styles

    def get(self, path: str | Path, flavour: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``'s value for this version of ``path`` (``flavour`` tells apart values
        computed differently from the same file). A path that cannot be read is never remembered:
        compute() then reports the problem itself."""
        try:
            status = os.stat(path)
        except OSError:
            return compute()
        key = (str(path), status.st_mtime_ns, status.st_size, flavour)
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._max_items:
                self._values.popitem(last=False)
        return value
