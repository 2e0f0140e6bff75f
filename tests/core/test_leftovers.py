"""Temporary files of sessions killed mid-save, and their scratch folders, are removed at the next
start; a running session's never are. The sessions are real processes killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from genart_core import paths
from genart_core.atomic import MAX_NAME_BYTES, write_bytes_atomic
from genart_core.leftovers import SESSIONS_FOLDER, current_session, remove_dead_sessions

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

# A session that starts a save, reports it is half-way, and waits to be killed.
_SAVING_CHILD = textwrap.dedent(
    """
    import sys, time, tempfile
    from genart_core.atomic import atomic_write
    from genart_core.leftovers import current_session
    scratch = tempfile.mkdtemp(prefix="undo-", dir=current_session().scratch_folder())
    open(scratch + "/payload.npz", "wb").write(b"u" * 300_000)
    with atomic_write(sys.argv[1]) as stream:
        stream.write(b"x" * 500_000)
        stream.flush()
        print("half-way", flush=True)
        time.sleep(60)
    """
)


def _start_saving_session(target: Path) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", _SAVING_CHILD, str(target)], stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    assert child.stdout.readline().strip() == "half-way", "the child session did not start its save"
    return child


def _kill(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)


def _part_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.part"))


def test_a_session_killed_mid_save_is_cleaned_at_the_next_start_but_a_live_one_is_not(tmp_path):
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "painting.ora").write_bytes(b"the user's earlier save")
    dead = _start_saving_session(documents / "painting.ora")
    _kill(dead)
    alive = _start_saving_session(documents / "other.png")
    try:
        leftovers = _part_files(documents)
        assert len(leftovers) == 2 and all(path.stat().st_size == 500_000 for path in leftovers)
        sessions = paths.cache_dir() / SESSIONS_FOLDER
        assert len(list(sessions.glob("*/undo-*"))) == 2

        freed = remove_dead_sessions()  # what the next start does

        assert freed == 500_000 + 300_000
        (survivor,) = _part_files(documents)
        assert survivor.name.startswith(".other.png.")  # the running session's save is untouched
        assert len(list(sessions.glob("*/undo-*"))) == 1
        assert (documents / "painting.ora").read_bytes() == b"the user's earlier save"
    finally:
        _kill(alive)
    assert remove_dead_sessions() == 800_000
    assert _part_files(documents) == [] and list(sessions.iterdir()) == []
    assert sorted(path.name for path in documents.iterdir()) == ["painting.ora"]


def test_this_process_never_removes_its_own_files(tmp_path):
    scratch = current_session().scratch_folder()
    (scratch / "undo.npz").write_bytes(b"1234")
    assert remove_dead_sessions() == 0
    assert (scratch / "undo.npz").is_file() and current_session().lock_path.is_file()


def test_a_damaged_journal_never_deletes_a_document(tmp_path):
    sessions = paths.cache_dir() / SESSIONS_FOLDER
    sessions.mkdir(parents=True)
    document = tmp_path / "photo.jpg"
    document.write_bytes(b"precious")
    (sessions / "1-deadbeef.lock").write_bytes(b"1")  # nobody holds it: a dead session
    (sessions / "1-deadbeef.journal").write_text(f"{document}\n{tmp_path}/\nnot a path\n{tmp_path}/.photo.jpg.\n", "utf-8")
    assert remove_dead_sessions() == 0
    assert document.read_bytes() == b"precious"
    assert list(sessions.iterdir()) == []


@pytest.mark.parametrize("length", [241, 250, 255])
def test_names_up_to_the_file_system_limit_save(tmp_path, length):
    name = "é" * ((length - 4) // 2) + "a" * ((length - 4) % 2) + ".png"
    assert len(os.fsencode(name)) == length <= MAX_NAME_BYTES
    write_bytes_atomic(tmp_path / name, b"picture")
    assert (tmp_path / name).read_bytes() == b"picture"
    assert _part_files(tmp_path) == []


def test_undo_folders_of_older_versions_are_removed_once_a_day_old():
    cache = paths.cache_dir()
    old, recent = cache / "undo-old", cache / "undo-recent"
    for folder in (old, recent):
        folder.mkdir()
        (folder / "payload.npz").write_bytes(b"z" * 1000)
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    assert remove_dead_sessions() == 1000
    assert not old.exists() and recent.is_dir()  # may belong to an old version still running


def test_genart_commands_that_write_files_clean_up_after_dead_sessions_first(tmp_path, capsys):
    from genart_core.cli import main

    _kill(_start_saving_session(tmp_path / "painting.png"))
    assert len(_part_files(tmp_path)) == 1
    assert main(["models", "list"]) == 0  # writes nothing: leaves the clean-up to the commands that do
    assert len(_part_files(tmp_path)) == 1
    # The size is refused before any model is loaded; the clean-up has already run by then.
    assert main(["generate", "digit 1", "--size", "big", "-o", str(tmp_path / "out.png")]) == 1
    assert _part_files(tmp_path) == [] and list((paths.cache_dir() / SESSIONS_FOLDER).glob("*/undo-*")) == []
    assert "--size must look like" in capsys.readouterr().err
