"""Undo commands for every canvas edit, and the budget that keeps their memory bounded.

Pixel edits store only the tiles they changed (before and after). Layer commands hold whole
layers while those are out of the document (an undone "add", a replaced document). All of that is
a ``Payload``; ``UndoMemory`` moves the oldest payloads to a scratch folder on disk when the total
in memory passes its limit, so a long session on a large image cannot exhaust memory, yet every
step can still be undone.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtGui import QUndoCommand

from desktop_app.canvas import pixels as px
from desktop_app.canvas.document import CanvasLayer, Document
from desktop_app.canvas.tiles import bounds, tile_slices
from genart_core.leftovers import current_session

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 768 * 2**20  # bytes of undo data kept in memory


class Payload:
    """Arrays an undo command needs; they may be spilled to disk and read back on demand."""

    def __init__(self, arrays: list[np.ndarray]) -> None:
        self._arrays: list[np.ndarray] | None = arrays
        self._count = len(arrays)
        self._file: Path | None = None
        self.nbytes = sum(array.nbytes for array in arrays)

    @property
    def resident(self) -> bool:
        return self._arrays is not None

    def arrays(self) -> list[np.ndarray]:
        if self._arrays is not None:
            return self._arrays
        assert self._file is not None
        with np.load(self._file, allow_pickle=False) as stored:
            return [stored[f"a{index}"] for index in range(self._count)]

    def spill(self, folder: Path) -> None:
        handle, name = tempfile.mkstemp(suffix=".npz", dir=folder)
        with open(handle, "wb") as stream:
            np.savez(stream, **{f"a{index}": array for index, array in enumerate(self._arrays or [])})
        self._file, self._arrays = Path(name), None

    def __del__(self) -> None:
        if self._file is not None:
            self._file.unlink(missing_ok=True)


class UndoMemory:
    """Tracks payloads (oldest first) and spills the oldest while more than ``limit`` bytes are in memory."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._payloads: list[weakref.ref[Payload]] = []
        self._folder: Path | None = None

    def track(self, payload: Payload) -> Payload:
        self._payloads.append(weakref.ref(payload))
        self._enforce(newest=payload)
        return payload

    def resident_bytes(self) -> int:
        return sum(payload.nbytes for payload in self._live() if payload.resident)

    def _live(self) -> list[Payload]:
        alive = [(ref, ref()) for ref in self._payloads]
        self._payloads = [ref for ref, payload in alive if payload is not None]
        return [payload for _ref, payload in alive if payload is not None]

    def _enforce(self, newest: Payload) -> None:
        payloads = self._live()
        total = sum(payload.nbytes for payload in payloads if payload.resident)
        for payload in payloads:
            if total <= self.limit:
                return
            if payload is newest or not payload.resident:
                continue
            try:
                payload.spill(self._scratch())
            except OSError as exc:  # a full or read-only disk: keep it in memory rather than lose it
                log.warning("Could not move undo data to disk (%s); keeping it in memory.", exc)
                return
            total -= payload.nbytes

    def _scratch(self) -> Path:
        if self._folder is None:
            # Inside this process's session folder, so the next start removes it if we are killed.
            self._folder = Path(tempfile.mkdtemp(prefix="undo-", dir=current_session().scratch_folder()))
        return self._folder

    def close(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


class PixelEdit(QUndoCommand):
    """Tiles of one pixel array (a layer, or the mask overlay) before and after an edit already made."""

    def __init__(
        self,
        document: Document,
        target: Callable[[], np.ndarray | None],
        changes: list[tuple[int, int, np.ndarray, np.ndarray]],
        memory: UndoMemory,
        text: str,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(text)
        self._document = document
        self._target = target
        self._keys = [(tile_y, tile_x) for tile_y, tile_x, _before, _after in changes]
        self._shape = target().shape  # type: ignore[union-attr]
        arrays = [array for _y, _x, before, after in changes for array in (before, after)]
        self._payload = memory.track(Payload(arrays))
        self._on_change = on_change
        self._done = True  # the edit was made before the command was pushed

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._write(after=True)

    def undo(self) -> None:
        self._write(after=False)

    def _write(self, after: bool) -> None:
        pixels = self._target()
        if pixels is None or pixels.shape != self._shape:
            log.info("Skipping %s: its target no longer exists.", self.text())
            return
        arrays = self._payload.arrays()
        for index, key in enumerate(self._keys):
            pixels[tile_slices(*key, pixels.shape)] = arrays[2 * index + (1 if after else 0)]
        if self._on_change is not None:
            self._on_change()
        self._document.refresh(bounds(self._keys, pixels.shape))


class _Parking:
    """Layers out of the document keep their pixels in a Payload, which UndoMemory may spill."""

    def __init__(self, memory: UndoMemory) -> None:
        self._memory = memory
        self._parked: dict[int, Payload] = {}

    def park(self, layers: list[CanvasLayer]) -> None:
        for layer in layers:
            if id(layer) not in self._parked:
                self._parked[id(layer)] = self._memory.track(Payload([layer.pixels]))
                layer.pixels = None  # type: ignore[assignment]  # the payload holds them now
                layer.qimage = None  # type: ignore[assignment]

    def unpark(self, layers: list[CanvasLayer]) -> None:
        for layer in layers:
            payload = self._parked.pop(id(layer), None)
            if payload is not None:
                layer.pixels = np.ascontiguousarray(payload.arrays()[0])
                layer.qimage = px.view(layer.pixels)


class ReplaceLayers(QUndoCommand):
    """Swap the whole layer stack (open a file, new document, flatten)."""

    def __init__(self, document: Document, layers: list[CanvasLayer], memory: UndoMemory, text: str, on_change: Callable[[], None]) -> None:
        super().__init__(text)
        self._document = document
        self._new, self._old = list(layers), list(document.layers)
        self._new_active, self._old_active = layers[-1] if layers else None, document.active
        self._parking = _Parking(memory)
        self._on_change = on_change

    def redo(self) -> None:
        self._swap(self._old, self._new, self._new_active)

    def undo(self) -> None:
        self._swap(self._new, self._old, self._old_active)

    def _swap(self, leaving: list[CanvasLayer], coming: list[CanvasLayer], active: CanvasLayer | None) -> None:
        self._parking.unpark(coming)
        self._document.set_layers(coming, active)
        self._parking.park(leaving)
        self._on_change()


class AddLayer(QUndoCommand):
    """Insert a layer; it becomes the brush's target unless ``activate`` is False."""

    def __init__(self, document: Document, layer: CanvasLayer, index: int, memory: UndoMemory, text: str, activate: bool = True) -> None:
        super().__init__(text)
        self._document, self._layer, self._index, self._activate = document, layer, index, activate
        self._previous_active = document.active
        self._parking = _Parking(memory)

    def redo(self) -> None:
        self._parking.unpark([self._layer])
        self._document.insert_layer(self._index, self._layer, self._activate)

    def undo(self) -> None:
        self._document.remove_layer(self._layer)
        self._document.set_active(self._previous_active)
        self._parking.park([self._layer])


class RemoveLayer(QUndoCommand):
    def __init__(self, document: Document, layer: CanvasLayer, memory: UndoMemory) -> None:
        super().__init__(f"Delete layer {layer.name}")
        self._document, self._layer = document, layer
        self._index = document.layers.index(layer)
        self._parking = _Parking(memory)

    def redo(self) -> None:
        self._document.remove_layer(self._layer)
        self._parking.park([self._layer])

    def undo(self) -> None:
        self._parking.unpark([self._layer])
        self._document.insert_layer(self._index, self._layer)


class MoveLayer(QUndoCommand):
    def __init__(self, document: Document, layer: CanvasLayer, index: int) -> None:
        super().__init__(f"Move layer {layer.name}")
        self._document, self._layer = document, layer
        self._old, self._new = document.layers.index(layer), index

    def redo(self) -> None:
        self._document.move_layer(self._layer, self._new)

    def undo(self) -> None:
        self._document.move_layer(self._layer, self._old)


class SetLayerProperty(QUndoCommand):
    """Opacity, visibility or name of one layer."""

    MERGE_ID = 0x6C61

    def __init__(self, document: Document, layer: CanvasLayer, name: str, value) -> None:
        super().__init__(f"Layer {name}")
        self._document, self._layer, self._name = document, layer, name
        self._old, self._new = getattr(layer, name), value

    def id(self) -> int:  # noqa: A003 - Qt's name
        # Dragging the opacity slider makes one undo step; visibility toggles stay separate.
        return self.MERGE_ID if self._name == "opacity" else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if not isinstance(other, SetLayerProperty) or other._layer is not self._layer or other._name != self._name:
            return False
        self._new = other._new
        return True

    def redo(self) -> None:
        self._document.set_property(self._layer, self._name, self._new)

    def undo(self) -> None:
        self._document.set_property(self._layer, self._name, self._old)
