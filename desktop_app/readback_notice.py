"""The one-time notice after start: stored things that were damaged and set aside.

History entries and remembered models that could not be read are set aside by the core (renamed
.damaged, dropped from the model list with a copy kept), so this notice lists each once, and only
what a user would miss; settings that were reset are only logged.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox, QWidget

from genart_core import sd_models
from genart_core.history import HistoryStore

_MAX_LISTED = 8  # a long list helps nobody; the log has every item


def show_readback_notice(parent: QWidget, history: HistoryStore) -> QMessageBox | None:
    """Show what was set aside, once the event loop runs (so it opens over the shown window) and
    not modal (so start-up never waits on it); None when nothing was."""
    notes = sd_models.repair_registry() + history.take_set_aside()  # models first: fewer, and harder to redo
    if not notes:
        return None
    listed = notes[:_MAX_LISTED]
    if len(notes) > _MAX_LISTED:
        listed.append(f"…and {len(notes) - _MAX_LISTED} more (see the log).")
    box = QMessageBox(QMessageBox.Icon.Information, "Some saved items could not be read",
                      "GenArt Studio started normally, but left out these damaged items:", QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("ReadbackNotice")
    box.setInformativeText("\n\n".join(listed))
    box.setModal(False)
    QTimer.singleShot(0, box, box.show)  # the box as context: no call if it is gone first
    return box
