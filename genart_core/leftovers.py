"""Temporary files of this process, and the removal of those a dead process left behind.

A process killed mid-save leaves its hidden ``.NAME.*.part`` file beside the user's document; one
killed while running leaves its undo scratch folder in the cache. Neither can be found later by a
pattern without scanning the disk, nor told apart from a running instance's by its name. So each
process holds a ``Session`` in ``<cache>/sessions``:

- ``<id>.lock``: locked (``flock``; ``msvcrt.locking`` on Windows) for the life of the process. The
  operating system releases the lock when the process dies, however it dies (SIGKILL included), so
  a lock anyone can take belongs to a dead session.
- ``<id>.journal``: the temporary files this session is writing right now, one line each: the
  file's folder and the start of its name, ``.NAME.TOKEN.`` (the random rest is chosen when it is
  created, after the line is written). TOKEN is the session's, so no other session's file matches.
  The journal is emptied whenever no write is in progress.
- ``<id>/``: its scratch folder (undo data moved out of memory).

``remove_dead_sessions`` (run at start-up) deletes, for every session whose lock it can take, the
journal's temporary files, the scratch folder and the session's own files — never a live session's.
"""

from __future__ import annotations

import glob
import logging
import os
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import IO

from genart_core import paths

log = logging.getLogger(__name__)

SESSIONS_FOLDER = "sessions"
TEMP_SUFFIX = ".part"  # of temporary files (genart_core.atomic)
# Undo scratch folders of versions before sessions existed sat directly in the cache; a folder
# untouched for a day cannot belong to a running instance that still uses it.
LEGACY_SCRATCH_AGE_S = 24 * 3600


def _try_lock(stream: IO[bytes]) -> bool:
    """Take an exclusive lock on ``stream``'s file without waiting; False if another process holds it."""
    try:
        if os.name == "nt":
            import msvcrt

            msvcrt.locking(stream.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class Session:
    """This process's lock, journal of temporary files and scratch folder (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.pid = os.getpid()
        self.token = secrets.token_hex(4)  # in this session's temporary file names
        self.id = f"{self.pid}-{self.token}"
        self.lock_path = folder / f"{self.id}.lock"
        self.journal_path = folder / f"{self.id}.journal"
        self._pending: set[str] = set()
        self._mutex = threading.Lock()  # saves run on the GUI thread and the autosave thread
        self._lock_stream = self._hold_lock()

    def _hold_lock(self) -> IO[bytes]:
        # Lock under a name no sweeper looks at, then rename: a ``.lock`` file is never seen unlocked.
        # (Windows cannot rename an open file; there the lock is taken right after creation.)
        staging = self.lock_path if os.name == "nt" else self.folder / f"{self.id}.starting"
        stream = open(staging, "wb")  # noqa: SIM115 - held open for the life of the process
        if not _try_lock(stream):
            raise OSError(f"could not lock {staging}")
        stream.write(str(self.pid).encode("ascii"))
        stream.flush()
        if staging != self.lock_path:
            os.replace(staging, self.lock_path)
        return stream

    def scratch_folder(self) -> Path:
        folder = self.folder / self.id
        folder.mkdir(exist_ok=True)
        return folder

    def begin_temporary(self, path: Path) -> None:
        """Record ``path`` (folder and name prefix) before the file is created."""
        with self._mutex:
            self._pending.add(str(path))
            self._write_journal("a", f"{path}\n")

    def end_temporary(self, path: Path) -> None:
        """The file is gone (renamed over its target, or deleted)."""
        with self._mutex:
            self._pending.discard(str(path))
            if not self._pending:  # keep the journal short: nothing is in progress
                self._write_journal("w", "")

    def _write_journal(self, mode: str, text: str) -> None:
        # A cache folder that became unwritable must not stop the user's save: log and go on.
        try:
            with open(self.journal_path, mode, encoding="utf-8") as journal:
                journal.write(text)
        except OSError as exc:
            log.warning("Could not update the journal of temporary files (%s)", exc)


_sessions: dict[Path, Session] = {}
_sessions_mutex = threading.Lock()


def current_session() -> Session:
    """This process's session in the current cache folder (created on first use; a forked child gets its own)."""
    folder = paths.cache_dir() / SESSIONS_FOLDER
    with _sessions_mutex:
        session = _sessions.get(folder)
        if session is None or session.pid != os.getpid():
            session = _sessions[folder] = Session(folder)
        return session


def remove_dead_sessions(cache: Path | None = None) -> int:
    """Delete what dead sessions left (temporary files, scratch folders); returns the bytes freed.
    Sessions whose lock is held by a living process are left alone."""
    cache = cache or paths.cache_dir()
    folder = cache / SESSIONS_FOLDER
    freed = _remove_legacy_scratch(cache)
    if not folder.is_dir():
        return freed
    ours = {session.id for session in _sessions.values()}
    for lock_path in [*folder.glob("*.lock"), *folder.glob("*.starting")]:
        if lock_path.stem in ours:
            continue
        try:
            stream = open(lock_path, "r+b")  # noqa: SIM115 - closed below, after the clean-up
        except OSError:
            continue
        with stream:
            if not _try_lock(stream):
                continue  # a running instance
            session_id = lock_path.stem
            freed += _remove_journaled(folder / f"{session_id}.journal")
            freed += _remove_tree(folder / session_id)
            (folder / f"{session_id}.journal").unlink(missing_ok=True)
            lock_path.unlink(missing_ok=True)
            log.info("Removed the leftovers of ended session %s", session_id)
    return freed


def _remove_journaled(journal: Path) -> int:
    """Delete the temporary files a journal lists: in the named folder, the hidden files whose names
    start with the recorded prefix and end in ``.part``. Nothing else is ever touched, so a damaged
    journal cannot make us delete a user's document."""
    try:
        lines = journal.read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return 0
    freed = 0
    for line in set(lines):
        pattern = Path(line)
        prefix = pattern.name
        if not (pattern.is_absolute() and prefix.startswith(".") and prefix.endswith(".") and len(prefix) > 2):
            log.warning("Ignoring an unexpected journal entry: %r", line[:200])
            continue
        for path in pattern.parent.glob(glob.escape(prefix) + "*" + TEMP_SUFFIX):
            try:
                size = path.stat().st_size
                path.unlink()
            except OSError:
                continue  # already gone
            freed += size
    return freed


def _remove_tree(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    size = 0
    for path in folder.rglob("*"):
        try:
            size += path.stat().st_size if path.is_file() else 0
        except OSError:
            continue
    shutil.rmtree(folder, ignore_errors=True)
    return size


def _remove_legacy_scratch(cache: Path) -> int:
    freed = 0
    now = time.time()
    for folder in cache.glob("undo-*"):
        try:
            stale = now - folder.stat().st_mtime > LEGACY_SCRATCH_AGE_S
        except OSError:
            continue
        if stale and folder.is_dir():
            freed += _remove_tree(folder)
    return freed
