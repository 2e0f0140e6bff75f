"""How batches name their items and size their worker pools (no Ray started here)."""

from __future__ import annotations

import pytest

pytest.importorskip("ray")

from genart_core.batch import prompt_items, seed_items  # noqa: E402
from genart_core.commands.batch import _worker_count  # noqa: E402


def test_prompt_outputs_are_named_by_prompt_and_seed_not_by_line(tmp_path) -> None:
    first = prompt_items([(1, "Digit 3!"), (2, "circle")], first_seed=5, per_prompt=2, out_dir=tmp_path)
    edited = prompt_items([(1, "a new first line"), (2, "Digit 3!"), (3, "circle")], first_seed=5, per_prompt=2, out_dir=tmp_path)
    assert [item.target.name for item in first] == [item.target.name for item in edited[2:]]
    assert first[1].target.name.startswith("digit-3-") and first[1].target.name.endswith("-seed6.png")
    assert first[1].name == "line 1 (seed 6)" and first[1].changes() == {"prompt": "Digit 3!", "seed": 6}
    same_words = prompt_items([(1, "digit 3?")], 5, 1, tmp_path)
    assert same_words[0].target != first[0].target  # a different prompt with the same words gets its own file


def test_seed_items_cover_the_seeds_asked_for(tmp_path) -> None:
    items = seed_items(10, 3, tmp_path)
    assert [item.target.name for item in items] == ["seed-10.png", "seed-11.png", "seed-12.png"]
    assert [item.changes() for item in items] == [{"seed": 10}, {"seed": 11}, {"seed": 12}]


@pytest.mark.parametrize("asked, gpus, free, expected", [
    (0, 0.0, {"CPU": 3.0}, 3),  # default: one per free CPU
    (0, 0.0, {}, 1),
    (4, 0.0, {"CPU": 1.0}, 1),  # a worker Ray cannot place would hold its items forever
    (2, 0.0, {"CPU": 2.0}, 2),
    (4, 1.0, {"CPU": 1.0, "GPU": 4.0}, 4),  # GPU workers are placed by their GPUs
])
def test_the_worker_count_fits_what_ray_can_place(asked, gpus, free, expected) -> None:
    assert _worker_count(asked, gpus, free) == expected
