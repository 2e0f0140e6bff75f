"""Learned styles: a tuned 100-number style vector per painting, and optionally offsets to the
transformer's normalisation parameters (the biases of its γ/β maps, 694 numbers), in a small
safetensors file (KBs) in the user's style folder (or resources/styles/learned for the built-in ones).

Read with safetensors' numpy API: a learned-style file never runs code and never imports torch.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from genart_core import paths
from genart_core.api import GenArtError
from genart_core.atomic import write_bytes_atomic

VECTOR_KEY = "style_vector"
NORM_OFFSET_PREFIX = "norm_offset/"
# Our transformer's γ/β bias names and their channels (models/style_transformer.norm_bias_names,
# spelled out here so that reading a file needs no torch; a test checks the two agree).
NORM_CHANNELS: dict[str, int] = {
    **{f"residual.{block}.norm{conv}.{part}.bias": 32 for block in range(5) for conv in (1, 2) for part in ("scale", "shift")},
    **{f"expand.{i}.norm.{part}.bias": channels for i, channels in enumerate((16, 8, 3)) for part in ("scale", "shift")},
}
# γ and β are of order 1; a learned shift far beyond that is not from Learn this style.
MAX_NORM_OFFSET = 100.0
SUFFIX = ".safetensors"
MAX_FILE_BYTES = 1 << 20  # a vector and its card: anything much bigger is not ours


class LearnedStyleError(GenArtError):
    """A learned-style file is missing, damaged or of another kind."""


@dataclass(frozen=True)
class LearnedStyle:
    name: str
    path: Path
    vector: np.ndarray
    card: dict[str, Any]
    builtin: bool
    # Offsets added to the γ/β maps' biases, by NORM_CHANNELS name; empty for a vector-only style.
    norm_offsets: dict[str, np.ndarray] = field(default_factory=dict)


def user_learned_dir() -> Path:
    folder = paths.data_dir() / "styles" / "learned"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def builtin_learned_dir() -> Path:
    return paths.resources_dir() / "styles" / "learned"


def save_learned(path: Path, vector: np.ndarray, card: dict[str, Any], norm_offsets: dict[str, np.ndarray] | None = None) -> Path:
    """Write atomically: a failed save leaves any earlier learned style intact."""
    from safetensors.numpy import save

    tensors = {VECTOR_KEY: np.ascontiguousarray(vector, np.float32).reshape(-1)}
    for name, offset in (norm_offsets or {}).items():
        tensors[NORM_OFFSET_PREFIX + name] = np.ascontiguousarray(offset, np.float32).reshape(-1)
    data = save(tensors, metadata={"card": json.dumps(card)})
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, data)
    return path


def read_learned(path: str | Path, builtin: bool = False) -> LearnedStyle:
    """A learned style file turned into a LearnedStyle, or a LearnedStyleError saying what is wrong."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise LearnedStyleError(f"{path.name} is too large to be a learned style.")
        with safe_open(str(path), "np") as handle:
            metadata = handle.metadata() or {}
            vector = handle.get_tensor(VECTOR_KEY)
            offsets = {key.removeprefix(NORM_OFFSET_PREFIX): handle.get_tensor(key) for key in handle.keys() if key != VECTOR_KEY}
        card = json.loads(metadata.get("card", "{}"))
    except FileNotFoundError:
        raise LearnedStyleError(f"The learned style {path} is missing.") from None
    except (OSError, SafetensorError, ValueError, KeyError) as exc:
        raise LearnedStyleError(f"The learned style {path.name} is damaged or not a learned style ({exc}).") from None
    if vector.shape != (100,) or vector.dtype != np.float32 or not np.isfinite(vector).all() or not isinstance(card, dict):
        raise LearnedStyleError(f"{path.name} does not hold a 100-number style vector.")
    _check_norm_offsets(path, offsets)
    return LearnedStyle(str(card.get("style", path.stem.replace("_", " "))), path, vector, card, builtin, offsets)


def _check_norm_offsets(path: Path, offsets: dict[str, np.ndarray]) -> None:
    """All of the network's γ/β offsets or none, each the right size, finite and of sane magnitude."""
    if not offsets:
        return
    if set(offsets) != set(NORM_CHANNELS):
        raise LearnedStyleError(f"{path.name} holds normalisation offsets for another network.")
    for name, offset in offsets.items():
        if offset.shape != (NORM_CHANNELS[name],) or offset.dtype != np.float32:
            raise LearnedStyleError(f"{path.name}: the normalisation offset {name} has the wrong size.")
        if not np.isfinite(offset).all() or np.abs(offset).max() > MAX_NORM_OFFSET:
            raise LearnedStyleError(f"{path.name}: the normalisation offset {name} holds impossible values.")


def list_learned() -> list[LearnedStyle]:
    """Built-in learned styles, then the user's; damaged files are skipped (they cannot stop a listing)."""
    found = []
    for folder, builtin in ((builtin_learned_dir(), True), (user_learned_dir(), False)):
        for path in sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []:
            try:
                found.append(read_learned(path, builtin))
            except LearnedStyleError:
                continue
    return found


def learned_for(style_name: str) -> LearnedStyle | None:
    """The user's learned version of a style if there is one, else the built-in one, else None."""
    matches = [style for style in list_learned() if style_key(style.name) == style_key(style_name)]
    return matches[-1] if matches else None


def style_key(name: str) -> str:
    """Names compare as the gallery compares them: case, spaces, "_" and "-" ignored."""
    return re.sub(r"[\s_\-]+", "", name).lower()


def learned_path_for(style_name: str, folder: Path | None = None) -> Path:
    stem = "".join(c if c.isalnum() else "_" for c in style_name.lower()).strip("_") or "style"
    return (folder or user_learned_dir()) / f"{stem}{SUFFIX}"
