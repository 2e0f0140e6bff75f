"""Which vector a named style gets on the instant path: a learned one when the style has been
learned (it looks closer to the painting), else the one the predictor reads from the painting."""

from __future__ import annotations

from pathlib import Path

from genart_core.fast_style.learned_styles import SUFFIX, learned_for, read_learned
from genart_core.requests.fast_style import StyleVectorSource
from genart_core.styles import find_style


def source_for(name_or_path: str, weight: float = 1.0, use_learned: bool = True) -> StyleVectorSource:
    """A gallery name, an image file or a learned-style file as a StyleVectorSource."""
    if name_or_path.endswith(SUFFIX) and Path(name_or_path).is_file():
        learned = read_learned(name_or_path)
        return StyleVectorSource(learned.name, str(learned.path), weight, "learned")
    style = find_style(name_or_path)
    learned = learned_for(style.name) if use_learned else None
    if learned is not None:
        return StyleVectorSource(style.name, str(learned.path), weight, "learned")
    return StyleVectorSource(style.name, str(style.path), weight, "image")
