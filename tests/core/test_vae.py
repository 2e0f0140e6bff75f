"""VAE: sampling, reconstruction, slerp between images, stored latent directions, the CLI."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from genart_core import paths
from genart_core.cli import main
from genart_core.engine import Engine
from genart_core.requests.generative import VaeDecodeRequest, VaeInterpolateRequest, VaeReconstructRequest, VaeSampleRequest
from genart_core.training import TrainSettings, Trainer


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def tiny_vae(isolated_folders):
    images = np.random.default_rng(0).integers(0, 256, (24, 28, 28, 1), dtype=np.uint8)
    trainer = Trainer(TrainSettings(method="vae", steps=3, batch=8, width=8, latent_dim=6, bf16=False), images)
    for _ in range(3):
        trainer.train_step()
    folder = paths.models_dir() / "tiny-vae"
    trainer.export(folder, "tiny-vae", "noise")
    return folder


def test_sample_returns_images_codes_and_principal_directions(tiny_vae):
    result = Engine().run(VaeSampleRequest(model="tiny-vae", count=4, seed=2))
    assert len(result.images) == 4 and result.images[0].shape == (28, 28, 3)
    directions, scales = result.extras["directions"], result.extras["scales"]
    assert directions.shape == (6, 6) and scales.shape == (6,)
    assert np.allclose(directions @ directions.T, np.eye(6), atol=1e-2)  # orthonormal (fp16 storage)
    assert np.all(np.diff(scales) <= 1e-3)  # sorted by spread, largest first


def test_reconstruct_decodes_the_code_of_the_image(tiny_vae):
    engine = Engine()
    picture = np.random.default_rng(5).integers(0, 256, (50, 40, 3), dtype=np.uint8)  # any size or mode
    result = engine.run(VaeReconstructRequest(model="tiny-vae", image=picture))
    code = result.extras["latents"]
    assert code.shape == (1, 6) and result.images[0].shape == (28, 28, 3)
    decoded = engine.run(VaeDecodeRequest(model="tiny-vae", latents=(tuple(map(float, code[0])),)))
    assert np.array_equal(decoded.images[0], result.images[0])


def test_interpolating_two_images_starts_and_ends_at_their_reconstructions(tiny_vae):
    engine = Engine()
    rng = np.random.default_rng(1)
    a, b = (rng.integers(0, 256, (28, 28, 3), dtype=np.uint8) for _ in range(2))
    strip = engine.run(VaeInterpolateRequest(model="tiny-vae", start_image=a, end_image=b, steps=6))
    assert len(strip.images) == 6
    assert np.array_equal(strip.images[0], engine.run(VaeReconstructRequest(model="tiny-vae", image=a)).images[0])
    assert np.array_equal(strip.images[-1], engine.run(VaeReconstructRequest(model="tiny-vae", image=b)).images[0])
    assert "28×28 image" == VaeInterpolateRequest(start_image=a).to_dict()["start_image"]


def test_cli_interpolate_writes_a_strip(tiny_vae, tmp_path):
    for name, value in (("a.png", 0), ("b.png", 255)):
        Image.new("L", (32, 32), value).save(tmp_path / name)
    out = tmp_path / "strip.png"
    assert main(["vae", "interpolate", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--model", "tiny-vae", "--steps", "4", "--scale", "1", "-o", str(out)]) == 0
    assert Image.open(out).size == (4 * 29 + 1, 30)


def test_cli_reports_a_bad_image(tiny_vae, tmp_path, capsys):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    assert main(["vae", "reconstruct", str(bad), "--model", "tiny-vae", "-o", str(tmp_path / "r.png")]) == 1
    assert "bad.png" in capsys.readouterr().err


def test_bundled_vae_samples_and_moves_along_a_direction():
    engine = Engine()
    result = engine.run(VaeSampleRequest(count=8, seed=0))
    assert result.infos[0].model == "vae-digits"
    code = result.extras["latents"][0] + 3 * result.extras["scales"][0] * result.extras["directions"][0]
    moved = engine.run(VaeDecodeRequest(latents=(tuple(map(float, code)),))).images[0]
    assert np.abs(moved.astype(int) - result.images[0].astype(int)).mean() > 5  # the slider visibly changes the digit


def _edit_card(folder, **settings) -> None:
    import json

    card = json.loads((folder / "card.json").read_text())
    card["settings"] |= settings
    (folder / "card.json").write_text(json.dumps(card))


def test_the_training_terms_are_read_back_from_the_card(tiny_vae):
    _edit_card(tiny_vae, perceptual_weight=1.5, adversarial_weight=0.1)
    info = Engine().run(VaeSampleRequest(model="tiny-vae", count=1)).infos[0]
    assert info.extra["trained_with"] == "pixel BCE + VGG perceptual ×1.5 + PatchGAN adversarial ×0.1"


@pytest.mark.parametrize("value", ["lots", -1, 1e9, None])
def test_a_damaged_training_term_in_the_card_is_a_clear_model_error(tiny_vae, value):
    from genart_core.weights import ModelError

    _edit_card(tiny_vae, adversarial_weight=value)
    with pytest.raises(ModelError, match="adversarial_weight"):
        Engine().run(VaeSampleRequest(model="tiny-vae", count=1))


def test_a_card_from_before_the_training_terms_reads_as_pixel_loss_only(tiny_vae):
    import json

    card = json.loads((tiny_vae / "card.json").read_text())
    del card["settings"]
    (tiny_vae / "card.json").write_text(json.dumps(card))
    assert Engine().run(VaeSampleRequest(model="tiny-vae", count=1)).infos[0].extra["trained_with"] == "pixel BCE"
