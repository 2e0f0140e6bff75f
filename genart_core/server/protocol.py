"""The GenArt server's wire format: requests, progress and results as plain JSON, images as PNG.

This is the network edge of "validate at the edges": what a client sends is turned into one of
the known request dataclasses (or a ProtocolError whose message the client shows as it is),
checking sizes before anything is decoded. Nothing is ever unpickled. Imports no ray and no torch,
so the app and the CLI can use it as the client's half too.

Values on the wire:
- images (uint8 H×W, H×W×3, H×W×4): ``{"$png": "<base64 PNG>"}`` (lossless: a remote result is
  bit-for-bit the array the pipeline made);
- other arrays (latent codes in results): ``{"$array": nested lists, "dtype": "float32"}``;
- enums by value, tuples as lists, nested dataclasses (StyleSource) as objects.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import io
import math
import types
import typing
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from genart_core.api import GenArtError, GenerationInfo, Progress, Request, Result
from genart_core.validate import as_float, as_int, as_json_value, as_str

PNG_KEY = "$png"
ARRAY_KEY = "$array"
ARRAY_DTYPES = {"float16", "float32", "float64", "int32", "int64", "uint8", "bool"}


class ProtocolError(GenArtError):
    """A request or answer that does not follow the protocol; the message says what to fix."""


@dataclass(frozen=True)
class Limits:
    """What one submission may hold; checked before anything is decoded."""

    max_body_bytes: int = 64_000_000
    max_image_pixels: int = 16_000_000
    max_text: int = 10_000


# Bounds on request fields that size the work or its memory, by field name: a request past them
# would exhaust the server's memory or time rather than fail. Far beyond anything sensible.
FIELD_LIMITS: dict[str, tuple[float, float]] = {
    # TrainRequest.width 0 is the network's default width.
    "width": (0, 4096), "height": (0, 4096), "size": (0, 8192), "count": (1, 256), "columns": (1, 256),
    "steps": (1, 100_000), "work_size": (1, 2048), "epochs": (1, 100_000), "batch": (1, 4096),
    "image_size": (8, 512), "channels": (1, 4), "iterations_scale": (0.01, 100.0), "style_scale": (0.05, 20.0),
    "scale": (1, 8), "tile": (32, 2048), "detail": (0.0, 1.0),
}


def request_types() -> dict[str, type[Request]]:
    """Every request type a server runs, by class name (the "type" that Request.to_dict writes)."""
    from genart_core.requests import diffusion, generative, selftest, style, upscale

    known: dict[str, type[Request]] = {}
    for module in (style, diffusion, generative, selftest, upscale):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Request) and value.pipeline:
                known[value.__name__] = value
    return known


# ---- encoding (either side) -------------------------------------------------------------------


def encode_png(array: np.ndarray) -> dict[str, str]:
    if array.dtype != np.uint8 or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise ProtocolError(f"Only uint8 greyscale, RGB or RGBA images can be sent, not {array.dtype} {array.shape}.")
    buffer = io.BytesIO()
    # compress_level 1: previews and results travel on a LAN or localhost; speed beats a few bytes.
    Image.fromarray(array[..., 0] if array.ndim == 3 and array.shape[2] == 1 else array).save(buffer, "PNG", compress_level=1)
    return {PNG_KEY: base64.b64encode(buffer.getvalue()).decode("ascii")}


def encode_value(value: Any) -> Any:
    """Any request field, info or extras value as JSON-ready data (images as PNG)."""
    if isinstance(value, np.ndarray):
        if value.dtype == np.uint8 and value.ndim in (2, 3):
            return encode_png(value)
        return {ARRAY_KEY: value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, np.generic):
        return value.item()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [encode_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): encode_value(item) for key, item in value.items()}
    return value


def encode_request(request: Request) -> dict[str, Any]:
    fields = encode_value(request)
    return {"type": type(request).__name__, "fields": fields}


def encode_progress(progress: Progress, made_at: float) -> dict[str, Any]:
    return {
        "event": "progress",
        "step": progress.step,
        "total": progress.total,
        "phase": progress.phase,
        "preview": None if progress.preview is None else encode_png(progress.preview),
        "extras": encode_value(progress.extras),
        "made_at": made_at,  # wall-clock time the preview was made, for bench/remote.py's delay figure
    }


def encode_result(result: Result) -> dict[str, Any]:
    return {
        "images": [encode_png(image) for image in result.images],
        "infos": [encode_value(info) for info in result.infos],
        "extras": encode_value(result.extras),
        "stopped": result.stopped,
    }


# ---- decoding (checked) -----------------------------------------------------------------------


def decode_png(value: Any, what: str, max_pixels: int) -> np.ndarray:
    if not isinstance(value, dict) or set(value) != {PNG_KEY} or not isinstance(value[PNG_KEY], str):
        raise ProtocolError(f"{what} should be an image, sent as {{\"{PNG_KEY}\": \"<base64 PNG>\"}}.")
    text = value[PNG_KEY]
    # A PNG holds at least a byte a pixel after compression only in theory; 5 bytes a pixel bounds
    # an honest RGBA image, so longer base64 text is refused before it is decoded.
    if len(text) * 3 // 4 > max_pixels * 5 + 1024:
        raise ProtocolError(f"{what} is {len(text) * 3 // 4:,} bytes of image data, more than a {max_pixels / 1e6:g}-megapixel image needs.")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError(f"{what} is not valid base64.") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=["PNG"])
            width, height = image.size  # from the header, before the pixels are decoded
            if width * height > max_pixels:
                raise ProtocolError(
                    f"{what} is {width}×{height} pixels; this server takes at most {max_pixels / 1e6:g} megapixels per image."
                )
            if image.mode not in {"L", "RGB", "RGBA"}:
                raise ProtocolError(f"{what} is a {image.mode} PNG; send 8-bit greyscale, RGB or RGBA.")
            image.load()
    except ProtocolError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ProtocolError(f"{what} is not a readable PNG image ({exc}).") from None
    return np.asarray(image).copy()


def _decode_array(value: dict[str, Any], what: str) -> np.ndarray:
    dtype = value.get("dtype")
    if set(value) != {ARRAY_KEY, "dtype"} or dtype not in ARRAY_DTYPES:
        raise ProtocolError(f"{what} is not an array this client reads.")
    as_json_value(value[ARRAY_KEY], what, max_items=10_000_000)
    try:
        return np.asarray(value[ARRAY_KEY], dtype=dtype)
    except (ValueError, TypeError) as exc:
        raise ProtocolError(f"{what} is not a regular array ({exc}).") from None


def decode_value(value: Any, what: str, max_pixels: int) -> Any:
    """Free-form data (extras, infos) back into Python: images and arrays restored, the rest plain."""
    if isinstance(value, dict):
        if PNG_KEY in value:
            return decode_png(value, what, max_pixels)
        if ARRAY_KEY in value:
            return _decode_array(value, what)
        return {key: decode_value(item, f"{what}.{key}", max_pixels) for key, item in value.items()}
    if isinstance(value, list):
        return [decode_value(item, what, max_pixels) for item in value]
    return value


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _decode_field(value: Any, hint: Any, what: str, limits: Limits) -> Any:
    """``value`` as the type ``hint`` names, or ProtocolError. Knows the types request fields use."""
    if _is_union(hint):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        if isinstance(value, dict) and PNG_KEY in value and np.ndarray in options:
            return decode_png(value, what, limits.max_image_pixels)
        errors = []
        for option in options:
            if option is type(None) or option is np.ndarray:
                continue
            try:
                return _decode_field(value, option, what, limits)
            except ProtocolError as exc:
                errors.append(str(exc))
        raise ProtocolError(errors[0] if errors else f"{what} has a value of the wrong kind.")
    if hint is np.ndarray:
        return decode_png(value, what, limits.max_image_pixels)
    if typing.get_origin(hint) is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, list):
            raise ProtocolError(f"{what} should be a list.")
        if len(args) == 2 and args[1] is Ellipsis:
            if len(value) > 100_000:
                raise ProtocolError(f"{what} has {len(value):,} items; at most 100,000 are taken.")
            return tuple(_decode_field(item, args[0], f"{what}[{i}]", limits) for i, item in enumerate(value))
        if len(value) != len(args):
            raise ProtocolError(f"{what} should have {len(args)} items, not {len(value)}.")
        return tuple(_decode_field(item, arg, f"{what}[{i}]", limits) for i, (item, arg) in enumerate(zip(value, args)))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            choices = ", ".join(str(member.value) for member in hint)
            raise ProtocolError(f"{what} is {value!r}; it should be one of: {choices}.") from None
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _decode_dataclass(hint, value, what, limits)
    if hint is bool:
        if not isinstance(value, bool):
            raise ProtocolError(f"{what} should be true or false.")
        return value
    try:
        if hint is int:
            return as_int(value, what, -(2**63), 2**63 - 1)
        if hint is float:
            return as_float(value, what)
        if hint in (str, Path):
            return as_str(value, what, limits.max_text)
    except GenArtError as exc:
        raise ProtocolError(str(exc)) from None
    raise ProtocolError(f"{what} has a type this server cannot take ({hint}).")


def _decode_dataclass(cls: type, value: Any, what: str, limits: Limits) -> Any:
    if not isinstance(value, dict):
        raise ProtocolError(f"{what} should be an object with the fields of {cls.__name__}.")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(value) - names)
    if unknown:
        raise ProtocolError(f"{cls.__name__} has no field {', '.join(map(repr, unknown))}; its fields are {', '.join(sorted(names))}.")
    fields = {name: _decode_field(item, hints[name], f"{what}.{name}", limits) for name, item in value.items()}
    for name, item in fields.items():
        low, high = FIELD_LIMITS.get(name, (-math.inf, math.inf))
        if isinstance(item, (int, float)) and not isinstance(item, bool) and not low <= item <= high:
            raise ProtocolError(f"{what}.{name} is {item}; this server takes {low:g} to {high:g}.")
    try:
        return cls(**fields)
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"{what} is incomplete or inconsistent ({exc}).") from None


def decode_request(data: Any, limits: Limits) -> Request:
    """A submitted request (``{"type": ..., "fields": {...}}``) as its dataclass; known types only."""
    if not isinstance(data, dict) or not isinstance(data.get("type"), str) or not isinstance(data.get("fields"), dict):
        raise ProtocolError('The request should be an object {"type": "<request type>", "fields": {...}}.')
    known = request_types()
    cls = known.get(data["type"])
    if cls is None:
        raise ProtocolError(f"Unknown request type {data['type'][:60]!r}; this server runs: {', '.join(sorted(known))}.")
    return _decode_dataclass(cls, data["fields"], cls.__name__, limits)


def decode_files(data: Any, limits: Limits) -> dict[str, np.ndarray]:
    """The images a client attached for the image paths in its request (see path_policy)."""
    if data is None:
        return {}
    if not isinstance(data, dict) or len(data) > 64:
        raise ProtocolError('"files" should be an object of at most 64 images, by the path the request names.')
    return {as_str(path, "an attached file's name", 4096): decode_png(image, f"the attached image {path[:80]!r}", limits.max_image_pixels)
            for path, image in data.items()}


def decode_progress(event: dict[str, Any], max_pixels: int) -> Progress:
    preview = event.get("preview")
    extras = decode_value(event.get("extras") or {}, "the progress extras", max_pixels)
    return Progress(
        as_int(event.get("step"), "the progress step", -(2**31), 2**31),
        as_int(event.get("total"), "the progress total", -(2**31), 2**31),
        as_str(event.get("phase", ""), "the progress phase"),
        None if preview is None else decode_png(preview, "a preview", max_pixels),
        extras if isinstance(extras, dict) else {},
    )


def decode_result(data: Any, max_pixels: int) -> Result:
    if not isinstance(data, dict) or not isinstance(data.get("images"), list) or not isinstance(data.get("infos"), list):
        raise ProtocolError("The server's result is not in the expected form.")
    images = [decode_png(image, f"result image {i + 1}", max_pixels) for i, image in enumerate(data["images"])]
    info_fields = {f.name for f in dataclasses.fields(GenerationInfo)}
    infos = []
    for i, info in enumerate(data["infos"]):
        if not isinstance(info, dict):
            raise ProtocolError(f"The generation parameters of result image {i + 1} are not an object.")
        infos.append(GenerationInfo(**{key: value for key, value in info.items() if key in info_fields}))
    extras = decode_value(data.get("extras") or {}, "the result extras", max_pixels)
    stopped = data.get("stopped") or ""
    return Result(images, infos, extras if isinstance(extras, dict) else {}, stopped if isinstance(stopped, str) else "")
