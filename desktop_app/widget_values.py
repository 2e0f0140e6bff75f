"""Putting stored values into widgets safely.

Values restored from settings, history entries and artworks' parameters come from files a person
(or another program) may have edited: "steps": 1e11, a NaN strength, a seed that is a string, a
2 MB prompt. Every panel puts such values into its widgets through these helpers, so a number
always lands inside its widget's range and text stays short enough for the prompt box to stay
responsive.
"""

from __future__ import annotations

import math
from numbers import Real

from PySide6.QtWidgets import QAbstractSlider, QDoubleSpinBox, QSpinBox

from desktop_app.seed_field import SeedField

# Far more than any real prompt (Stable Diffusion reads 77 tokens), small enough that the text box
# lays it out instantly and a remembered prompt keeps the settings file small.
MAX_PROMPT_CHARACTERS = 10_000


def clamped_number(value: object, minimum: float, maximum: float) -> float | None:
    """``value`` as a number inside [minimum, maximum]; None for NaN, text, bools and other non-numbers."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    number = float(value)
    if math.isnan(number):
        return None
    return min(max(number, minimum), maximum)  # ±inf and 1e11 end at the range's ends


def number_from_text(value: object) -> float | None:
    """A number from parameters text ("1.7"), or a number as it is; None for anything else."""
    if isinstance(value, Real) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and len(value) <= 40:  # a longer "number" is not one worth parsing
        try:
            return float(value)
        except ValueError:
            return None
    return None


def set_number(widget: QSpinBox | QDoubleSpinBox | QAbstractSlider | SeedField, value: object, scale: float = 1.0) -> bool:
    """Show ``value × scale`` in ``widget``, clamped into its range. A value that is not a number
    (NaN, text, None) leaves the widget as it is, at its default; returns whether it was set."""
    target = widget.spin if isinstance(widget, SeedField) else widget
    scaled = value * scale if isinstance(value, Real) and not isinstance(value, bool) else value
    number = clamped_number(scaled, target.minimum(), target.maximum())
    if number is None:
        return False
    target.setValue(number if isinstance(target, QDoubleSpinBox) else round(number))
    return True


def capped_text(value: object, limit: int = MAX_PROMPT_CHARACTERS) -> tuple[str, bool]:
    """(``value`` as text cut to ``limit`` characters, whether it was cut); non-text becomes ""."""
    text = value if isinstance(value, str) else ""
    return (text[:limit], True) if len(text) > limit else (text, False)
