"""Atomic file writes: a save either fully replaces the old file or leaves it untouched."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from genart_core.api import GenArtError


class SaveError(GenArtError):
    """A file could not be written; any previous file at that path is intact."""


def _explain(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return f"Could not save “{path.name}”: the disk is full. Free some space and save again."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Could not save “{path.name}”: the folder {path.parent} is not writable. Choose another folder."
    if exc.errno == errno.ENOENT:
        return f"Could not save “{path.name}”: the folder {path.parent} does not exist."
    return f"Could not save “{path.name}”: {exc.strerror or exc}."


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path``; on success fsync it and rename it over ``path``.

    The rename is atomic on one file system, so a crash, a full disk or an exception while
    writing never leaves a half-written file where a good one was.
    """
    path = Path(path)
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise SaveError(_explain(path, exc)) from exc
    temp_path = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        if path.exists():
            # Keep the permissions of the file we replace.
            os.chmod(temp_path, path.stat().st_mode & 0o7777)
        else:
            os.chmod(temp_path, 0o666 & ~_umask())
        os.replace(temp_path, path)
    except OSError as exc:
        temp_path.unlink(missing_ok=True)
        raise SaveError(_explain(path, exc)) from exc
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    with atomic_write(path) as stream:
        stream.write(data)


def write_with(path: str | Path, writer: Callable[[BinaryIO], None]) -> None:
    with atomic_write(path) as stream:
        writer(stream)
