"""Settings and recent files over the readback corpus, and what is kept for the next start."""

from __future__ import annotations

import json

import pytest

from desktop_app import recent_files, settings
from tests.readback_corpus import corpus_files, read_one


@pytest.mark.parametrize("kind, file", [item for item in corpus_files() if item[0] == "settings"], ids=lambda v: getattr(v, "name", v))
def test_settings_readers_end_each_corpus_value_as_its_name_says(kind, file):
    outcome = read_one(kind, file)
    assert outcome.verdict == outcome.expected, outcome.detail


def test_damaged_fields_are_reset_and_the_rest_kept():
    settings.settings().setValue("prompt/choices", '{"steps": 1e11, "strength": NaN, "prompt": "sea", "width": 640}')
    assert settings.prompt_choices() == {"prompt": "sea", "width": 640}


def test_a_huge_prompt_is_cut_before_it_is_written_into_the_settings():
    settings.remember_prompt_choices({"prompt": "a" * 10_000_000, "steps": 20})
    stored = settings.settings().value("prompt/choices")
    assert len(stored) < 2 * settings.MAX_REMEMBERED_PROMPT
    assert json.loads(stored) == {"prompt": "a" * settings.MAX_REMEMBERED_PROMPT, "steps": 20}


def test_int_setting_falls_back_to_its_default():
    settings.settings().setValue("export/quality", "lots")
    assert settings.int_setting("export/quality", 90, 1, 100) == 90
    settings.settings().setValue("export/quality", 75)
    assert settings.int_setting("export/quality", 90, 1, 100) == 75


def test_recent_files_keep_only_paths():
    settings.settings().setValue("recent/files", ["/x/a.ora", "/x/b\0.png", "/x/a.ora", "/x/c.png"])
    assert recent_files.recent_files() == ["/x/a.ora", "/x/c.png"]
