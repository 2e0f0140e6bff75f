"""Converted models on disk: one folder per model, one sub-folder per part and precision.

    <HF_HOME>/genart-openvino/<model name>-<fingerprint>/<part>-<weights>-dynamic/
        model.xml, model.bin, part.json

The fingerprint covers the model's key and the names, sizes and modification times of its files,
so a changed model gets a new folder. <weights> is the precision the weights are stored in (f16
for bf16 inference: half the disk, and bf16 keeps fewer mantissa bits than f16 anyway; f32 for
f32 inference). Each part is written to a temporary folder and renamed into place, so a folder
that exists is complete; one that does not read back (its record unreadable, a file missing or of
the wrong size, OpenVINO refusing the graph) is deleted and converted again, never an error.
$GENART_OPENVINO_DIR moves the whole cache (tests point it at a temporary folder).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from pathlib import Path

from genart_core import validate
from genart_core.sd_models import ModelSpec

log = logging.getLogger(__name__)

CACHE_DIR_ENV = "GENART_OPENVINO_DIR"
FORMAT = 1  # bump when the exported graphs change meaning: older folders are then ignored
RECORD = "part.json"
FILES = ("model.xml", "model.bin")
TEMP_MARK = ".converting-"


def cache_root() -> Path:
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from huggingface_hub import constants

    return Path(constants.HF_HOME) / "genart-openvino"


def _file_stamps(location: Path) -> list[str]:
    if location.is_file():
        stat = location.stat()
        return [f"{location.name}:{stat.st_size}:{stat.st_mtime_ns}"]
    stamps = []
    for path in sorted(location.rglob("*")):
        if path.is_file():
            stat = path.stat()
            stamps.append(f"{path.relative_to(location)}:{stat.st_size}:{stat.st_mtime_ns}")
    return stamps


def fingerprint(spec: ModelSpec) -> str:
    """Changes whenever the model's files do (and with the export format)."""
    digest = hashlib.sha256(f"{FORMAT}\n{spec.key}\n".encode())
    if spec.location and Path(spec.location).exists():
        digest.update("\n".join(_file_stamps(Path(spec.location))).encode())
    return digest.hexdigest()[:16]


def model_folder(spec: ModelSpec) -> Path:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", spec.label or spec.key).strip("._")[:60] or "model"
    return cache_root() / f"{name}-{fingerprint(spec)}"


def weights_precision(inference_precision: str) -> str:
    return "f16" if inference_precision == "bf16" else "f32"


def part_folder(model: Path, part: str, inference_precision: str) -> Path:
    return model / f"{part}-{weights_precision(inference_precision)}-dynamic"


def _checked_record(folder: Path) -> dict:
    """The folder's record, checked against the files beside it, or InvalidDataError."""
    record = validate.as_dict(validate.read_json_file(folder / RECORD, max_bytes=100_000), "the conversion record")
    if validate.as_int(record.get("format"), "format", 0, 10**6) != FORMAT:
        raise validate.InvalidDataError("it was written by another version")
    sizes = validate.as_dict(record.get("sizes"), "sizes")
    for name in FILES:
        expected = validate.as_int(sizes.get(name), name, 0, 2**50)
        path = folder / name
        if not path.is_file() or path.stat().st_size != expected:
            raise validate.InvalidDataError(f"{name} is missing or not the size it was written at")
    return record


def read_part(folder: Path):
    """The cached ``openvino.Model`` in ``folder``, or None when there is none or it is damaged
    (then the folder is removed, so the caller converts again)."""
    if not folder.exists():
        return None
    from genart_core.openvino_backend import runtime

    try:
        _checked_record(folder)
        return runtime.core().read_model(folder / "model.xml", folder / "model.bin")
    except Exception as exc:  # a damaged cache entry of any kind is rebuilt, never reported as an error
        log.warning("Discarding the damaged OpenVINO cache entry %s (%s); converting again", folder, exc)
        shutil.rmtree(folder, ignore_errors=True)
        return None


def write_part(folder: Path, model, compress_to_fp16: bool) -> None:
    """Save ``model`` as ``folder``, all or nothing: written beside it, then renamed into place."""
    import openvino

    folder.parent.mkdir(parents=True, exist_ok=True)
    for leftover in folder.parent.glob(f"{folder.name}{TEMP_MARK}*"):
        shutil.rmtree(leftover, ignore_errors=True)  # from a conversion that was killed
    temporary = folder.parent / f"{folder.name}{TEMP_MARK}{os.getpid()}"
    try:
        temporary.mkdir()
        openvino.save_model(model, temporary / "model.xml", compress_to_fp16=compress_to_fp16)
        sizes = {name: (temporary / name).stat().st_size for name in FILES}
        record = {"format": FORMAT, "openvino": openvino.get_version(), "sizes": sizes}
        (temporary / RECORD).write_text(json.dumps(record))
        if folder.exists():
            shutil.rmtree(folder)
        temporary.rename(folder)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
