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

log = logging.getLogger(__name__)

THUMBNAIL_SIDE = 192


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
            record = json.loads(metadata.read_text("utf-8"))
            info = GenerationInfo(**record["info"]) if record.get("info") else None
            return HistoryEntry(
                id=str(record["id"]),
                name=str(record.get("name", "")),
                created=float(record["created"]),
                width=int(record["width"]),
                height=int(record["height"]),
                info=info,
                folder=self.folder,
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("Skipping damaged history entry %s: %s", metadata.name, exc)
            return None

    def load_image(self, entry: HistoryEntry) -> np.ndarray:
        """The entry's full image; a clear GenArtError if it was deleted or damaged since it was listed."""
        try:
            return load_image(entry.image_path)
        except ImageLoadError as exc:
            raise GenArtError(f"The history image “{entry.name}” from {time.ctime(entry.created)} is gone or damaged: {exc}") from None

    def remove(self, entry: HistoryEntry) -> None:
        for path in (entry.metadata_path, entry.image_path, entry.thumbnail_path):
            path.unlink(missing_ok=True)
