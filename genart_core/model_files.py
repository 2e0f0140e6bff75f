"""Checks that a Stable Diffusion model handed to us can be loaded, made when it is added.

Reads only headers and small config files, never the weights: a 7 GB checkpoint is checked in
milliseconds. A file or folder that fails gets a GenArtError naming the file and what is wrong,
at add time rather than at the first Generate.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

from genart_core.api import GenArtError
from genart_core.validate import InvalidDataError, as_dict, as_int, as_list, as_str, parse_json, read_json_file

# safetensors itself refuses headers above 100 MB.
MAX_HEADER_BYTES = 100_000_000
_DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
}
# Component folders with this config hold a network, so they need weights beside it.
_NETWORK_CONFIG = "config.json"


def check_safetensors_file(path: Path) -> None:
    """Refuse an empty, truncated or otherwise unreadable .safetensors file: the 8-byte header
    length, the JSON header, and every tensor's byte range inside the file and of its dtype×shape size."""
    try:
        if not path.is_file():  # a named pipe would block the read forever
            raise GenArtError(f"“{path.name}” is not a regular file.")
        size = path.stat().st_size
        with open(path, "rb") as file:
            prefix = file.read(8)
            if len(prefix) < 8:
                raise GenArtError(f"“{path.name}” is empty or too short to be a .safetensors file ({size} bytes).")
            (header_size,) = struct.unpack("<Q", prefix)
            if header_size > min(MAX_HEADER_BYTES, size - 8):
                raise GenArtError(f"“{path.name}” is truncated or not a .safetensors file (its header claims {header_size:,} bytes of {size:,}).")
            header = file.read(header_size)
    except OSError as exc:
        raise GenArtError(f"“{path.name}” cannot be read ({exc.strerror or exc}).") from None
    try:
        tensors = as_dict(parse_json(header, f"The header of “{path.name}”", MAX_HEADER_BYTES, max_depth=4), f"The header of “{path.name}”")
        data_size = size - 8 - header_size
        end = max((_tensor_end(name, value, data_size, path.name) for name, value in tensors.items() if name != "__metadata__"), default=0)
    except InvalidDataError as exc:
        raise GenArtError(f"“{path.name}” is damaged or not a .safetensors file: {exc}") from None
    if end < data_size:
        raise GenArtError(f"“{path.name}” has {data_size - end:,} bytes after its last tensor; it is damaged.")


def _tensor_end(name: str, value: object, data_size: int, file_name: str) -> int:
    what = f"tensor {name[:80]!r}"
    record = as_dict(value, what)
    dtype = as_str(record.get("dtype"), f"{what}: dtype", 16)
    if dtype not in _DTYPE_BYTES:
        raise InvalidDataError(f"{what} has the unknown dtype {dtype!r}.")
    shape = [as_int(side, f"{what}: shape", 0, 1 << 40) for side in as_list(record.get("shape"), f"{what}: shape", 16)]
    offsets = as_list(record.get("data_offsets"), f"{what}: data_offsets", 2)
    if len(offsets) != 2:
        raise InvalidDataError(f"{what} needs two data offsets.")
    begin, end = (as_int(offset, f"{what}: data_offsets", 0, 1 << 62) for offset in offsets)
    if end > data_size:
        raise GenArtError(f"“{file_name}” is truncated: {what} ends at byte {end:,} of {data_size:,}.")
    if begin > end or end - begin != math.prod(shape) * _DTYPE_BYTES[dtype]:
        raise InvalidDataError(f"{what}: its byte range does not match its shape and dtype.")
    return end


def check_diffusers_folder(folder: Path) -> None:
    """Refuse a diffusers folder whose model_index.json lists no components, or a component whose
    folder, config or weights are missing or damaged."""
    index_path = folder / "model_index.json"
    try:
        index = as_dict(read_json_file(index_path, 1_000_000, max_depth=8), f"{index_path}")
    except (FileNotFoundError, InvalidDataError) as exc:
        raise GenArtError(f"{folder} is not a usable diffusers model folder: {exc}") from None
    # Entries like "unet": ["diffusers", "UNet2DConditionModel"]; [null, null] marks an absent
    # optional part (a safety checker left out), "_class_name" and friends are not components.
    components = [name for name, value in index.items() if not name.startswith("_") and isinstance(value, list) and any(value)]
    if not components:
        raise GenArtError(f"{index_path} lists no components (unet, vae, …); this folder cannot be loaded.")
    for name in components:
        _check_component(folder, name)


def _check_component(folder: Path, name: str) -> None:
    component = folder / name
    if not component.is_dir():
        raise GenArtError(f"The model folder {folder} has no “{name}” folder, which its model_index.json lists.")
    if (component / _NETWORK_CONFIG).is_file():
        try:
            read_json_file(component / _NETWORK_CONFIG, 10_000_000)
        except InvalidDataError as exc:
            raise GenArtError(f"The model's {name} config is damaged: {exc}") from None
        weights = sorted(component.glob("*.safetensors"))
        if not weights:
            raise GenArtError(f"The model's “{name}” folder has no .safetensors weights (GenArt Studio reads only safetensors).")
        for path in weights:
            check_safetensors_file(path)
    elif not any(component.iterdir()):  # schedulers and tokenizers: small files diffusers reads itself
        raise GenArtError(f"The model's “{name}” folder is empty.")

