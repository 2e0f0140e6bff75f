"""Model cards and configs of the wrong type or size end in a clear message before any allocation."""

from __future__ import annotations

import json
import tracemalloc

import pytest

from genart_core.api import GenArtError
from genart_core.models.dcgan import DCGANConfig
from genart_core.models.tiny_unet import TinyUNetConfig
from genart_core.models.vae import VAEConfig
from genart_core.weights import ModelError, available_models, read_card


@pytest.mark.parametrize("config_class", [DCGANConfig, VAEConfig, TinyUNetConfig])
def test_default_configs_round_trip(config_class):
    config = config_class()
    assert config_class.from_dict(json.loads(json.dumps(config.to_dict()))) == config


@pytest.mark.parametrize(
    "config_class, values, why",
    [
        (DCGANConfig, "big", "should be an object"),
        (DCGANConfig, {"width": -4}, "width is -4"),
        (DCGANConfig, {"width": 2e6}, "width"),
        (DCGANConfig, {"width": "256"}, "width should be a whole number"),
        (DCGANConfig, {"image_size": 30}, "image_size must be one of"),
        (DCGANConfig, {"width": 16_384, "latent_dim": 4096, "image_size": 64}, "million parameters"),
        (VAEConfig, {"beta": float("nan")}, "beta"),
        (VAEConfig, {"hidden": 1 << 20, "width": 4096}, "million parameters"),
        (TinyUNetConfig, {"block_out_channels": [8192, 8192, 8192]}, "million parameters"),
        (TinyUNetConfig, {"block_out_channels": "big"}, "should be a list"),
        (TinyUNetConfig, {"block_out_channels": [33]}, "norm groups"),
        (TinyUNetConfig, {"labels": [1, 2]}, r"labels\[0\] should be text"),
    ],
)
def test_bad_configs_raise_a_clear_error_without_allocating(config_class, values, why):
    tracemalloc.start()
    try:
        with pytest.raises(GenArtError, match=why):
            config_class.from_dict(values)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000  # refused from arithmetic, not from a failed allocation


def _card(folder, text: str):
    folder.mkdir(parents=True)
    (folder / "card.json").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "text, why",
    [
        ('{"kind": ["gan"]}', "kind should be text"),
        ('{"kind": "gan", "name": 5}', "name should be text"),
        ('{"kind": "gan", "config": "big"}', "config should be an object"),
        ("5", "should be an object"),
        ("[" * 50_000, "nests"),
    ],
)
def test_bad_cards_are_model_errors(tmp_path, text, why):
    with pytest.raises(ModelError, match=why):
        read_card(_card(tmp_path / "model", text))


def test_a_bad_card_is_left_out_of_the_model_list(tmp_path, monkeypatch):
    monkeypatch.setenv("GENART_MODELS_DIR", str(tmp_path / "models"))
    _card(tmp_path / "models" / "broken", '{"kind": ["gan"]}')
    _card(tmp_path / "models" / "fine", '{"kind": "gan", "name": "Fine"}')
    yours = [entry.name for entry in available_models() if entry.status == "yours"]
    assert yours == ["Fine"]


def test_doctor_and_models_list_run_with_a_damaged_card_and_registry(tmp_path, monkeypatch, capsys):
    from genart_core import paths
    from genart_core.cli import main

    _card(paths.models_dir() / "list-kind", '{"kind": ["gan"], "name": "odd"}')
    (paths.data_dir() / "sd_models.json").write_text("5", encoding="utf-8")
    assert main(["doctor"]) == 0
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "dcgan-digits" in out and "offline:tiny-diffusion" in out and "odd" not in out
