"""Autosave every minute to the user data folder, and recovery after a crash.

Each running session writes ``<data_dir>/autosave/session-<id>.ora`` (all layers, fast PNG
compression, on a background thread) and holds ``session-<id>.lock`` (a QLockFile, which records
the process and is considered stale once that process is gone). A clean exit deletes both. At the
next start, an autosave whose lock is not held by a living process is offered for recovery.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_app.canvas import Canvas
from desktop_app.image_loading import decode_off_gui_thread
from genart_core import paths, validate
from genart_core.api import GenArtError
from genart_core.atomic import write_bytes_atomic
from genart_core.leftovers import remove_dead_sessions
from genart_core.ora import OraDocument, read_ora, write_ora

log = logging.getLogger(__name__)

INTERVAL_MS = 60_000
FAST_PNG = 1  # zlib level: autosaves of a 4096×4096 document must not take long


def autosave_folder() -> Path:
    folder = paths.data_dir() / "autosave"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Autosaver(QObject):
    saved = Signal(str)  # the autosave file
    failed = Signal(str)  # a message for a person
    _done = Signal(str, str)  # path, error ("" on success): from the writer thread

    def __init__(self, canvas: Canvas, interval_ms: int = INTERVAL_MS, folder: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.folder = folder or autosave_folder()
        session = f"{os.getpid()}-{int(time.time() * 1000)}"
        self.path = self.folder / f"session-{session}.ora"
        self._lock = QLockFile(str(self.path.with_suffix(".lock")))
        self._lock.setStaleLockTime(0)  # only a dead owner makes it stale, never its age
        self._lock.tryLock(0)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autosave")
        self._saved_index: int | None = None
        self._reported_failure = False
        self._done.connect(self._on_done)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    @Slot()
    def tick(self) -> None:
        """Save if there are changes the last autosave does not have; drop the autosave once saved by the user."""
        if not self.canvas.is_modified:
            self._discard_files()
            self._saved_index = None
            return
        if self.canvas.undo_stack.index() != self._saved_index:
            self.save_now()

    def save_now(self) -> Future:
        """Snapshot the layers here (GUI thread) and write them on the writer thread."""
        self._saved_index = self.canvas.undo_stack.index()
        document = OraDocument(self.canvas.document.width, self.canvas.document.height, self.canvas.core_layers())
        source = str(self.canvas.document_path) if self.canvas.document_path else None
        return self._writer.submit(self._write, document, source)

    def _write(self, document: OraDocument, source: str | None) -> None:
        try:
            write_ora(self.path, document, compress_level=FAST_PNG)
            record = {"saved": time.time(), "document": source}
            write_bytes_atomic(self.path.with_suffix(".json"), json.dumps(record).encode("utf-8"))
            self._done.emit(str(self.path), "")
        except GenArtError as exc:
            self._done.emit(str(self.path), str(exc))
        except Exception as exc:  # noqa: BLE001 - autosave must never take the app down
            log.exception("Autosave failed")
            self._done.emit(str(self.path), f"Autosave failed: {exc}")

    @Slot(str, str)
    def _on_done(self, path: str, error: str) -> None:
        if not error:
            self._reported_failure = False
            self.saved.emit(path)
        elif not self._reported_failure:  # say it once, not every minute
            self._reported_failure = True
            self._saved_index = None  # try again at the next tick
            self.failed.emit(f"Autosave could not write to {self.folder}: {error}")

    def _discard_files(self) -> None:
        _remove((self.path, self.path.with_suffix(".json")))

    def shutdown(self) -> None:
        """A clean exit: nothing to recover next time. Never raises (it runs while the window
        closes): a file that cannot be removed, on a read-only disk say, is logged and left."""
        self.timer.stop()
        self._writer.shutdown(wait=True)
        self._discard_files()
        self._lock.unlock()


def find_recoverable(folder: Path | None = None) -> list[Path]:
    """Autosaves of sessions that ended without a clean exit, newest first (never a live session's)."""
    folder = folder or autosave_folder()
    found = []
    for path in folder.glob("session-*.ora"):
        lock = QLockFile(str(path.with_suffix(".lock")))
        lock.setStaleLockTime(0)
        if lock.tryLock(0):  # nobody alive holds it
            lock.unlock()
            found.append(path)
    return sorted(found, key=lambda path: path.stat().st_mtime, reverse=True)


def recover(canvas: Canvas, path: Path) -> bool:
    """Load an autosave onto the canvas as unsaved work, then delete it. False (and a message) if unreadable."""
    try:
        document = decode_off_gui_thread(canvas, read_ora, path)  # a big document takes seconds
    except GenArtError as exc:
        canvas.load_failed.emit(f"The autosaved work could not be recovered: {exc}")
        return False
    canvas.load_document(document, "Recover autosave")
    canvas.document_path = _recorded_document(path)
    discard(path)
    return True


def _recorded_document(autosave: Path) -> Path | None:
    """The file the autosaved work was last saved as, from the record beside it; None when there is
    none or the record is damaged (the recovered work then asks for a name at its next save)."""
    try:
        record = validate.as_dict(validate.read_json_file(autosave.with_suffix(".json")), "The autosave record")
        document = record.get("document")
        return Path(validate.as_path_text(document, "The autosaved document's name")) if document else None
    except FileNotFoundError:
        return None
    except (OSError, validate.InvalidDataError) as exc:
        log.warning("Recovering without the document's name: %s", exc)
        return None


def discard(path: Path) -> None:
    _remove((path, path.with_suffix(".json"), path.with_suffix(".lock")))


def _remove(files: tuple[Path, ...]) -> None:
    for path in files:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:  # a read-only or vanished disk: the next start tries again
            log.warning("Could not remove the autosave file %s: %s", path, exc.strerror or exc)


def remove_leftovers_in_background() -> threading.Thread:
    """At start-up, off the GUI thread: delete what killed sessions left (temporary save files,
    undo scratch folders; gigabytes, sometimes). A running instance's files are never touched."""

    def sweep() -> None:
        try:
            freed = remove_dead_sessions()
        except Exception:  # noqa: BLE001 - a clean-up must never take the app down
            log.exception("Could not remove the files of ended sessions")
            return
        if freed:
            log.info("Removed %.1f MB left by sessions that ended without a clean exit", freed / 2**20)

    thread = threading.Thread(target=sweep, name="remove-leftovers", daemon=True)
    thread.start()
    return thread


def offer_recovery(parent: QWidget, canvas: Canvas) -> bool:
    """At start-up: ask whether to recover the newest crashed session's work (older ones are kept for later)."""
    candidates = find_recoverable()
    if not candidates:
        return False
    newest = candidates[0]
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(newest.stat().st_mtime))
    answer = QMessageBox.question(
        parent,
        "Recover unsaved work?",
        f"GenArt Studio did not close properly last time. Recover the work autosaved at {when}?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Discard,
        QMessageBox.StandardButton.Yes,
    )
    if answer == QMessageBox.StandardButton.Yes:
        return recover(canvas, newest)
    discard(newest)
    return False
