"""Sane bounds for model configs read from cards, checked before any network is built.

A card is a file anyone can edit; a config of the wrong type, or one asking for a network of
hundreds of gigabytes, must end in a clear message, not a raw error or a huge allocation. Each
config estimates its parameter count from its fields (cheap arithmetic, no tensors) and refuses
anything above MAX_PARAMETERS.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from genart_core.validate import InvalidDataError, as_dict

# 500 million float32 parameters are 2 GB: above the largest network these small families make
# (the bundled ones have 0.2–2 million), yet far below what would exhaust a desktop's memory.
MAX_PARAMETERS = 500_000_000

Config = TypeVar("Config")


def read_fields(values: Any, readers: dict[str, Callable[[Any, str], Any]], what: str) -> dict[str, Any]:
    """The known fields of a config object, each through its reader; absent ones are left to the defaults."""
    record = as_dict(values, what)
    return {name: read(record[name], f"{what}: {name}") for name, read in readers.items() if name in record}


def config_from_card(config_type: type[Config], values: Any, readers: dict[str, Callable[[Any, str], Any]], what: str) -> Config:
    """A config built from a card's fields. Its own ValueError (an image shape the network cannot
    make) becomes an InvalidDataError that names the card's config."""
    fields = read_fields(values, readers, what)
    try:
        return config_type(**fields)
    except ValueError as exc:
        raise InvalidDataError(f"{what}: {exc}.") from None


def check_parameter_budget(parameters: int, what: str) -> None:
    if parameters > MAX_PARAMETERS:
        raise InvalidDataError(
            f"{what} describes a network of about {parameters / 1e6:,.0f} million parameters "
            f"({parameters * 4 / 1e9:,.1f} GB); at most {MAX_PARAMETERS / 1e6:,.0f} million are loaded. The card is damaged or not for this app."
        )
