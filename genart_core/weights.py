"""Where weights come from — bundled, user-trained, cached downloads, user files — with checks.

A model folder holds ``model.safetensors`` and ``card.json`` (kind, name, description, the
config needed to rebuild the network, and how it was trained). Bundled ones live under
resources/models/, trained or added ones under paths.models_dir(). Weights are only ever read
with safetensors, so a file a user hands us can never run code.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from genart_core import paths, validate
from genart_core.api import GenArtError
from genart_core.atomic import write_bytes_atomic

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

WEIGHTS_FILE = "model.safetensors"
CARD_FILE = "card.json"


class ModelError(GenArtError):
    """A model is missing, damaged or of the wrong kind; the message says which and what to do."""


@dataclass(frozen=True)
class ModelEntry:
    kind: str  # "gan", "vae", "diffusion", "stable-diffusion", "vgg19", …
    name: str
    status: str  # e.g. "bundled", "trained by you", "cached", "downloadable"
    location: str = ""
    card: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


CARD_MAX_BYTES = 1_000_000  # cards are a few KB (a label list at most)


def read_card(folder: Path) -> dict[str, Any]:
    """The card in a model folder, with ``kind`` and ``name`` as short texts and ``config`` an
    object ({} when the card has none); anything else is a ModelError naming the card and the field."""
    card_path = folder / CARD_FILE
    try:
        card = validate.as_dict(validate.read_json_file(card_path, CARD_MAX_BYTES), f"The model card {card_path}")
        kind = validate.as_str(card.get("kind"), f"The model card {card_path}: kind", 100)
        name = card.get("name", folder.name)
        name = validate.as_str(name, f"The model card {card_path}: name", 200) if name is not None else folder.name
        config = card.get("config")
        config = {} if config is None else validate.as_dict(config, f"The model card {card_path}: config")
    except FileNotFoundError:
        raise ModelError(f"The model folder {folder} has no {CARD_FILE}; it is not a GenArt Studio model.") from None
    except validate.InvalidDataError as exc:
        raise ModelError(f"{exc} The model is left out.") from None
    return {**card, "kind": kind, "name": name, "config": config}


def load_state_dict(path: str | Path, device: str = "cpu") -> dict[str, "torch.Tensor"]:
    """Tensors from a safetensors file, with a clear message when it is missing or damaged."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"The weights file {path} is missing. Reinstall the model or retrain it.")
    try:
        return load_file(str(path), device=device)
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelError(f"The weights file {path.name} is damaged or not a safetensors file ({exc}).") from None


def save_model(folder: Path, tensors: dict[str, "torch.Tensor"], card: dict[str, Any]) -> None:
    """Write a model folder: floating tensors as fp16 (half the size; loaders read them back as
    fp32) and the card. Each file is replaced atomically and gets the usual file permissions, so an
    interrupted save keeps the previous model and an installed copy is readable by every user."""
    from safetensors.torch import save

    half = {k: (v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()).contiguous() for k, v in tensors.items()}
    folder.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(folder / WEIGHTS_FILE, save(half))
    write_bytes_atomic(folder / CARD_FILE, (json.dumps(card, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def load_fp32_state_dict(path: str | Path) -> dict[str, "torch.Tensor"]:
    """load_state_dict with every tensor as float32 (our bundled weights are stored in fp16 to halve them)."""
    return {key: tensor.float() for key, tensor in load_state_dict(path).items()}


def load_into(module: "torch.nn.Module", state: dict[str, "torch.Tensor"], what: str) -> "torch.nn.Module":
    """``module`` (in eval mode) with ``state`` loaded; a mismatch is a ModelError naming ``what``."""
    try:
        module.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelError(f"The weights of {what} do not fit its card ({str(exc).splitlines()[0]}).") from None
    return module.eval()


def _folder_models(root: Path, status: str) -> list[ModelEntry]:
    entries = []
    if not root.is_dir():
        return entries
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        try:
            card = read_card(folder)
        except ModelError as exc:
            log.warning("%s", exc)
            continue
        entries.append(ModelEntry(card["kind"], card["name"], status, str(folder), card))
    return entries


# Other sources of models (cached downloads, package-shipped weights) register a function here.
_extra_sources: list[Callable[[], list[ModelEntry]]] = []


def register_source(source: Callable[[], list[ModelEntry]]) -> Callable[[], list[ModelEntry]]:
    _extra_sources.append(source)
    return source


def available_models(kind: str | None = None) -> list[ModelEntry]:
    """Every model this installation can use, bundled first."""
    entries = _folder_models(paths.resources_dir() / "models", "bundled")
    entries += _folder_models(paths.models_dir(), "yours")
    for source in _extra_sources:
        try:
            entries += source()
        except Exception as exc:  # one broken source must not hide the others
            log.warning("Could not list models from %s: %s", getattr(source, "__name__", source), exc)
    return [entry for entry in entries if kind is None or entry.kind == kind]


def find_model(kind: str, name: str | None = None, missing: str = "") -> ModelEntry:
    """The model of ``kind`` called ``name`` (a name, or a folder path), or the first of that kind.
    With no name and no model of that kind, ``missing`` (how to get one), if given, is the message."""
    if name and Path(name).is_dir():
        folder = Path(name)
        card = read_card(folder)
        if card["kind"] != kind:
            raise ModelError(f"{folder} holds a {card['kind']} model, not a {kind} model.")
        return ModelEntry(kind, card["name"], "folder", str(folder), card)
    candidates = available_models(kind)
    if name is None and not candidates and missing:
        raise ModelError(f"No {kind.upper()} model is installed. {missing}")
    for entry in candidates:
        if name is None or entry.name == name:
            return entry
    known = ", ".join(e.name for e in candidates) or "none"
    raise ModelError(f"No {kind} model called “{name}”. Available: {known}.")
