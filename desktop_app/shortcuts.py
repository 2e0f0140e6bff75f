"""Key sequences for actions, without duplicates.

Qt registers every sequence in an action's list. When a sequence appears twice (our own choice
plus the platform's standard binding for the same key, as Ctrl+Shift+Z for Redo on X11 desktops),
the shortcut map holds two entries for one action and Qt answers the key with "Ambiguous shortcut
overload" instead of triggering anything.
"""

from __future__ import annotations

from PySide6.QtGui import QKeySequence


def unique_shortcuts(*choices: QKeySequence | QKeySequence.StandardKey | str) -> list[QKeySequence]:
    """Every sequence of ``choices`` once, in order; a StandardKey adds all of the platform's bindings."""
    sequences: list[QKeySequence] = []
    for choice in choices:
        if isinstance(choice, QKeySequence.StandardKey):
            sequences.extend(QKeySequence.keyBindings(choice))
        else:
            sequences.append(QKeySequence(choice))
    unique: list[QKeySequence] = []
    for sequence in sequences:
        if not sequence.isEmpty() and sequence not in unique:
            unique.append(sequence)
    return unique


def redo_shortcuts() -> list[QKeySequence]:
    """Ctrl+Shift+Z and Ctrl+Y everywhere (painters expect both), plus the platform's own, once each."""
    return unique_shortcuts("Ctrl+Shift+Z", "Ctrl+Y", QKeySequence.StandardKey.Redo)
