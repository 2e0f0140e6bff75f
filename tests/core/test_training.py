"""Training: every method takes finite steps, a checkpoint resumes exactly, Cancel keeps the checkpoint."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genart_core.api import Cancelled, CancelToken, GenArtError
from genart_core.engine import Engine
from genart_core.requests.generative import TrainRequest
from genart_core.training import CHECKPOINT_FILE, TrainSettings, Trainer, fit
from genart_core.weights import read_card


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _images(count: int = 32, size: int = 28, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (count, size, size, 1), dtype=np.uint8)


def _settings(method: str, **changes) -> TrainSettings:
    values = dict(method=method, steps=10, batch=8, width=16, latent_dim=8, critic_steps=2, bf16=False)
    return TrainSettings(**{**values, **changes})


@pytest.mark.parametrize("method", ["gan", "wgan-gp", "vae"])
def test_steps_give_finite_losses_and_right_shapes(method):
    trainer = Trainer(_settings(method), _images())
    for _ in range(2):
        losses = trainer.train_step()
    assert losses and all(np.isfinite(v) for v in losses.values())
    samples = trainer.samples(5)
    assert samples.shape == (5, 1, 28, 28)
    assert float(samples.min()) >= 0 and float(samples.max()) <= 1
    assert trainer.grid_image(4).shape == (1 + 29, 1 + 4 * 29, 3)  # one row of four, 1-pixel gaps


def test_gan_at_64_pixels_in_colour_has_the_right_shape():
    images = np.random.default_rng(1).integers(0, 256, (8, 64, 64, 3), dtype=np.uint8)
    trainer = Trainer(_settings("gan", image_size=64, channels=3, batch=4), images)
    trainer.train_step()
    assert trainer.samples(2).shape == (2, 3, 64, 64)


@pytest.mark.parametrize("method", ["gan", "wgan-gp", "vae"])
def test_resumed_checkpoint_takes_the_identical_next_step(tmp_path, method):
    first = Trainer(_settings(method), _images())
    for _ in range(3):
        first.train_step()
    first.save_checkpoint(tmp_path / CHECKPOINT_FILE)
    expected = first.train_step()

    torch.manual_seed(1234)  # a different global state must not matter: the checkpoint restores it
    second = Trainer(_settings(method), _images())
    second.load_checkpoint(tmp_path / CHECKPOINT_FILE)
    assert second.train_step() == expected
    for a, b in zip(first._modules().values(), second._modules().values()):
        for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
            assert torch.equal(x, y), name


def test_checkpoint_of_other_settings_is_refused(tmp_path):
    trainer = Trainer(_settings("vae"), _images())
    trainer.train_step()
    trainer.save_checkpoint(tmp_path / CHECKPOINT_FILE)
    with pytest.raises(GenArtError, match="other settings"):
        Trainer(_settings("vae", beta=4.0), _images()).load_checkpoint(tmp_path / CHECKPOINT_FILE)


def test_cancel_stops_and_keeps_the_last_checkpoint(tmp_path):
    trainer = Trainer(_settings("gan", steps=50), _images())
    seen = []

    def check_cancelled():
        if trainer.step >= 7:
            raise Cancelled()

    with pytest.raises(Cancelled):
        fit(trainer, tmp_path / "model", "tiny", "noise", report=seen.append, check_cancelled=check_cancelled, sample_every=2, checkpoint_every=5)
    assert trainer.step == 7
    card = read_card(tmp_path / "model")
    assert card["kind"] == "gan" and card["steps"] == 5  # the checkpoint of step 5 is what stays
    resumed = Trainer(_settings("gan", steps=50), _images())
    resumed.load_checkpoint(tmp_path / "model" / CHECKPOINT_FILE)
    assert resumed.step == 5
    assert any(s.grid is not None and s.diversity is not None for s in seen)


def test_train_request_on_a_folder_reports_losses_and_saves_a_model(tmp_path):
    from PIL import Image

    data = tmp_path / "pictures"
    data.mkdir()
    for index, image in enumerate(_images(6, size=40)):
        Image.fromarray(image[..., 0]).convert("RGB").save(data / f"{index}.png")
    reports = []
    request = TrainRequest(data=str(data), out=str(tmp_path / "mine"), method="vae", epochs=2, batch=4, width=8, sample_every=2, checkpoint_every=2)
    result = Engine().run(request, reports.append, CancelToken())
    card = result.extras["card"]
    assert card["kind"] == "vae" and card["steps"] == 3 and card["name"] == "mine"
    assert (tmp_path / "mine" / "model.safetensors").is_file()
    training = [p for p in reports if "losses" in p.extras]
    assert training and all(np.isfinite(v) for p in training for v in p.extras["losses"].values())
    assert any(p.preview is not None for p in training)


def test_train_request_without_output_folder_is_refused():
    with pytest.raises(GenArtError, match="saved"):
        Engine().run(TrainRequest(data="bundled:sklearn-digits", out=""))


def test_cli_trains_a_wgan_gp_and_resumes(tmp_path, capsys):
    from PIL import Image

    from genart_core.cli import main

    data = tmp_path / "pictures"
    data.mkdir()
    for index, image in enumerate(_images(8)):
        Image.fromarray(image[..., 0]).save(data / f"{index}.png")
    out = tmp_path / "wgan"
    assert main(["train", "gan", "--data", str(data), "--out", str(out), "--wgan-gp", "--epochs", "1", "--batch", "8"]) == 0
    card = read_card(out)
    assert card["method"] == "wgan-gp" and card["steps"] == 1 and card["config"]["critic"] is True
    assert main(["train", "gan", "--data", str(data), "--out", str(out), "--wgan-gp", "--epochs", "2", "--batch", "8"]) == 1
    assert "other settings" in capsys.readouterr().err  # 2 epochs is a different schedule: refused, not mixed


# -- the sharper-VAE terms (issue 14) --------------------------------------------------------------

def _changed_parameters(module: torch.nn.Module, before: dict[str, torch.Tensor]) -> set[str]:
    return {name for name, value in module.state_dict().items() if not torch.equal(value, before[name])}


@pytest.mark.parametrize("term", ["perceptual_weight", "adversarial_weight"])
def test_each_sharpening_term_takes_a_step_that_moves_the_decoder(tiny_weights, term):
    settings = _settings("vae", perceptual_net=tiny_weights, **{term: 1.0})
    trainer = Trainer(settings, _images())
    plain = Trainer(_settings("vae"), _images())  # the same seed, data and first batch without the term
    before = {name: value.clone() for name, value in trainer.vae.state_dict().items()}
    losses, plain_losses = trainer.train_step(), plain.train_step()
    assert all(np.isfinite(v) for v in losses.values())
    assert ("perceptual" in losses) == (term == "perceptual_weight")
    assert ("adversarial" in losses and "d_loss" in losses) == (term == "adversarial_weight")
    assert losses["loss"] > plain_losses["loss"]  # the term adds to what is minimised
    assert any(name.startswith("decoder") for name in _changed_parameters(trainer.vae, before))
    # The step differs from the plain one: the term's gradient reached the weights.
    assert any(not torch.equal(a, b) for a, b in zip(trainer.vae.state_dict().values(), plain.vae.state_dict().values()))


def test_the_patch_critic_learns_and_resumes_exactly(tmp_path, tiny_weights):
    settings = _settings("vae", adversarial_weight=0.5, perceptual_weight=0.5, perceptual_net=tiny_weights)
    first = Trainer(settings, _images())
    critic_before = {name: value.clone() for name, value in first.discriminator.state_dict().items()}
    for _ in range(2):
        first.train_step()
    assert _changed_parameters(first.discriminator, critic_before)
    first.save_checkpoint(tmp_path / CHECKPOINT_FILE)
    expected = first.train_step()
    second = Trainer(settings, _images())
    second.load_checkpoint(tmp_path / CHECKPOINT_FILE)
    assert second.train_step() == expected


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(method="gan", adversarial_weight=0.1), "VAE"),
        (dict(method="vae", perceptual_weight=-1.0), "between 0"),
        (dict(method="vae", adversarial_weight=float("nan")), "between 0"),
    ],
)
def test_sharpening_weights_out_of_place_or_range_are_refused(changes, message):
    with pytest.raises(GenArtError, match=message):
        _settings(**changes)


def test_checkpoint_from_before_the_sharpening_terms_still_resumes(tmp_path):
    trainer = Trainer(_settings("vae"), _images())
    trainer.train_step()
    trainer.save_checkpoint(tmp_path / CHECKPOINT_FILE)
    state = torch.load(tmp_path / CHECKPOINT_FILE, weights_only=True)
    for key in ("perceptual_weight", "adversarial_weight", "perceptual_net"):
        del state["settings"][key]
    torch.save(state, tmp_path / CHECKPOINT_FILE)
    resumed = Trainer(_settings("vae"), _images())
    resumed.load_checkpoint(tmp_path / CHECKPOINT_FILE)
    assert resumed.step == 1


def test_cli_records_the_sharpening_weights_in_the_card(tmp_path):
    from PIL import Image

    from genart_core.cli import main

    data = tmp_path / "pictures"
    data.mkdir()
    for index, image in enumerate(_images(8)):
        Image.fromarray(image[..., 0]).save(data / f"{index}.png")
    out = tmp_path / "sharp"
    arguments = ["train", "vae", "--data", str(data), "--out", str(out), "--epochs", "1", "--batch", "8"]
    assert main([*arguments, "--perceptual-weight", "0.5", "--adversarial-weight", "0.25"]) == 0  # the bundled VGG-19
    card = read_card(out)
    assert card["settings"]["adversarial_weight"] == 0.25 and card["settings"]["perceptual_weight"] == 0.5
    assert card["description"].endswith("pixel BCE + VGG perceptual ×0.5 + PatchGAN adversarial ×0.25")
    assert {"perceptual", "adversarial", "d_loss"} <= set(card["final_losses"])
    assert "sharpness" in card["diversity"]
