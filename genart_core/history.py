"""Every result the app made, this session and earlier ones, kept in the user data folder.

Each entry is three files in ``<data_dir>/history/``: ``<id>.png`` (the full image with its
parameters, readable by any Stable Diffusion tool), ``<id>.thumb.png`` and ``<id>.json`` (when,
what and how). One small JSON file per entry, not one index, so a crash mid-write can damage at
most the entry being written — and writes are atomic anyway.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genart_core import paths
from genart_core.api import GenArtError, GenerationInfo
from genart_core.artwork import save_artwork
from genart_core.atomic import write_bytes_atomic
from genart_core.imaging import ImageLoadError, fit_within, load_image
from genart_core.metadata import info_from_dict
from genart_core.validate import InvalidDataError, as_dict, as_float, as_int, as_str, read_json_file

log = logging.getLogger(__name__)

THUMBNAIL_SIDE = 192
METADATA_MAX_BYTES = 1_000_000  # an honest entry is a few KB (a long prompt and the request)
# Damaged metadata is renamed to <id>.json.damaged: kept for the curious, never read again.
DAMAGED_SUFFIX = ".damaged"
# Entry ids are made by add(); anything else could name files outside the history folder.
_ENTRY_ID = re.compile(r"[\w.-]{1,100}")
_LATEST_TIME = 4102444800.0  # 2100-01-01: a later 'created' is damage, not a date


@dataclass(frozen=True)
class HistoryEntry:
    id: str
    name: str  # what made it ("Style transfer", a model name, …)
    created: float  # seconds since the epoch
    width: int
    height: int
    info: GenerationInfo | None
    folder: Path

    @property
    def image_path(self) -> Path:
        return self.folder / f"{self.id}.png"

    @property
    def thumbnail_path(self) -> Path:
        return self.folder / f"{self.id}.thumb.png"

    @property
    def metadata_path(self) -> Path:
        return self.folder / f"{self.id}.json"


class HistoryStore:
    """Add, list, open and delete results. ``folder`` defaults to ``<data_dir>/history``."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or paths.data_dir() / "history"
        # What entries() set aside since take_set_aside() was last called, for a one-time notice.
        self._set_aside: list[str] = []

    def take_set_aside(self) -> list[str]:
        """Messages about damaged entries set aside since the last call (each is reported once)."""
        messages, self._set_aside = self._set_aside, []
        return messages

    def add(self, image: np.ndarray, info: GenerationInfo | None, name: str) -> HistoryEntry:
        """Store one result. Raises SaveError (a GenArtError) when the disk is full or read-only."""
        self.folder.mkdir(parents=True, exist_ok=True)
        entry = HistoryEntry(
            id=f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}",
            name=name,
            created=time.time(),
            width=int(image.shape[1]),
            height=int(image.shape[0]),
            info=info,
            folder=self.folder,
        )
        save_artwork(entry.image_path, image, info)
        save_artwork(entry.thumbnail_path, fit_within(image, THUMBNAIL_SIDE))
        # The metadata goes last: an entry is listed only once its image is complete.
        record = {
            "id": entry.id,
            "name": name,
            "created": entry.created,
            "width": entry.width,
            "height": entry.height,
            "info": dataclasses.asdict(info) if info is not None else None,
        }
        write_bytes_atomic(entry.metadata_path, json.dumps(record, indent=1).encode("utf-8"))
        return entry

    def entries(self) -> list[HistoryEntry]:
        """Newest first. Damaged metadata files are skipped (and logged), never fatal."""
        if not self.folder.is_dir():
            return []
        found = []
        for metadata in self.folder.glob("*.json"):
            entry = self._read(metadata)
            if entry is not None:
                found.append(entry)
        return sorted(found, key=lambda entry: entry.created, reverse=True)

    def _read(self, metadata: Path) -> HistoryEntry | None:
        try:
            return self._entry_from(read_json_file(metadata, METADATA_MAX_BYTES), metadata.name)
        except OSError as exc:  # unreadable now (permissions, a busy disk): try again next time
            log.warning("Skipping unreadable history entry %s: %s", metadata.name, exc)
        except InvalidDataError as exc:
            self._set_aside_damaged(metadata, exc)
        return None

    def _entry_from(self, value: object, what: str) -> HistoryEntry:
        record = as_dict(value, what)
        entry_id = as_str(record.get("id"), f"{what}: id", 100)
        if not _ENTRY_ID.fullmatch(entry_id):
            raise InvalidDataError(f"{what}: id {entry_id!r} is not a history entry id.")
        name = record.get("name", "")
        info = record.get("info")
        return HistoryEntry(
            id=entry_id,
            name=as_str(name, f"{what}: name", 1_000) if name is not None else "",
            created=as_float(record.get("created"), f"{what}: created", 0.0, _LATEST_TIME),
            width=as_int(record.get("width"), f"{what}: width", 1, 1 << 16),
            height=as_int(record.get("height"), f"{what}: height", 1, 1 << 16),
            # An info that is not an object at all means the entry is damaged; a bad field in it is only dropped.
            info=info_from_dict(as_dict(info, f"{what}: info"), f"{what}: info") if info else None,
            folder=self.folder,
        )

    def _set_aside_damaged(self, metadata: Path, problem: InvalidDataError) -> None:
        """Rename damaged metadata so it is reported once and never read again; the image stays."""
        log.warning("Setting aside damaged history entry %s: %s", metadata.name, problem)
        try:
            metadata.replace(metadata.with_name(metadata.name + DAMAGED_SUFFIX))
        except OSError as exc:
            log.warning("Could not rename %s (%s); it will be skipped again next time", metadata.name, exc)
        self._set_aside.append(f"History entry {metadata.stem} was damaged and is hidden: {problem}")

    def load_image(self, entry: HistoryEntry) -> np.ndarray:
        """The entry's full image; a clear GenArtError if it was deleted or damaged since it was listed."""
        try:
            return load_image(entry.image_path)
        except ImageLoadError as exc:
            raise GenArtError(f"The history image “{entry.name}” from {time.ctime(entry.created)} is gone or damaged: {exc}") from None

    def remove(self, entry: HistoryEntry) -> None:
        for path in (entry.metadata_path, entry.image_path, entry.thumbnail_path):
            path.unlink(missing_ok=True)
