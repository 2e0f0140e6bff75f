"""The limits every image and document read obeys, and the one way files are opened for reading.

Limits are checked before anything is decoded: the file's size from ``stat``, the pixel count
from the image header. Only regular files are opened, so a named pipe or a device that happens
to be called ``picture.png`` is refused at once instead of blocking the reader forever.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from genart_core.api import GenArtError

# 64 megapixels: a 8000×8000 photo opens, a 30000×30000 one (2.7 GB decoded) is refused.
MAX_PIXELS = 64_000_000
# An encoded image larger than this is refused before a byte is read (a 64 MP PNG of noise is ~200 MB).
MAX_FILE_BYTES = 512 * 1024 * 1024


class ImageLoadError(GenArtError):
    """An image could not be used; the message says which file and why."""


def describe(source: str | Path | bytes) -> str:
    """How a message names what was read: the file's name, or "the dropped image data"."""
    return "The dropped image data" if isinstance(source, bytes) else f"“{Path(source).name}”"


def megabytes(count: int) -> str:
    return f"{count / (1024 * 1024):.0f} MB"


def check_pixels(
    width: int, height: int, what: str, max_pixels: int = MAX_PIXELS, error: type[GenArtError] = ImageLoadError
) -> None:
    """Refuse an empty picture, or one whose header promises more than ``max_pixels``."""
    if width <= 0 or height <= 0:
        raise error(f"{what} has no pixels.")
    if width * height > max_pixels:
        raise error(
            f"{what} is too large: {width}×{height} pixels ({width * height / 1e6:.0f} megapixels); "
            f"the limit is {max_pixels / 1e6:.0f} megapixels. Scale it down in another editor first."
        )


def open_regular_file(
    path: str | Path, error: type[GenArtError] = ImageLoadError, max_bytes: int = MAX_FILE_BYTES
) -> BinaryIO:
    """Open ``path`` for reading if it is a non-empty regular file of at most ``max_bytes``.

    The file is opened without blocking and then checked through its descriptor, so a pipe put
    in place between a check and the open cannot make the caller wait forever.
    """
    what = describe(path)
    path = Path(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise error(f"{what} does not exist (it may have been moved or deleted).") from None
    except IsADirectoryError:
        raise error(f"{what} is a folder, not a file this app can open.") from None
    except PermissionError:
        raise error(f"{what} could not be read: permission denied.") from None
    except OSError as exc:
        raise error(f"{what} could not be read: {exc.strerror or exc}.") from None
    try:
        status = os.fstat(descriptor)
        if stat.S_ISDIR(status.st_mode):
            raise error(f"{what} is a folder, not a file this app can open.")
        if not stat.S_ISREG(status.st_mode):
            raise error(f"{what} is not a regular file (it is a pipe, socket or device), so it is not opened.")
        if status.st_size == 0:
            raise error(f"{what} is empty (0 bytes).")
        if status.st_size > max_bytes:
            raise error(f"{what} is {megabytes(status.st_size)}; the limit is {megabytes(max_bytes)}.")
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
