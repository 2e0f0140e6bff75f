"""The style library: built-in style images from resources/styles and ones the user added.

Added styles are copied (re-encoded as PNG, scaled to at most 1024 px) into the user data
folder, so they survive the original file being moved and persist across restarts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genart_core import paths
from genart_core.api import GenArtError
from genart_core.artwork import save_artwork
from genart_core.imaging import fit_within, load_image, to_rgb

STYLE_MAX_SIDE = 1024
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}


@dataclass(frozen=True)
class Style:
    name: str
    path: Path
    builtin: bool


def builtin_styles_dir() -> Path:
    return paths.resources_dir() / "styles"


def user_styles_dir() -> Path:
    folder = paths.data_dir() / "styles"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _styles_in(folder: Path, builtin: bool) -> list[Style]:
    if not folder.is_dir():
        return []
    # Regular files only: a folder or a named pipe called "x.png" is not a style (a pipe would block the reader).
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES and p.is_file())
    return [Style(_display_name(p.stem), p, builtin) for p in files]


def _display_name(stem: str) -> str:
    stem = re.sub(r"^\d{4}_", "", stem)
    return stem.replace("_", " ").replace("-", " ").strip().capitalize()


def list_styles() -> list[Style]:
    """Built-in styles first, then the user's in the order they were added (file names sort so)."""
    return _styles_in(builtin_styles_dir(), True) + _styles_in(user_styles_dir(), False)


def _safe_stem(name: str) -> str:
    stem = re.sub(r"[^\w\-]+", "_", name).strip("_")[:60]
    return stem or "style"


def add_style(source: str | Path | bytes, name: str | None = None) -> Style:
    """Copy an image into the user's style library; raises ImageLoadError for a bad image."""
    image: np.ndarray = fit_within(to_rgb(load_image(source)), STYLE_MAX_SIDE)
    if name is None:
        name = "dropped style" if isinstance(source, bytes) else Path(source).stem
    folder = user_styles_dir()
    number = len(list(folder.glob("*.png"))) + 1
    target = folder / f"{number:04d}_{_safe_stem(name)}.png"
    while target.exists():
        number += 1
        target = folder / f"{number:04d}_{_safe_stem(name)}.png"
    save_artwork(target, image)
    return Style(_display_name(name), target, False)


def find_style(name_or_path: str | Path) -> Style:
    """A style by file path, or by the name shown in the gallery (case, spaces and "_" ignored)."""
    path = Path(name_or_path)
    if path.is_file():
        return Style(_display_name(path.stem), path, False)
    wanted = _key(str(name_or_path))
    styles = list_styles()
    for style in styles:
        if wanted in {_key(style.name), _key(style.path.stem)}:
            return style
    known = ", ".join(style.name for style in styles) or "none"
    raise GenArtError(f"No style file or style called “{name_or_path}”. Styles in the gallery: {known}.")


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


def remove_style(style: Style) -> None:
    if style.builtin:
        raise ValueError("built-in styles cannot be removed")
    style.path.unlink(missing_ok=True)
