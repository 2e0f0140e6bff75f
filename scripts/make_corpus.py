"""Write tests/corpus/images/: small odd and hostile image and OpenRaster files, built byte by byte.

Every file is made here from scratch (nothing is copied from elsewhere), so anyone can re-run it:

    python scripts/make_corpus.py            # writes tests/corpus/images/

A file's name says what the app must do with it: ``ok_*`` opens as a picture, ``bad_*`` is refused
with a message. Either way the loader must finish quickly and within bounded memory. A named pipe
cannot live in git, so tests and bench/robustness.py add one with :func:`make_fifo`.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, PngImagePlugin

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus" / "images"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ORA_MIMETYPE = b"image/openraster"


# -- building blocks ------------------------------------------------------------------------------
def gradient(width: int, height: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), (x + y) % 256], axis=2).astype(np.uint8)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(array: np.ndarray, texts: dict[str, str] | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (texts or {}).items():
        info.add_itxt(key, value)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def grey16_png(values: np.ndarray, significant_bits: int | None) -> bytes:
    """A 16-bit greyscale PNG written by hand, with an sBIT chunk when ``significant_bits`` is given."""
    height, width = values.shape
    rows = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in values)
    sbit = png_chunk(b"sBIT", bytes([significant_bits])) if significant_bits else b""
    header = struct.pack(">IIBBBBB", width, height, 16, 0, 0, 0, 0)
    return PNG_SIGNATURE + png_chunk(b"IHDR", header) + sbit + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b"")


def png_header_only(width: int, height: int, color_type: int = 6) -> bytes:
    """A PNG whose header promises width×height pixels but whose data holds one row."""
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    row = zlib.compress(b"\x00" * (1 + width * 4), 9)
    return PNG_SIGNATURE + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", row) + png_chunk(b"IEND", b"")


def adobe_rgb_icc_profile() -> bytes:
    """An ICC v2 RGB profile with Adobe RGB (1998) primaries (D50-adapted) and gamma 563/256."""

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + b"\0" * 4 + b"".join(struct.pack(">i", round(v * 65536)) for v in (x, y, z))

    description = b"GenArt test wide-gamut RGB\0"
    tags = [
        (b"desc", b"desc" + b"\0" * 4 + struct.pack(">I", len(description)) + description + b"\0" * 12 + b"\0" * 67),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.6097559, 0.3111242, 0.0194811)),
        (b"gXYZ", xyz(0.2052401, 0.6256560, 0.0608902)),
        (b"bXYZ", xyz(0.1492240, 0.0632197, 0.7448387)),
        (b"rTRC", b"curv" + b"\0" * 4 + struct.pack(">IH", 1, 563) + b"\0\0"),
    ]
    tags += [(b"gTRC", tags[-1][1]), (b"bTRC", tags[-1][1])]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = struct.pack(">I4sI4s4s4s", size, b"none", 0x02100000, b"mntr", b"RGB ", b"XYZ ") + b"\0" * 12
    header += b"acsp" + b"\0" * 24 + struct.pack(">iii", round(0.9642 * 65536), 65536, round(0.8249 * 65536))
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + data


def zip_entry(name: str, compress_type: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    """A zip member with a fixed date, so the script writes the same bytes every time."""
    entry = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    entry.compress_type = compress_type
    return entry


def ora_bytes(stack_xml: str, members: dict[str, bytes], mimetype: bytes = ORA_MIMETYPE) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zip_entry("mimetype", zipfile.ZIP_STORED), mimetype)
        archive.writestr(zip_entry("stack.xml"), stack_xml)
        for name, data in members.items():
            archive.writestr(zip_entry(name), data)
    return buffer.getvalue()


def stack(width: int, height: int, body: str) -> str:
    return f'<?xml version="1.0"?><image version="0.0.5" w="{width}" h="{height}"><stack>{body}</stack></image>'


def layer(source: str = "data/a.png", **attributes: str) -> str:
    extra = "".join(f' {key}="{value}"' for key, value in attributes.items())
    return f'<layer name="a" src="{source}"{extra}/>'


SMALL_LAYER = {"data/a.png": png_bytes(np.concatenate([gradient(16, 12), np.full((12, 16, 1), 255, np.uint8)], axis=2))}


def zip_bomb_ora(unpacked_bytes: int) -> bytes:
    """An .ora whose one layer entry is ``unpacked_bytes`` of zeros, deflated to about a thousandth."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zip_entry("mimetype", zipfile.ZIP_STORED), ORA_MIMETYPE)
        archive.writestr(zip_entry("stack.xml"), stack(64, 64, layer()))
        with archive.open(zip_entry("data/a.png"), "w", force_zip64=True) as entry:
            chunk = bytes(1 << 20)
            for _ in range(unpacked_bytes >> 20):
                entry.write(chunk)
    return buffer.getvalue()


