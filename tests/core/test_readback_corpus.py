"""History, the model registry and model cards over the readback corpus: each file ends as its name says."""

from __future__ import annotations

import pytest

from tests.readback_corpus import CORPUS_DIR, corpus_files, read_one

CORE_KINDS = ("history", "registry", "cards")


@pytest.mark.parametrize("kind, file", [item for item in corpus_files() if item[0] in CORE_KINDS], ids=lambda v: getattr(v, "name", v))
def test_core_readers_end_each_corpus_file_as_its_name_says(kind, file):
    outcome = read_one(kind, file)
    assert outcome.verdict == outcome.expected, outcome.detail
    if outcome.verdict == "refused":
        assert outcome.detail  # a reason a person can read


def test_the_corpus_holds_every_kind():
    assert all(len(list((CORPUS_DIR / kind).glob("*.json"))) >= 10 for kind in (*CORE_KINDS, "settings"))
