"""OpenRaster (.ora) documents: layered pictures that Krita, GIMP and MyPaint open.

An .ora file is a zip holding, in this order: ``mimetype`` (stored, not compressed, first, so the
file type can be sniffed), ``stack.xml`` (the layer stack, top layer first), one PNG per layer
under ``data/``, ``mergedimage.png`` (the flattened picture) and ``Thumbnails/thumbnail.png``.
Each layer PNG keeps the generation parameters of an AI result; the merged image keeps the
document's. Writes are atomic; reads check every limit (layers, nesting,
pixels, unpacked sizes) before decoding and refuse with a message that states it.
"""

from __future__ import annotations

import io
import logging
import math
import xml.etree.ElementTree as ET
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

import numpy as np

from genart_core.api import GenArtError, GenerationInfo
from genart_core.artwork import encode_artwork, read_generation_info
from genart_core.atomic import write_with
from genart_core.image_decoding import header_size, load_image
from genart_core.image_limits import MAX_FILE_BYTES, MAX_PIXELS, ImageLoadError, check_pixels, megabytes, open_regular_file
from genart_core.imaging import fit_within
from genart_core.layers import Layer, composite, rgba

MIMETYPE = b"image/openraster"
THUMBNAIL_SIDE = 256
_KIND_ATTRIBUTE = "{https://genart.studio/ora}kind"

log = logging.getLogger(__name__)


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


# -- reading --------------------------------------------------------------------------------------
# Everything below is checked from the zip directory, stack.xml and the layers' PNG headers before
# a single layer is decoded; layers are then decoded one at a time.
MAX_LAYERS = 500
MAX_NESTING = 64  # groups inside groups; Krita and GIMP files stay far below
# The app keeps every layer at the document's size, so each layer counts at least that much.
MAX_LAYER_PIXELS = 4 * MAX_PIXELS
MAX_OFFSET = 100_000  # how far a layer may sit from the document's corner, in pixels
MAX_STACK_XML_BYTES = 4 * 1024 * 1024
MAX_UNPACKED_BYTES = 2 * MAX_FILE_BYTES  # all files in the zip together
MAX_NAME_LENGTH = 200
_LAYER_KINDS = {"image", "paint", "result"}


@dataclass(frozen=True)
class _LayerEntry:
    """One <layer> of stack.xml, its attributes validated, its pixels not read yet."""

    name: str
    source: str
    x: int
    y: int
    opacity: float
    visible: bool
    kind: str


def read_ora(path: str | Path) -> OraDocument:
    """Open an .ora file (ours, Krita's, GIMP's, MyPaint's); nested groups are flattened into one list."""
    name = f"“{Path(path).name}”"
    with open_regular_file(path, OraError) as stream:
        try:
            with zipfile.ZipFile(stream) as archive:
                return _read_archive(archive, name)
        except GenArtError:
            raise
        except MemoryError:
            raise OraError(f"There is not enough memory to open {name}. Close other apps and try again.") from None
        except Exception as exc:  # noqa: BLE001 - the edge where any damage becomes a message
            log.info("reading %s failed", name, exc_info=True)
            detail = str(exc).strip() or type(exc).__name__
            raise OraError(f"{name} is damaged or not an OpenRaster file this app can read ({detail[:200]}).") from None


def _read_archive(archive: zipfile.ZipFile, name: str) -> OraDocument:
    entries = archive.infolist()
    if len(entries) > 4 * MAX_LAYERS:
        raise OraError(f"{name} holds {len(entries)} files; the limit is {4 * MAX_LAYERS}.")
    _check_unpacked_sizes(entries, name)
    if not entries or entries[0].filename != "mimetype" or _read_member(archive, "mimetype", name, 64).strip() != MIMETYPE:
        raise OraError(f"{name} is not an OpenRaster file (its mimetype entry is missing or wrong).")
    root = ET.fromstring(_read_member(archive, "stack.xml", name, MAX_STACK_XML_BYTES))
    width = int(_number(root, "w", None, 1, MAX_PIXELS, name))
    height = int(_number(root, "h", None, 1, MAX_PIXELS, name))
    check_pixels(width, height, name, MAX_PIXELS, OraError)
    stack = root.find("stack")
    entries_found = [_layer_entry(element, name) for element in _layer_elements(stack, name)] if stack is not None else []
    if not entries_found:
        raise OraError(f"{name} contains no layers.")
    _check_layer_budget(archive, entries_found, width * height, name)
    layers = [_decode_layer(archive, entry, name) for entry in entries_found]  # one at a time
    merged = _member_bytes_if_present(archive, "mergedimage.png", name)
    return OraDocument(width, height, layers, _read_info(merged))


def _check_unpacked_sizes(entries: list[zipfile.ZipInfo], name: str) -> None:
    """Refuse a zip bomb from the sizes its directory declares; capped reads catch a directory that lies."""
    for entry in entries:
        if entry.file_size > MAX_FILE_BYTES:
            raise OraError(
                f"{name}: “{entry.filename[:100]}” unpacks to {megabytes(entry.file_size)}; "
                f"the limit is {megabytes(MAX_FILE_BYTES)} for one file in a document."
            )
    total = sum(entry.file_size for entry in entries)
    if total > MAX_UNPACKED_BYTES:
        raise OraError(f"{name} unpacks to {megabytes(total)}; the limit is {megabytes(MAX_UNPACKED_BYTES)} for a document.")


