"""genart models add checks a model when it is added: safetensors headers and diffusers folders."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from genart_core import sd_models
from genart_core.api import GenArtError
from genart_core.cli import main
from genart_core.model_files import check_diffusers_folder, check_safetensors_file
from tests.model_folders import diffusers_folder, write_safetensors


def _header_file(path: Path, header: object, data: bytes = b"") -> Path:
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return path


def test_a_valid_checkpoint_passes(tmp_path):
    check_safetensors_file(write_safetensors(tmp_path / "ok.safetensors", {"a": [3, 4], "b": [0]}))


@pytest.mark.parametrize(
    "make, why",
    [
        (lambda p: p.write_bytes(b""), "empty or too short"),
        (lambda p: p.write_bytes(struct.pack("<Q", 10**9) + b"{}"), "truncated"),
        (lambda p: _header_file(p, {"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 8), "truncated"),
        (lambda p: _header_file(p, {"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}, b"\0" * 8), "does not match"),
        (lambda p: _header_file(p, {"w": {"dtype": "Q9", "shape": [1], "data_offsets": [0, 1]}}, b"\0"), "unknown dtype"),
        (lambda p: _header_file(p, [1, 2]), "should be an object"),
        (lambda p: _header_file(p, {"w": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}, b"\0" * 5), "after its last tensor"),
        (lambda p: p.write_bytes(struct.pack("<Q", 4) + b"\xff\xfe{}"), "not UTF-8"),
    ],
)
def test_damaged_checkpoints_are_refused_with_the_reason(tmp_path, make, why):
    path = tmp_path / "bad.safetensors"
    make(path)
    with pytest.raises(GenArtError, match=why):
        check_safetensors_file(path)


def test_truncating_a_real_checkpoint_is_caught(tmp_path):
    path = write_safetensors(tmp_path / "cut.safetensors", {"a": [64, 64]})
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(GenArtError, match="truncated"):
        sd_models.add_model(str(path))
    assert sd_models.installed_models() == sd_models.offline_models()  # not remembered


def test_a_diffusers_folder_needs_its_components(tmp_path):
    check_diffusers_folder(diffusers_folder(tmp_path / "ok"))
    only_index = tmp_path / "only-index"
    only_index.mkdir()
    (only_index / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionPipeline"}))
    with pytest.raises(GenArtError, match="lists no components"):
        check_diffusers_folder(only_index)


@pytest.mark.parametrize(
    "damage, why",
    [
        (lambda f: (f / "unet" / "diffusion_pytorch_model.safetensors").unlink(), "no .safetensors weights"),
        (lambda f: (f / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(b"\0" * 4), "too short"),
        (lambda f: (f / "unet" / "config.json").write_text("{oops"), "unet config is damaged"),
        (lambda f: [p.unlink() for p in (f / "scheduler").iterdir()], "“scheduler” folder is empty"),
        (lambda f: (f / "model_index.json").write_text("[" * 10_000), "nests"),
    ],
)
def test_a_damaged_component_is_named_at_add_time(tmp_path, damage, why):
    folder = diffusers_folder(tmp_path / "model")
    damage(folder)
    with pytest.raises(GenArtError, match=why):
        sd_models.add_model(str(folder))


def test_a_missing_component_folder_is_named(tmp_path):
    folder = diffusers_folder(tmp_path / "model")
    index = json.loads((folder / "model_index.json").read_text())
    (folder / "model_index.json").write_text(json.dumps({**index, "vae": ["diffusers", "AutoencoderKL"]}))
    with pytest.raises(GenArtError, match="no “vae” folder"):
        sd_models.add_model(str(folder))


def test_cli_add_refuses_an_empty_checkpoint_plainly(tmp_path, capsys):
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    assert main(["models", "add", str(empty)]) == 1
    assert "empty" in capsys.readouterr().err
