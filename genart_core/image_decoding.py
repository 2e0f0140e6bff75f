"""Image files (or encoded bytes) -> 8-bit RGB/RGBA pictures, within memory and time bounds.

The order matters: the file is checked (regular, size) before it is opened, the header before
anything is decoded (pixel limit; big JPEGs are decoded at a reduced scale instead), and every
error a decoder raises — Pillow's plugins raise OSError, SyntaxError, ValueError,
NotImplementedError, struct.error and more — becomes one :class:`ImageLoadError` with a message.
After decoding: EXIF orientation, colour profile to sRGB, and deep or odd modes to 8-bit.
Work is done in strips of rows so no step holds a float or 32-bit copy of a whole big picture.
"""

from __future__ import annotations

import io
import logging
import re
import struct
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from genart_core.image_limits import (
    MAX_FILE_BYTES,
    MAX_PIXELS,
    ImageLoadError,
    check_pixels,
    describe,
    megabytes,
    open_regular_file,
)

log = logging.getLogger(__name__)

_STRIP_PIXELS = 1 << 20  # rows are converted about a megapixel at a time
_SRGB = ImageCms.createProfile("sRGB")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Deflate never compresses better than 1032:1, so a PNG's file size bounds the pixels it can hold.
_DEFLATE_MAX_RATIO = 1032


@contextmanager
def _decoder_errors(what: str) -> Iterator[None]:
    """Turn whatever a decoder raises into an ImageLoadError that names the file."""
    # Pillow's DecompressionBombWarning (past 89 megapixels) is left alone: such pictures are refused
    # by our lower limit or decoded reduced anyway, and warnings.catch_warnings is not thread-safe.
    try:
        yield
    except ImageLoadError:
        raise
    except Image.DecompressionBombError as exc:
        # Pillow refuses images past twice its own limit, sometimes before we can see the size.
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        amount = f" ({int(pixels.group(1)) / 1e6:.0f} megapixels)" if pixels else ""
        raise ImageLoadError(
            f"{what} is too large{amount}; the limit is {MAX_PIXELS / 1e6:.0f} megapixels. "
            "Scale it down in another editor first."
        ) from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"{what} is not an image this app can read (PNG, JPEG, WebP, BMP, TIFF, GIF).") from None
    except MemoryError:
        raise ImageLoadError(f"There is not enough memory to decode {what}. Close other apps and try again.") from None
    except PermissionError:
        raise ImageLoadError(f"{what} could not be read: permission denied.") from None
    except Exception as exc:  # noqa: BLE001 - the edge where any decoder failure becomes a message
        log.info("decoding %s failed", what, exc_info=True)
        detail = str(exc).strip() or type(exc).__name__
        raise ImageLoadError(f"{what} is damaged or incomplete, or in a form this app cannot decode ({detail[:200]}).") from None


def _open_source(source: str | Path | bytes) -> BinaryIO:
    if isinstance(source, bytes):
        if not source:
            raise ImageLoadError("The dropped image data is empty.")
        if len(source) > MAX_FILE_BYTES:
            raise ImageLoadError(f"The dropped image data is {megabytes(len(source))}; the limit is {megabytes(MAX_FILE_BYTES)}.")
        return io.BytesIO(source)
    return open_regular_file(source)