def _layer_elements(stack: ET.Element, name: str) -> list[ET.Element]:
    """The <layer> elements bottom-first, groups walked with an explicit stack (no recursion)."""
    found: list[ET.Element] = []
    pending = [iter(reversed(list(stack)))]
    while pending:
        child = next(pending[-1], None)
        if child is None:
            pending.pop()
        elif child.tag == "stack":
            if len(pending) >= MAX_NESTING:
                raise OraError(f"{name} nests layer groups more than {MAX_NESTING} deep; that is the limit.")
            pending.append(iter(reversed(list(child))))
        elif child.tag == "layer":
            found.append(child)
            if len(found) > MAX_LAYERS:
                raise OraError(f"{name} has more than {MAX_LAYERS} layers; that is the limit.")
    return found


def _layer_entry(element: ET.Element, name: str) -> _LayerEntry:
    source = element.get("src", "")
    label = element.get("name") or Path(source).stem or "layer"
    kind = element.get(_KIND_ATTRIBUTE, "paint")
    return _LayerEntry(
        name=label[:MAX_NAME_LENGTH],
        source=source,
        x=int(_number(element, "x", 0, -MAX_OFFSET, MAX_OFFSET, name)),
        y=int(_number(element, "y", 0, -MAX_OFFSET, MAX_OFFSET, name)),
        opacity=min(1.0, max(0.0, _number(element, "opacity", 1, -math.inf, math.inf, name))),
        visible=element.get("visibility", "visible") != "hidden",
        kind=kind if kind in _LAYER_KINDS else "paint",
    )


def _number(element: ET.Element, attribute: str, default: float | None, low: float, high: float, name: str) -> float:
    """A numeric attribute as a finite float within [low, high]; anything else is refused by name."""
    text = element.get(attribute)
    if text is None:
        if default is None:
            raise OraError(f"{name}: stack.xml gives no “{attribute}”.")
        return default
    try:
        value = float(text)
    except ValueError:
        raise OraError(f"{name}: {attribute}=“{text[:30]}” in stack.xml is not a number.") from None
    if not math.isfinite(value) or not low <= value <= high:
        bounds = f" (it must lie between {low:g} and {high:g})" if math.isfinite(low) else ""
        raise OraError(f"{name}: {attribute}=“{text[:30]}” in stack.xml is out of range{bounds}.")
    return value


def _check_layer_budget(archive: zipfile.ZipFile, entries: list[_LayerEntry], document_pixels: int, name: str) -> None:
    """Add up every layer's pixels from its PNG header and refuse the file before decoding any."""
    total = 0
    for entry in entries:
        label = f"layer “{entry.name}”"
        with _open_member(archive, entry.source, name) as stream, _as_ora_error(name):
            layer_width, layer_height = header_size(stream, label)
            check_pixels(layer_width, layer_height, label, MAX_PIXELS)
        total += max(layer_width * layer_height, document_pixels)
        if total > MAX_LAYER_PIXELS:
            raise OraError(
                f"{name} is too large to open: its {len(entries)} layers need more than "
                f"{MAX_LAYER_PIXELS / 1e6:.0f} megapixels together (each counts at least the document's "
                f"{document_pixels / 1e6:.1f}), and that is the limit."
            )


def _decode_layer(archive: zipfile.ZipFile, entry: _LayerEntry, name: str) -> Layer:
    data = _read_member(archive, entry.source, name, MAX_FILE_BYTES)
    with _as_ora_error(name):
        pixels = rgba(load_image(data, label=f"layer “{entry.name}”"))
    return Layer(entry.name, pixels, entry.opacity, entry.visible, entry.x, entry.y, entry.kind, _read_info(data))


@contextmanager
def _as_ora_error(name: str) -> Iterator[None]:
    """A layer's ImageLoadError, told as the document's: "“doc.ora”: layer “a” is damaged …"."""
    try:
        yield
    except ImageLoadError as exc:
        raise OraError(f"{name}: {exc}") from None


def _member_info(archive: zipfile.ZipFile, member: str, name: str, missing_detail: str = "") -> zipfile.ZipInfo:
    try:
        return archive.getinfo(member)
    except KeyError:
        raise OraError(f"{name} lacks “{member[:100]}”{missing_detail}.") from None


def _open_member(archive: zipfile.ZipFile, member: str, name: str) -> IO[bytes]:
    return archive.open(_member_info(archive, member, name, ", which its stack.xml names"))


def _read_member(archive: zipfile.ZipFile, member: str, name: str, limit: int) -> bytes:
    """A member's bytes, refused by its declared size first and by a capped read (the size may lie)."""
    info = _member_info(archive, member, name)
    too_large = f"{name}: “{member[:100]}” unpacks to more than {megabytes(limit)}, the limit for it."
    if info.file_size > limit:
        raise OraError(too_large)
    with archive.open(info) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise OraError(too_large)
    return data


def _member_bytes_if_present(archive: zipfile.ZipFile, member: str, name: str) -> bytes | None:
    return _read_member(archive, member, name, MAX_FILE_BYTES) if member in archive.NameToInfo else None


def _read_info(data: bytes | None) -> GenerationInfo | None:
    """The generation parameters in a layer's PNG; a damaged chunk only loses them (logged)."""
    if data is None:
        return None
    try:
        return read_generation_info(io.BytesIO(data))  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - metadata is optional; the pixels still open
        log.warning("ignoring unreadable generation parameters in an .ora layer", exc_info=True)
        return None