def lying_size_ora() -> bytes:
    """An .ora whose central directory says a layer unpacks to 100 bytes while it holds far more."""
    noise = np.random.default_rng(2).integers(0, 255, (64, 64, 4), np.uint8)
    data = bytearray(ora_bytes(stack(64, 64, layer()), {"data/a.png": png_bytes(noise)}))
    # The last mention of the name is in the central directory; its entry starts at the "PK\1\2" before it.
    entry = data.rfind(b"PK\x01\x02", 0, data.rfind(b"data/a.png"))
    struct.pack_into("<I", data, entry + 24, 100)  # the entry's uncompressed size field
    return bytes(data)


def nested_stacks(depth: int) -> str:
    return stack(16, 12, "<stack>" * depth + layer() + "</stack>" * depth)


def jpeg_bytes(array: np.ndarray, **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "JPEG", quality=90, **options)
    return buffer.getvalue()


def exif_rotated_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    return jpeg_bytes(gradient(40, 20), exif=exif.tobytes())


def cmyk_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(gradient(32, 24)).convert("CMYK").save(buffer, fmt)
    return buffer.getvalue()


def palette_with_transparency() -> bytes:
    picture = Image.new("P", (8, 8), 0)
    picture.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    picture.paste(1, (0, 0, 4, 8))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", transparency=0)
    return buffer.getvalue()


def rgb16_png() -> bytes:
    values = (gradient(16, 12).astype(np.uint16) * 257).astype(">u2")
    rows = b"".join(b"\x00" + row.tobytes() for row in values)
    header = struct.pack(">IIBBBBB", 16, 12, 16, 2, 0, 0, 0)
    return PNG_SIGNATURE + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b"")


def icc_jpeg() -> bytes:
    return jpeg_bytes(np.tile(np.array([[[0, 160, 0], [200, 100, 50]]], np.uint8), (8, 4, 1)), icc_profile=adobe_rgb_icc_profile())


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def fits_without_data() -> bytes:
    cards = ["SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    0", "END"]
    header = b"".join(card.ljust(80).encode() for card in cards).ljust(2880, b" ")
    return header + bytes(2880)  # a block after the header, but NAXIS 0 declares no image in it


def png_with_text_bomb() -> bytes:
    """A zTXt chunk that inflates to 2 MB, past Pillow's 1 MB limit for text."""
    text = b"parameters\0\0" + zlib.compress(b"a" * (2 << 20), 9)
    plain = png_bytes(gradient(4, 4))
    return plain[:33] + png_chunk(b"zTXt", text) + plain[33:]


def tiff_offset_past_end() -> bytes:
    """A little-endian TIFF whose first IFD lies far beyond the end of the file."""
    return b"II*\0" + struct.pack("<I", 1 << 30) + b"\0" * 16


def dds_unimplemented() -> bytes:
    """A DDS header with a FourCC no decoder implements."""
    header = struct.pack("<4sI", b"DDS ", 124) + struct.pack("<3I", 0x1007, 8, 8) + b"\0" * 56
    header += struct.pack("<4I", 32, 0x4, int.from_bytes(b"ZZZZ", "little"), 0) + b"\0" * 40
    return header + b"\0" * 64