def _reduce_while_decoding(image: Image.Image, max_pixels: int) -> None:
    """A JPEG over the limit is decoded at 1/2, 1/4 or 1/8 scale (libjpeg does that for free).

    ``draft`` picks the smallest scale whose size is still at least the one asked for, so it is
    asked for exactly the scaled size of the first factor that fits within ``max_pixels``.
    """
    width, height = image.size
    if image.format != "JPEG" or width * height <= max_pixels:
        return
    for factor in (2, 4, 8):
        reduced = (-(-width // factor), -(-height // factor))  # libjpeg rounds up
        if reduced[0] * reduced[1] <= max_pixels:
            image.draft(image.mode, reduced)
            log.info("decoding a %d×%d JPEG at %d×%d to stay within %d pixels", width, height, *image.size, max_pixels)
            return


def decode(source: str | Path | bytes, max_pixels: int = MAX_PIXELS, label: str | None = None) -> Image.Image:
    """Open, check, decode, orient and convert to 8-bit 'RGB', 'RGBA' or (grey) 'L'.

    ``label`` names the source in messages. Grey stays one channel here so that load_image can
    widen it to three strip by strip, instead of Pillow holding a 4-byte-a-pixel RGB copy.
    """
    what = label or describe(source)
    with _open_source(source) as stream, _decoder_errors(what):
        image = Image.open(stream)
        _reduce_while_decoding(image, max_pixels)
        check_pixels(*image.size, what, max_pixels)
        if image.format == "PNG":
            _check_png_holds_its_pixels(image, stream, what)
        image.load()
        deep_grey_png = image.format == "PNG" and image.mode.startswith("I")
        significant_bits = _png_significant_grey_bits(stream) if deep_grey_png else None
        image = ImageOps.exif_transpose(image)
        image = _to_srgb(image, what)
        return _to_8bit_modes(image, significant_bits)


def header_size(stream: BinaryIO, what: str) -> tuple[int, int]:
    """Width and height from an encoded image's header, without decoding its pixels."""
    with _decoder_errors(what), Image.open(stream) as image:
        return image.size


def load_pil(source: str | Path | bytes, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """An image file or in-memory encoded bytes as an 'RGB' or 'RGBA' Pillow image."""
    image = decode(source, max_pixels)
    return image.convert("RGB") if image.mode == "L" else image


def load_image(source: str | Path | bytes, max_pixels: int = MAX_PIXELS, label: str | None = None) -> np.ndarray:
    """A file (or encoded bytes) as a uint8 H×W×3 (RGB) or H×W×4 (RGBA) array."""
    image = decode(source, max_pixels, label)
    with _decoder_errors(label or describe(source)):
        return _to_array(image)


def _to_array(image: Image.Image) -> np.ndarray:
    """A writable H×W×3 or H×W×4 array copied strip by strip (grey widened to three channels):
    np.asarray of a whole image would hold two copies of it."""
    width, height = image.size
    out = np.empty((height, width, 3 if image.mode == "L" else len(image.getbands())), np.uint8)
    for top, bottom in _strips(width, height):
        out[top:bottom] = np.asarray(image.crop((0, top, width, bottom))).reshape(bottom - top, width, -1)
    return out


def _strips(width: int, height: int) -> Iterator[tuple[int, int]]:
    rows = max(1, _STRIP_PIXELS // max(1, width))
    for top in range(0, height, rows):
        yield top, min(height, top + rows)


# -- colour -------------------------------------------------------------------------------------
def _to_srgb(image: Image.Image, what: str) -> Image.Image:
    """Convert from an embedded colour profile to sRGB, the space the app and its models work in.

    A profile that cannot be used (damaged, or for another colour model) is ignored with a log
    line: the pixels are still worth showing.
    """
    profile_bytes = image.info.get("icc_profile")
    if not profile_bytes or image.mode not in {"RGB", "RGBA", "CMYK", "L"}:
        return image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(profile_bytes))
        if image.mode in {"RGB", "RGBA"} and "srgb" in ImageCms.getProfileDescription(profile).lower():
            return image
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, profile, _SRGB, outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        log.warning("%s: its colour profile cannot be used (%s); colours are shown unconverted", what, exc)
        return image
    assert converted is not None  # profileToProfile returns None only when converting in place
    converted.info = {key: value for key, value in image.info.items() if key != "icc_profile"}
    return converted


# -- modes --------------------------------------------------------------------------------------
def _to_8bit_modes(image: Image.Image, significant_bits: int | None) -> Image.Image:
    """Any Pillow mode -> 'RGB', 'RGBA' or 'L' (alpha is kept only when the image has some)."""
    if image.mode in {"I;16", "I;16B", "I;16L", "I", "F"}:
        return _deep_grey_to_8bit(image, significant_bits)
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in {"LA", "PA", "La", "RGBa"}:
        return image.convert("RGBA")
    if image.mode == "1":
        return image.convert("L")
    if image.mode not in {"RGB", "RGBA", "L"}:
        return image.convert("RGB")
    return image


def _deep_grey_to_8bit(image: Image.Image, significant_bits: int | None) -> Image.Image:
    """16-bit, 32-bit integer and float greyscale -> 'L', strip by strip in integer arithmetic.

    The rule for integers is the PNG specification's, which GIMP and libpng follow: a 16-bit
    sample spans 0–65535, unless the file's sBIT chunk says fewer bits are significant (an
    8-bit picture stored in 16-bit samples says 8), then it spans 0–2^bits−1. So a file of
    values 0–255 with sBIT 8 shows as written, and one without sBIT shows as the very dark
    picture it declares — never as white. 32-bit integers are clipped to the 16-bit range.
    Float images have no declared range and are stretched from their minimum to their maximum.
    """
    width, height = image.size
    out = np.empty((height, width), np.uint8)
    if image.mode == "F":
        low, high = image.getextrema()
        offset, span = float(low), float(high - low) or 1.0
        for top, bottom in _strips(width, height):
            strip = np.asarray(image.crop((0, top, width, bottom)), np.float32)
            out[top:bottom] = np.clip((strip - offset) * (255.0 / span) + 0.5, 0, 255)
    else:
        top_value = (1 << significant_bits) - 1 if significant_bits else 65535
        for top, bottom in _strips(width, height):
            strip = np.clip(np.asarray(image.crop((0, top, width, bottom))), 0, top_value).astype(np.uint32)
            out[top:bottom] = (strip * 255 + top_value // 2) // top_value
    return Image.fromarray(out, mode="L")


def _check_png_holds_its_pixels(image: Image.Image, stream: BinaryIO, what: str) -> None:
    """Refuse a PNG too small to hold the pixels its header declares (before allocating them).

    Pillow fills missing rows with zeros instead of failing, so a 1 KB file declaring 8000×8000
    pixels would otherwise cost the full picture's memory. Each row holds a filter byte and at
    least one bit per pixel.
    """
    width, height = image.size
    least_bytes = height * (1 + (width + 7) // 8)
    file_bytes = stream.seek(0, io.SEEK_END)
    if file_bytes * _DEFLATE_MAX_RATIO < least_bytes:
        raise ImageLoadError(
            f"{what} is damaged: its {file_bytes:,} bytes cannot hold the {width}×{height} pixels its header declares."
        )


def _png_significant_grey_bits(stream: BinaryIO) -> int | None:
    """The sBIT chunk's bit count of a greyscale PNG, read from the chunk headers before IDAT."""
    stream.seek(0)
    if stream.read(8) != _PNG_SIGNATURE:
        return None
    for _ in range(64):  # sBIT comes before the image data; a long chain of chunks is not followed
        header = stream.read(8)
        if len(header) < 8:
            return None
        length, kind = struct.unpack(">I4s", header)
        if kind == b"IDAT":
            return None
        if kind == b"sBIT":
            data = stream.read(min(length, 4))
            return data[0] if data and 1 <= data[0] <= 16 else None
        stream.seek(length + 4, io.SEEK_CUR)  # the data and its CRC
    return None
