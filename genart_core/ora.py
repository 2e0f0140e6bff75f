"""OpenRaster (.ora) documents: layered pictures that Krita, GIMP and MyPaint open.

An .ora file is a zip holding, in this order: ``mimetype`` (stored, not compressed, first, so the
file type can be sniffed), ``stack.xml`` (the layer stack, top layer first), one PNG per layer
under ``data/``, ``mergedimage.png`` (the flattened picture) and ``Thumbnails/thumbnail.png``.
Each layer PNG keeps the generation parameters of an AI result; the merged image keeps the
document's. Writes are atomic; reads refuse zip bombs and oversized layers with a clear message.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genart_core.api import GenArtError, GenerationInfo
from genart_core.artwork import encode_artwork, read_generation_info
from genart_core.atomic import write_with
from genart_core.imaging import MAX_PIXELS, ImageLoadError, fit_within, load_image
from genart_core.layers import Layer, composite, rgba

MIMETYPE = b"image/openraster"
THUMBNAIL_SIDE = 256
# A document may hold many layers, but their decoded size together stays bounded.
MAX_TOTAL_BYTES = 4 * MAX_PIXELS * 8
_KIND_ATTRIBUTE = "{https://genart.studio/ora}kind"


class OraError(GenArtError):
    """An .ora file could not be read; the message says which and why."""


@dataclass
class OraDocument:
    width: int
    height: int
    layers: list[Layer]  # index 0 is the bottom layer
    info: GenerationInfo | None = None  # the document's (from mergedimage.png)

    def flatten(self) -> np.ndarray:
        return composite(self.layers, self.width, self.height)


def _png(image: np.ndarray, info: GenerationInfo | None = None, compress_level: int = 6) -> bytes:
    return encode_artwork(image, info, "PNG", compress_level=compress_level)


def encode_ora(document: OraDocument, compress_level: int = 6) -> bytes:
    """The .ora file's bytes."""
    merged = document.flatten()
    stack = ET.Element("image", {"version": "0.0.5", "w": str(document.width), "h": str(document.height)})
    root = ET.SubElement(stack, "stack")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), MIMETYPE, compress_type=zipfile.ZIP_STORED)
        sources: list[tuple[str, Layer]] = []
        for index, layer in enumerate(reversed(document.layers)):  # stack.xml lists the top layer first
            source = f"data/layer{len(document.layers) - 1 - index}.png"
            sources.append((source, layer))
            ET.SubElement(
                root,
                "layer",
                {
                    "name": layer.name,
                    "src": source,
                    "x": str(layer.x),
                    "y": str(layer.y),
                    "opacity": f"{layer.opacity:.4f}",
                    "visibility": "visible" if layer.visible else "hidden",
                    "composite-op": "svg:src-over",
                    _KIND_ATTRIBUTE: layer.kind,
                },
            )
        archive.writestr("stack.xml", ET.tostring(stack, encoding="utf-8", xml_declaration=True))
        for source, layer in sources:
            archive.writestr(source, _png(layer.pixels, layer.info, compress_level), compress_type=zipfile.ZIP_STORED)
        archive.writestr("mergedimage.png", _png(merged, document.info, compress_level), compress_type=zipfile.ZIP_STORED)
        archive.writestr("Thumbnails/thumbnail.png", _png(fit_within(merged, THUMBNAIL_SIDE)), compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def write_ora(path: str | Path, document: OraDocument, compress_level: int = 6) -> Path:
    """Save atomically: an existing file at ``path`` survives any failure (full disk, read-only folder)."""
    path = Path(path)
    data = encode_ora(document, compress_level)
    write_with(path, lambda stream: stream.write(data))
    return path


def read_ora(path: str | Path) -> OraDocument:
    """Open an .ora file (ours, Krita's, GIMP's, MyPaint's); nested groups are flattened into one list."""
    path = Path(path)
    name = f"“{path.name}”"
    if not path.is_file():
        raise OraError(f"{name} does not exist (it may have been moved or deleted).")
    try:
        with zipfile.ZipFile(path) as archive:
            _check_archive(archive, name)
            root = ET.fromstring(archive.read("stack.xml"))
            width, height = int(root.get("w", "0")), int(root.get("h", "0"))
            if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
                raise OraError(f"{name} has an unusable size ({width}×{height}).")
            stack = root.find("stack")
            layers = _read_stack(archive, stack, name) if stack is not None else []
            info = _read_info(archive, "mergedimage.png")
    except (zipfile.BadZipFile, KeyError, ET.ParseError, ValueError) as exc:
        raise OraError(f"{name} is not a readable OpenRaster file ({exc}).") from None
    except OSError as exc:
        raise OraError(f"{name} could not be read: {exc.strerror or exc}.") from None
    if not layers:
        raise OraError(f"{name} contains no layers.")
    return OraDocument(width, height, layers, info)


def _check_archive(archive: zipfile.ZipFile, name: str) -> None:
    entries = archive.infolist()
    if not entries or entries[0].filename != "mimetype" or archive.read("mimetype").strip() != MIMETYPE:
        raise OraError(f"{name} is not an OpenRaster file (its mimetype entry is missing or wrong).")
    if sum(entry.file_size for entry in entries) > MAX_TOTAL_BYTES:
        raise OraError(f"{name} is too large to open (its layers would need more than {MAX_TOTAL_BYTES >> 30} GB).")


def _read_stack(archive: zipfile.ZipFile, stack: ET.Element, name: str) -> list[Layer]:
    """Layers bottom-first. A nested <stack> contributes its layers in place (its own opacity is ignored)."""
    layers: list[Layer] = []
    for element in reversed(list(stack)):
        if element.tag == "stack":
            layers.extend(_read_stack(archive, element, name))
        elif element.tag == "layer":
            source = element.get("src", "")
            try:
                pixels = rgba(load_image(archive.read(source)))
            except ImageLoadError as exc:
                raise OraError(f"{name}: layer “{element.get('name', source)}” is damaged ({exc}).") from None
            layers.append(
                Layer(
                    name=element.get("name", Path(source).stem),
                    pixels=pixels,
                    opacity=min(1.0, max(0.0, float(element.get("opacity", "1")))),
                    visible=element.get("visibility", "visible") != "hidden",
                    x=int(float(element.get("x", "0"))),
                    y=int(float(element.get("y", "0"))),
                    kind=element.get(_KIND_ATTRIBUTE, "paint"),
                    info=_read_info(archive, source),
                )
            )
    return layers


def _read_info(archive: zipfile.ZipFile, member: str) -> GenerationInfo | None:
    if member not in archive.namelist():
        return None
    try:
        return read_generation_info(io.BytesIO(archive.read(member)))  # type: ignore[arg-type]
    except (OSError, ValueError):
        return None
