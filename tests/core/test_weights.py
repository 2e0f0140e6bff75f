from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file

from genart_core import paths
from genart_core.weights import ModelError, available_models, find_model, load_state_dict


def _make_model(folder, kind="gan", name="toy"):
    folder.mkdir(parents=True)
    save_file({"w": torch.ones(2, 2)}, str(folder / "model.safetensors"))
    (folder / "card.json").write_text(json.dumps({"kind": kind, "name": name}))
    return folder


def test_user_models_are_found_by_kind_and_name():
    _make_model(paths.models_dir() / "toy")
    entry = find_model("gan", "toy")
    assert entry.status == "yours" and entry in available_models("gan")
    assert torch.equal(load_state_dict(f"{entry.location}/model.safetensors")["w"], torch.ones(2, 2))


def test_a_folder_path_works_and_its_kind_is_checked(tmp_path):
    folder = _make_model(tmp_path / "elsewhere", kind="vae")
    assert find_model("vae", str(folder)).name == "toy"
    with pytest.raises(ModelError, match="holds a vae model, not a gan model"):
        find_model("gan", str(folder))


def test_unknown_name_lists_what_exists():
    _make_model(paths.models_dir() / "toy")
    with pytest.raises(ModelError, match="Available: .*toy"):
        find_model("gan", "missing")


def test_damaged_and_missing_weights_get_clear_messages(tmp_path):
    damaged = tmp_path / "model.safetensors"
    damaged.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    with pytest.raises(ModelError, match="damaged"):
        load_state_dict(damaged)
    with pytest.raises(ModelError, match="missing"):
        load_state_dict(tmp_path / "nothing.safetensors")


def test_a_folder_with_a_broken_card_is_skipped_not_fatal():
    broken = paths.models_dir() / "broken"
    broken.mkdir(parents=True)
    (broken / "card.json").write_text("{")
    assert all(entry.name != "broken" for entry in available_models())


def test_saved_models_are_fp16_readable_by_everyone_and_load_back(tmp_path):
    import os

    from genart_core.weights import load_fp32_state_dict, read_card, save_model

    previous = os.umask(0o022)
    try:
        save_model(tmp_path / "m", {"w": torch.full((2, 2), 0.5), "n": torch.tensor([3])}, {"kind": "gan", "name": "m"})
    finally:
        os.umask(previous)
    weights = tmp_path / "m" / "model.safetensors"
    assert weights.stat().st_mode & 0o777 == 0o644  # safetensors alone would leave it 0600
    assert load_state_dict(weights)["w"].dtype == torch.float16
    assert load_state_dict(weights)["n"].dtype == torch.int64  # only floating tensors are halved
    assert torch.equal(load_fp32_state_dict(weights)["w"], torch.full((2, 2), 0.5))
    assert read_card(tmp_path / "m")["name"] == "m"
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["card.json", "model.safetensors"]
