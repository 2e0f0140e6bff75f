"""Reproduce: the panel of a stored request's family takes its settings back.

A result's GenerationInfo keeps the request that made it (``info.request["type"]`` is the request
class's name). Each family registers the request types it restores, a restorer (its panel's
``apply_info``, which returns what it could not restore) and how to bring that panel into view.
Parameters without a request (files from other tools, or a JPEG/WebP whose request was too big
for EXIF, keep only the ``parameters`` text) are recognised by the fields our pipelines write ("Style weights", "kind"); anything else is Stable Diffusion
settings (AUTOMATIC1111's text, or another tool's) and goes to the family registered for them.
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
        if not isinstance(type_name, str):
            type_name = request_type_from_parameters(info)
        family = self._by_type.get(type_name) if type_name is not None else self._untyped
        if family is None:
            return "No panel can restore this picture's settings (they come from a kind of job no panel runs)."
        notes = family.restore(info)
        family.show()
        message = f"Settings restored in the {family.panel} panel"
        if notes:
            log.info("Reproduce left out: %s", "; ".join(notes))
            message += " — not restored: " + "; ".join(notes)
        return message


def request_type_from_parameters(info: GenerationInfo) -> str | None:
    """The request type of parameters stored without their request, from the fields our pipelines
    write: style transfer's "Style weights", GAN/VAE's "kind". None: Stable Diffusion settings."""
    extra = info.extra if isinstance(info.extra, dict) else {}
    if "Style weights" in extra:
        return "StyleTransferRequest"
    kind = extra.get("kind")
    if kind in ("gan", "vae"):
        return f"{kind.capitalize()}SampleRequest"
    return None
