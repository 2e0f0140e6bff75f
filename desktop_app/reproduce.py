"""Reproduce: the panel of a stored request's family takes its settings back.

A result's GenerationInfo keeps the request that made it (``info.request["type"]`` is the request
class's name). Each family registers the request types it restores, a restorer (its panel's
``apply_info``, which returns what it could not restore) and how to bring that panel into view.
Parameters written by other programs carry no request type; they are Stable Diffusion settings
(AUTOMATIC1111's ``parameters`` text), so they go to the family registered for untyped
parameters.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Iterable

from genart_core.api import GenerationInfo

log = logging.getLogger(__name__)

Restorer = Callable[[GenerationInfo], list[str]]


@dataclass(frozen=True)
class _Family:
    panel: str  # the panel's name, as people see it in the window
    restore: Restorer
    show: Callable[[], None]


class SettingsRestorers:
    def __init__(self) -> None:
        self._by_type: dict[str, _Family] = {}
        self._untyped: _Family | None = None

    def register(self, request_types: Iterable[type], panel: str, restore: Restorer, show: Callable[[], None], untyped: bool = False) -> None:
        family = _Family(panel, restore, show)
        for request_type in request_types:
            self._by_type[request_type.__name__] = family
        if untyped:
            self._untyped = family

    def restore(self, info: GenerationInfo) -> str:
        """Restore ``info`` in its family's panel and show that panel; a status-bar message says where and what was left out."""
        request = info.request if isinstance(info.request, dict) else {}
        type_name = request.get("type")
        family = self._by_type.get(type_name) if isinstance(type_name, str) else self._untyped
        if family is None:
            label = type_name if isinstance(type_name, str) else "these"
            return f"No panel makes {label[:60]} pictures, so there are no settings to restore."
        notes = family.restore(info)
        family.show()
        message = f"Settings restored in the {family.panel} panel"
        if notes:
            log.info("Reproduce left out: %s", "; ".join(notes))
            message += " — not restored: " + "; ".join(notes)
        return message
