"""Small image files for tests, including deliberately broken ones."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def gradient(width: int = 64, height: int = 48) -> np.ndarray:
    """A uint8 RGB image whose every pixel differs from its neighbours (orientation shows)."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), (x + y) % 256], axis=2).astype(np.uint8)


def write_png(path: Path, array: np.ndarray | None = None) -> Path:
    Image.fromarray(gradient() if array is None else array).save(path)
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_huge_png_header(path: Path, width: int = 30000, height: int = 30000) -> Path:
    """A PNG that claims width×height pixels: a valid header with (almost) no pixel data.

    Decoding it would need gigabytes; the app must refuse it from the header alone.
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + b"\x00" * (width * 3)
    data = zlib.compress(row, 9)  # one row of the many the header promises
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b""))
    return path


def write_truncated_png(path: Path) -> Path:
    full = path.with_suffix(".full.png")
    write_png(full, np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    data = full.read_bytes()
    full.unlink()
    path.write_bytes(data[: len(data) // 2])
    return path