def icns_decompression_bomb() -> bytes:
    """An ICNS whose 1024-pixel slot holds a PNG claiming 20000×20000 pixels (raised only at load())."""
    inner = png_header_only(20000, 20000)
    entry = b"ic10" + struct.pack(">I", 8 + len(inner)) + inner
    return b"icns" + struct.pack(">I", 8 + len(entry)) + entry


def animated_gif() -> bytes:
    frames = [Image.fromarray(gradient(12, 10)).convert("P"), Image.fromarray(255 - gradient(12, 10)).convert("P")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def genart_nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# name -> bytes maker. Kept small: the whole folder stays around a megabyte.
FILES: dict[str, Callable[[], bytes]] = {
    # pictures that must open
    "ok_tiny_1x1.png": lambda: png_bytes(np.zeros((1, 1, 3), np.uint8)),
    "ok_panorama_10to1.png": lambda: png_bytes(gradient(500, 50)),
    "ok_tall_1to10.png": lambda: png_bytes(gradient(30, 300)),
    "ok_thin_3x500.png": lambda: png_bytes(gradient(3, 500)),
    "ok_cmyk.jpg": lambda: cmyk_bytes("JPEG"),
    "ok_cmyk.tif": lambda: cmyk_bytes("TIFF"),
    "ok_palette_transparency.png": palette_with_transparency,
    "ok_grey16_full_range.png": lambda: grey16_png(np.linspace(0, 65535, 64).astype(np.uint16)[None].repeat(8, 0), None),
    "ok_grey16_values_0_255_sbit8.png": lambda: grey16_png(np.arange(256, dtype=np.uint16)[None].repeat(4, 0), 8),
    "ok_grey16_values_0_255_no_sbit.png": lambda: grey16_png(np.arange(256, dtype=np.uint16)[None].repeat(4, 0), None),
    "ok_rgb16.png": rgb16_png,
    "ok_exif_rotated.jpg": exif_rotated_jpeg,
    "ok_png_named.jpg": lambda: png_bytes(gradient(16, 12)),
    "ok_wide_gamut_icc.jpg": icc_jpeg,
    "ok_damaged_icc.jpg": lambda: jpeg_bytes(gradient(16, 12), icc_profile=b"not a colour profile" * 10),
    "ok_gif_animated.gif": animated_gif,
    "ok_parameters_80k.png": lambda: png_bytes(gradient(8, 8), {"parameters": "word, " * 13_000 + "\nSteps: 20, Seed: 1"}),
    "ok_parameters_huge_steps.png": lambda: png_bytes(gradient(8, 8), {"parameters": "a fox\nSteps: 99999999999, Seed: 1e400"}),
    "ok_parameters_numeric.png": lambda: png_bytes(gradient(8, 8), {"parameters": "12345\nSteps: 20, Model: 42"}),
    "ok_genart_extra_is_text.png": lambda: png_bytes(gradient(8, 8), {"genart": json.dumps({"prompt": "x", "extra": "oops"})}),
    "ok_genart_wrong_types.png": lambda: png_bytes(gradient(8, 8), {"genart": json.dumps({"prompt": 5, "steps": "many", "seed": [1]})}),
    "ok_genart_not_json.png": lambda: png_bytes(gradient(8, 8), {"genart": "{not json"}),
    "ok_genart_deeply_nested.png": lambda: png_bytes(gradient(8, 8), {"genart": genart_nested(100_000)}),
    # files that must be refused with a message
    "bad_zero_bytes.png": lambda: b"",
    "bad_html_named.png": lambda: b"<!DOCTYPE html><html><body>Not found</body></html>\n",
    "bad_text_named.jpg": lambda: b"hello\n" * 10,
    "bad_truncated.png": lambda: truncated(png_bytes(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8))),
    "bad_truncated.jpg": lambda: truncated(jpeg_bytes(np.random.default_rng(1).integers(0, 255, (64, 64, 3), np.uint8))),
    "bad_header_30000x30000.png": lambda: png_header_only(30000, 30000),
    "bad_header_10000x9000.png": lambda: png_header_only(10000, 9000),
    "bad_header_zero_width.png": lambda: png_header_only(0, 10),
    "bad_fits_without_data.fits": fits_without_data,
    "bad_text_chunk_bomb.png": png_with_text_bomb,
    "bad_tiff_offset_past_end.tif": tiff_offset_past_end,
    "bad_dds_unimplemented.dds": dds_unimplemented,
    "bad_icns_decompression_bomb.icns": icns_decompression_bomb,
    # OpenRaster documents
    "ok_plain.ora": lambda: ora_bytes(stack(16, 12, layer(x="2", y="-3", opacity="0.5")), SMALL_LAYER),
    "ok_nested_groups.ora": lambda: ora_bytes(nested_stacks(10), SMALL_LAYER),
    "ok_odd_attributes.ora": lambda: ora_bytes(stack(16, 12, layer(opacity="7", **{"composite-op": "svg:lighten"})), SMALL_LAYER),
    "bad_x_inf.ora": lambda: ora_bytes(stack(16, 12, layer(x="inf")), SMALL_LAYER),
    "bad_y_nan.ora": lambda: ora_bytes(stack(16, 12, layer(y="nan")), SMALL_LAYER),
    "bad_opacity_nan.ora": lambda: ora_bytes(stack(16, 12, layer(opacity="NaN")), SMALL_LAYER),
    "bad_huge_offset.ora": lambda: ora_bytes(stack(16, 12, layer(x="1e12")), SMALL_LAYER),
    "bad_width_text.ora": lambda: ora_bytes(stack(16, 12, layer()).replace('w="16"', 'w="big"'), SMALL_LAYER),
    "bad_size_inf.ora": lambda: ora_bytes(stack(16, 12, layer()).replace('h="12"', 'h="inf"'), SMALL_LAYER),
    "bad_nested_3000.ora": lambda: ora_bytes(nested_stacks(3000), SMALL_LAYER),
    "bad_one_layer_8000sq_declared.ora": lambda: ora_bytes(stack(8000, 8000, layer()), {"data/a.png": png_header_only(8000, 8000)}),
    "bad_same_layer_12_times.ora": lambda: ora_bytes(stack(8000, 8000, layer() * 12), {"data/a.png": png_header_only(8000, 8000)}),
    "bad_2000_layers.ora": lambda: ora_bytes(stack(16, 12, layer() * 2000), SMALL_LAYER),
    "bad_zip_bomb.ora": lambda: zip_bomb_ora(600 << 20),
    "bad_lying_size.ora": lying_size_ora,
    "bad_missing_layer.ora": lambda: ora_bytes(stack(16, 12, layer("data/gone.png")), SMALL_LAYER),
    "bad_no_mimetype.ora": lambda: ora_bytes(stack(16, 12, layer()), SMALL_LAYER, mimetype=b"application/zip"),
    "bad_broken_xml.ora": lambda: ora_bytes("<image w='16' h='12'><stack><layer", SMALL_LAYER),
    "bad_layer_is_html.ora": lambda: ora_bytes(stack(16, 12, layer()), {"data/a.png": b"<html></html>"}),
    "bad_not_a_zip.ora": lambda: b"PK\x03\x04 but nothing else",
    "bad_no_layers.ora": lambda: ora_bytes(stack(16, 12, ""), {}),
}


def make_fifo(folder: Path) -> Path | None:
    """A named pipe called fifo.png (where the system has them): opening it for reading would block."""
    if not hasattr(os, "mkfifo"):
        return None
    path = folder / "bad_fifo.png"
    if not path.exists():
        os.mkfifo(path)
    return path


def write_corpus(folder: Path = CORPUS) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in FILES.items():
        path = folder / name
        path.write_bytes(make())
        written.append(path)
    return written


def main() -> None:
    written = write_corpus()
    total = sum(path.stat().st_size for path in written)
    print(f"wrote {len(written)} files ({total / 1024:.0f} KB) to {CORPUS}")


if __name__ == "__main__":
    main()
