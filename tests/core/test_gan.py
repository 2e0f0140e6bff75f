"""GAN sampling: seeded grids, codes, slerp strips, the CLI, damaged models, the bundled model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from genart_core import paths
from genart_core.api import CancelToken, GenArtError
from genart_core.cli import main
from genart_core.engine import Engine
from genart_core.latents import slerp
from genart_core.requests.generative import GanDecodeRequest, GanInterpolateRequest, GanSampleRequest
from genart_core.training import TrainSettings, Trainer
from genart_core.weights import ModelError


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def tiny_gan(isolated_folders):
    """A GAN trained for two steps, saved as "tiny-gan" among the user's models."""
    images = np.random.default_rng(0).integers(0, 256, (16, 28, 28, 1), dtype=np.uint8)
    trainer = Trainer(TrainSettings(method="gan", steps=2, batch=8, width=16, latent_dim=8, bf16=False), images)
    trainer.train_step()
    folder = paths.models_dir() / "tiny-gan"
    trainer.export(folder, "tiny-gan", "noise")
    return folder


def test_sample_grid_is_seeded(tiny_gan):
    engine = Engine()
    result = engine.run(GanSampleRequest(model="tiny-gan", count=6, seed=3, columns=3))
    assert len(result.images) == 6 and result.images[0].shape == (28, 28, 3) and result.images[0].dtype == np.uint8
    assert result.extras["grid"].shape == (2 * 29 + 1, 3 * 29 + 1, 3)
    assert result.extras["latents"].shape == (6, 8)
    assert result.infos[0].model == "tiny-gan" and result.infos[0].seed == 3
    again = engine.run(GanSampleRequest(model="tiny-gan", count=6, seed=3))
    other = engine.run(GanSampleRequest(model="tiny-gan", count=6, seed=4))
    assert all(np.array_equal(a, b) for a, b in zip(result.images, again.images))
    assert not np.array_equal(result.extras["latents"], other.extras["latents"])


def test_decoding_a_sample_code_gives_the_sample(tiny_gan):
    engine = Engine()
    sampled = engine.run(GanSampleRequest(model="tiny-gan", count=2, seed=1))
    code = tuple(float(x) for x in sampled.extras["latents"][1])
    decoded = engine.run(GanDecodeRequest(model="tiny-gan", latents=(code,)))
    assert np.abs(decoded.images[0].astype(int) - sampled.images[1].astype(int)).max() <= 1


def test_interpolation_strip_starts_and_ends_at_the_two_codes(tiny_gan):
    rng = np.random.default_rng(0)
    start, end = rng.standard_normal(8), rng.standard_normal(8)
    result = Engine().run(GanInterpolateRequest(model="tiny-gan", start=tuple(start), end=tuple(end), steps=5))
    assert len(result.images) == 5 and result.extras["strip"].shape == (30, 5 * 29 + 1, 3)
    latents = np.asarray(result.extras["latents"])
    assert np.allclose(latents[0], start, atol=1e-5) and np.allclose(latents[-1], end, atol=1e-5)
    assert np.allclose(latents[2], slerp(start, end, 0.5), atol=1e-5)


def test_wrong_code_length_is_a_clear_error(tiny_gan):
    with pytest.raises(GenArtError, match="codes of length 8"):
        Engine().run(GanDecodeRequest(model="tiny-gan", latents=((0.0, 1.0),)))


def test_damaged_weights_are_reported(tiny_gan):
    (tiny_gan / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ModelError, match="damaged"):
        Engine().run(GanSampleRequest(model="tiny-gan", count=1))


def test_weights_that_do_not_fit_the_card_are_reported(tiny_gan):
    card = json.loads((tiny_gan / "card.json").read_text())
    card["config"]["width"] = 32
    (tiny_gan / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="do not fit"):
        Engine().run(GanSampleRequest(model="tiny-gan", count=1))


def test_cli_sample_writes_a_grid(tiny_gan, tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["gan", "sample", "--model", "tiny-gan", "-n", "4", "--seed", "1", "--scale", "1", "-o", str(out)]) == 0
    from PIL import Image

    assert Image.open(out).size == (4 * 29 + 1, 30)
    assert str(out) in capsys.readouterr().out


def test_cli_interpolate_runs_between_the_codes_of_two_seeds(tiny_gan, tmp_path):
    out = tmp_path / "strip.png"
    assert main(["gan", "interpolate", "1", "5", "--model", "tiny-gan", "--steps", "4", "--scale", "1", "-o", str(out)]) == 0
    engine = Engine()
    start, end = (engine.run(GanSampleRequest(model="tiny-gan", count=1, seed=seed)).extras["latents"][0] for seed in (1, 5))
    expected = engine.run(GanInterpolateRequest(model="tiny-gan", start=tuple(map(float, start)), end=tuple(map(float, end)), steps=4))
    from PIL import Image

    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), expected.extras["strip"])


@pytest.mark.parametrize("kind", ["gan", "vae"])
def test_no_model_installed_says_how_to_get_one(kind, tmp_path, monkeypatch):
    from genart_core.requests.generative import VaeSampleRequest

    monkeypatch.setattr(paths, "resources_dir", lambda: tmp_path)  # no bundled models either
    request = GanSampleRequest(count=1) if kind == "gan" else VaeSampleRequest(count=1)
    with pytest.raises(ModelError, match=f"No {kind.upper()} model is installed. Train one with “genart train {kind} …”"):
        Engine().run(request)


def test_bundled_gan_makes_varied_digits():
    result = Engine().run(GanSampleRequest(count=16, seed=0), cancel=CancelToken())
    assert result.infos[0].model == "dcgan-digits"
    stack = np.stack(result.images).astype(float)
    assert stack.shape == (16, 28, 28, 3)
    assert stack.std(axis=0).mean() > 10  # samples differ from one another
    assert 0 < (stack > 128).mean() < 0.5  # light strokes on a dark ground, as trained
