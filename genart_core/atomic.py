"""Atomic file writes: a save either fully replaces the old file or leaves it untouched.

The temporary file is written beside the target (a rename is only atomic within one file system)
as ``.NAME.TOKEN.XXXXXXXX.part`` (TOKEN names this session), and recorded in this session's journal while it exists, so that if the
process is killed mid-save the next start can remove it (genart_core.leftovers).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from genart_core.api import GenArtError
from genart_core.leftovers import TEMP_SUFFIX, Session, current_session

log = logging.getLogger(__name__)

MAX_NAME_BYTES = 255  # a file name's limit on the common file systems (ext4, APFS, NTFS, btrfs)
_RANDOM_CHARS = 8  # what tempfile.mkstemp adds


class SaveError(GenArtError):
    """A file could not be written; any previous file at that path is intact."""


def _explain(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return f"Could not save “{path.name}”: the disk is full. Free some space and save again."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Could not save “{path.name}”: the folder {path.parent} is not writable. Choose another folder."
    if exc.errno == errno.ENOENT:
        return f"Could not save “{path.name}”: the folder {path.parent} does not exist."
    if exc.errno == errno.ENAMETOOLONG:
        return f"Could not save “{path.name}”: the name is too long for this disk. Choose a shorter name."
    return f"Could not save “{path.name}”: {exc.strerror or exc}."


def temporary_prefix(name: str, session_token: str) -> str:
    """``.NAME.TOKEN.``: with mkstemp's 8 random characters and ``.part`` the temporary file's name.
    NAME is shortened so the whole stays within MAX_NAME_BYTES: a legal 255-byte name must save."""
    room = MAX_NAME_BYTES - len(f"..{session_token}.{'x' * _RANDOM_CHARS}{TEMP_SUFFIX}".encode())
    encoded = os.fsencode(name)
    if len(encoded) > room:
        # Cut at a character boundary (a broken UTF-8 sequence is an invalid name on macOS).
        name = encoded[:room].decode("utf-8", errors="ignore")
    return f".{name}.{session_token}."


def _journal() -> Session | None:
    """This process's session, or None when the cache folder is unusable: saving must not depend on it."""
    try:
        return current_session()
    except OSError as exc:
        log.warning("Temporary files cannot be journaled (%s); an interrupted save may leave one behind.", exc)
        return None


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path``; on success fsync it and rename it over ``path``.

    The rename is atomic on one file system, so a crash, a full disk or an exception while
    writing never leaves a half-written file where a good one was.
    """
    path = Path(path)
    session = _journal()
    prefix = temporary_prefix(path.name, session.token if session is not None else "unjournaled")
    pattern = path.parent.absolute() / prefix
    if session is not None:
        session.begin_temporary(pattern)  # before the file exists: a kill at any moment leaves it findable
    try:
        try:
            handle, temp_name = tempfile.mkstemp(prefix=prefix, suffix=TEMP_SUFFIX, dir=path.parent)
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
    finally:
        if session is not None:
            session.end_temporary(pattern)


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
