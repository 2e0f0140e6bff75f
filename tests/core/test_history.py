"""The results history store (genart_core.history)."""

from __future__ import annotations

import errno

import numpy as np
import pytest

from genart_core.api import GenArtError, GenerationInfo
from genart_core.atomic import SaveError
from genart_core.history import HistoryStore
from genart_core.imaging import load_image


def _image(value: int) -> np.ndarray:
    return np.full((40, 60, 3), value, np.uint8)


def test_results_are_listed_newest_first_with_their_parameters(tmp_path):
    store = HistoryStore(tmp_path / "history")
    first = store.add(_image(10), GenerationInfo(prompt="first", seed=1), "Model A")
    second = store.add(_image(20), None, "Model B")
    entries = HistoryStore(tmp_path / "history").entries()  # a later session sees them too
    assert [entry.id for entry in entries] == [second.id, first.id]
    assert entries[1].info.prompt == "first" and entries[1].info.seed == 1
    assert np.array_equal(store.load_image(entries[1]), _image(10))
    assert max(load_image(entries[1].thumbnail_path).shape[:2]) <= 192


def test_a_vanished_file_gives_a_clear_error_and_can_be_removed(tmp_path):
    store = HistoryStore(tmp_path / "history")
    entry = store.add(_image(5), None, "Gone")
    entry.image_path.unlink()
    with pytest.raises(GenArtError, match="gone or damaged"):
        store.load_image(entry)
    store.remove(entry)
    assert store.entries() == []


def test_damaged_metadata_is_skipped(tmp_path):
    store = HistoryStore(tmp_path / "history")
    good = store.add(_image(1), None, "Good")
    (tmp_path / "history" / "broken.json").write_text("{not json")
    assert [entry.id for entry in store.entries()] == [good.id]


def test_a_read_only_folder_raises_a_save_error(tmp_path, monkeypatch):
    def read_only(*_args, **_kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("genart_core.atomic.tempfile.mkstemp", read_only)
    with pytest.raises(SaveError, match="not writable"):
        HistoryStore(tmp_path / "history").add(_image(1), None, "x")
    assert HistoryStore(tmp_path / "history").entries() == []


def test_damaged_metadata_is_set_aside_once_and_the_image_kept(tmp_path):
    store = HistoryStore(tmp_path / "history")
    entry = store.add(_image(1), None, "Good")
    damaged = tmp_path / "history" / "20260101-000000-deadbeef.json"
    damaged.write_text('{"id": "20260101-000000-deadbeef", "created": 1e300, "width": 4, "height": 4}')
    (tmp_path / "history" / "20260101-000000-deadbeef.png").write_bytes(b"the user's picture")
    assert [e.id for e in store.entries()] == [entry.id]
    notes = store.take_set_aside()
    assert len(notes) == 1 and "created is 1e+300" in notes[0]
    assert damaged.with_name(damaged.name + ".damaged").is_file() and not damaged.exists()
    assert (tmp_path / "history" / "20260101-000000-deadbeef.png").read_bytes() == b"the user's picture"
    store.entries()
    assert store.take_set_aside() == []  # reported once


def test_wrong_typed_info_fields_are_dropped_and_the_rest_kept(tmp_path):
    import json

    store = HistoryStore(tmp_path / "history")
    entry = store.add(_image(1), GenerationInfo(prompt="sea", seed=4, steps=20), "Model")
    record = json.loads(entry.metadata_path.read_text())
    record["info"].update(steps="many", extra="x", cfg_scale="7")
    entry.metadata_path.write_text(json.dumps(record))
    info = store.entries()[0].info
    assert (info.prompt, info.seed, info.steps, info.cfg_scale, info.extra) == ("sea", 4, None, None, {})
