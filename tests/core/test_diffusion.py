"""Stable Diffusion pipelines through the app's real loader, with a tiny SD built in the test.

Nothing is downloaded: the UNet, VAE, CLIP text encoder and tokenizer (a 74-token vocabulary)
are made from small configs and saved with save_pretrained into a temporary diffusers folder;
so is the fast decoder (a tiny TAESD), found through $GENART_TAESD_DIR.
"""

from __future__ import annotations

import string
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from genart_core import sd_models
from genart_core.api import Cancelled, CancelToken, GenArtError, Progress
from genart_core.artwork import read_generation_info, save_artwork
from genart_core.engine import Engine
from genart_core.requests.diffusion import ImageToImageRequest, InpaintRequest, Scheduler, TextToImageRequest
from tests.images import gradient

SIZE = 64  # pixels (the app's smallest size)
FACTOR = 4  # the VAE's downsampling: the UNet sees 16×16 latents


def _tokenizer():
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in string.ascii_lowercase + string.digits:
        vocab[char] = len(vocab)
        vocab[char + "</w>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=16)


def build_tiny_sd(folder: Path) -> Path:
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=SIZE // FACTOR, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(16, 32),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16, attention_head_dim=4, norm_num_groups=8,
    )
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(16, 32, 32), layers_per_block=1,
        down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3, norm_num_groups=8,
        sample_size=SIZE,
    )
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=80, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
        max_position_embeddings=16, bos_token_id=0, eos_token_id=1, pad_token_id=1, projection_dim=16,
    ))
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    pipe = StableDiffusionPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=_tokenizer(), unet=unet, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def build_tiny_taesd(folder: Path) -> Path:
    """A random-weight TAESD with the tiny SD's 4× downsampling (three blocks), saved as taesd/ in ``folder``."""
    from diffusers import AutoencoderTiny

    torch.manual_seed(1)
    decoder = AutoencoderTiny(
        encoder_block_out_channels=(8, 8, 8), decoder_block_out_channels=(8, 8, 8),
        num_encoder_blocks=(1, 1, 1), num_decoder_blocks=(1, 1, 1),
    )
    decoder.save_pretrained(folder / "taesd")
    return folder


@pytest.fixture(scope="module")
def taesd_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(build_tiny_taesd(tmp_path_factory.mktemp("taesd")))


@pytest.fixture
def with_taesd(taesd_dir: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sd_models.FAST_DECODER_DIR_ENV, taesd_dir)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()  # one engine: the model loads once and stays cached, as in the app


def _request(model: str, **changes) -> TextToImageRequest:
    values = dict(prompt="a cat", model=model, steps=2, guidance=3.0, width=SIZE, height=SIZE, seed=5)
    values.update(changes)
    return TextToImageRequest(**values)


def test_text_to_image_makes_variations_with_seeds_and_previews(tiny_sd: str, engine: Engine, tmp_path: Path) -> None:
    reports: list[Progress] = []
    result = engine.run(_request(tiny_sd, count=2, negative_prompt="dog"), reports.append)

    assert [image.shape for image in result.images] == [(SIZE, SIZE, 3)] * 2
    assert [info.seed for info in result.infos] == [5, 6]
    assert not np.array_equal(result.images[0], result.images[1])
    previews = [r.preview for r in reports if r.preview is not None]
    assert len(previews) == 4  # 2 steps × 2 images
    assert all(p.dtype == np.uint8 and p.shape == (SIZE // FACTOR, SIZE // FACTOR, 3) for p in previews)
    assert reports[-1].step == reports[-1].total == 4

    saved = read_generation_info(save_artwork(tmp_path / "out.png", result.images[1], result.infos[1]))
    assert (saved.prompt, saved.negative_prompt, saved.seed, saved.steps, saved.cfg_scale) == ("a cat", "dog", 6, 2, 3.0)
    # The artwork names the model folder, never where it is on this disk (privacy).
    assert saved.request["model"] == Path(tiny_sd).name and saved.request["count"] == 2


def test_a_variation_is_reproduced_from_its_own_seed(tiny_sd: str, engine: Engine) -> None:
    batch = engine.run(_request(tiny_sd, count=2))
    alone = engine.run(_request(tiny_sd, seed=6))
    np.testing.assert_array_equal(batch.images[1], alone.images[0])


@pytest.mark.parametrize("scheduler", list(Scheduler))
def test_every_scheduler_runs(tiny_sd: str, engine: Engine, scheduler: Scheduler) -> None:
    result = engine.run(_request(tiny_sd, scheduler=scheduler))
    assert result.images[0].shape == (SIZE, SIZE, 3)
    assert result.infos[0].sampler == (scheduler.label if scheduler != Scheduler.DEFAULT else "DDIMScheduler")


def test_image_to_image_returns_the_init_size_and_follows_strength(tiny_sd: str, engine: Engine) -> None:
    init = gradient(80, 72)
    steps_seen: list[int] = []
    request = ImageToImageRequest(**vars(_request(tiny_sd, steps=4)), init_image=init, strength=0.5)
    result = engine.run(request, lambda p: steps_seen.append(p.total))
    assert result.images[0].shape == init.shape
    assert set(steps_seen[1:]) == {2}  # strength 0.5 of 4 steps: 2 denoising steps
    assert result.infos[0].extra["Denoising strength"] == 0.5
    assert result.infos[0].request["init_image"] == "80×72 image"


def test_image_to_image_with_too_few_steps_for_its_strength_still_denoises(tiny_sd: str, engine: Engine) -> None:
    request = ImageToImageRequest(**vars(_request(tiny_sd, steps=1)), init_image=gradient(64, 64), strength=0.5)
    result = engine.run(request)
    assert result.infos[0].steps == 2  # 2 × 0.5 = one real step, as SD-Turbo needs


def test_inpainting_runs_and_checks_its_mask(tiny_sd: str, engine: Engine) -> None:
    init = gradient(SIZE, SIZE)
    mask = np.zeros((SIZE, SIZE), np.uint8)
    mask[8:24, 8:24] = 255
    base = dict(vars(_request(tiny_sd)), init_image=init)
    result = engine.run(InpaintRequest(**base, mask=mask))
    assert result.images[0].shape == (SIZE, SIZE, 3)
    assert result.infos[0].extra["Mode"] == "inpaint"
    with pytest.raises(GenArtError, match="mask is empty"):
        engine.run(InpaintRequest(**base, mask=np.zeros_like(mask)))


def test_cancel_stops_within_a_step_without_decoding(tiny_sd: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from diffusers import AutoencoderKL

    decodes = []
    original = AutoencoderKL.decode
    monkeypatch.setattr(AutoencoderKL, "decode", lambda self, *a, **k: decodes.append(1) or original(self, *a, **k))
    token = CancelToken()
    reports: list[Progress] = []

    def cancel_after_first_step(progress: Progress) -> None:
        reports.append(progress)
        if progress.step >= 1:
            token.cancel()

    with pytest.raises(Cancelled):
        engine.run(_request(tiny_sd, steps=10), cancel_after_first_step, token)
    assert max(r.step for r in reports) == 1
    assert decodes == []


def _stop_and_keep_at(step: int, token: CancelToken, reports: list[Progress]):
    def on_progress(progress: Progress) -> None:
        reports.append(progress)
        if progress.step == step:
            token.stop_and_keep()

    return on_progress


@pytest.mark.parametrize("scheduler", list(Scheduler))
def test_stop_and_keep_decodes_the_image_so_far_and_says_so(
    tiny_sd: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheduler: Scheduler
) -> None:
    from diffusers import AutoencoderKL

    decodes = []
    original = AutoencoderKL.decode
    monkeypatch.setattr(AutoencoderKL, "decode", lambda self, *a, **k: decodes.append(1) or original(self, *a, **k))
    token, reports = CancelToken(), []
    request = _request(tiny_sd, steps=3, scheduler=scheduler)
    result = engine.run(request, _stop_and_keep_at(1, token, reports), token)

    # Asked during step 2 (after step 1's report), it ends the loop when step 2 ends, before step 3.
    assert max(r.step for r in reports) == 1
    assert decodes == [1]
    assert result.images[0].shape == (SIZE, SIZE, 3) and result.images[0].std() > 0
    assert result.stopped == "at step 2/3"
    assert result.infos[0].extra["Stopped at step"] == "2/3"
    saved = read_generation_info(save_artwork(tmp_path / "kept.png", result.images[0], result.infos[0]))
    assert saved.extra["Stopped at step"] == "2/3" and saved.steps == 3
    # The cached pipeline is not left interrupted: the next run goes all the way.
    full = engine.run(request)
    assert not full.stopped and "Stopped at step" not in full.infos[0].extra
    assert not np.array_equal(full.images[0], result.images[0])


def test_stop_and_keep_in_a_batch_keeps_the_finished_images_and_makes_no_more(tiny_sd: str, engine: Engine) -> None:
    token, reports = CancelToken(), []
    result = engine.run(_request(tiny_sd, steps=3, count=3), _stop_and_keep_at(4, token, reports), token)  # image 2, step 1
    assert len(result.images) == len(result.infos) == 2
    assert "Stopped at step" not in result.infos[0].extra
    assert result.infos[1].extra["Stopped at step"] == "2/3"
    assert result.stopped == "at image 2/3, step 2/3"
    assert engine.run(_request(tiny_sd, steps=3, count=1)).images[0].tolist() == result.images[0].tolist()


def test_stop_and_keep_at_the_last_step_of_an_image_keeps_it_whole(tiny_sd: str, engine: Engine) -> None:
    token, reports = CancelToken(), []
    result = engine.run(_request(tiny_sd, steps=3, count=3), _stop_and_keep_at(2, token, reports), token)  # takes effect at step 3
    assert len(result.images) == 1 and result.infos[0].extra.get("Stopped at step") is None
    assert result.stopped == "after image 1/3"


def test_stop_and_keep_while_the_model_loads_is_a_cancel(tiny_sd: str) -> None:
    token = CancelToken()

    def stop_on_loading(progress: Progress) -> None:
        if progress.phase.startswith("Loading"):
            token.stop_and_keep()

    with pytest.raises(Cancelled):
        Engine().run(_request(tiny_sd, steps=3), stop_on_loading, token)


@pytest.mark.parametrize("scheduler", list(Scheduler))
def test_every_scheduler_shows_its_estimate_of_the_finished_latents(scheduler: Scheduler) -> None:
    from diffusers import DDIMScheduler

    from genart_core.pipelines.diffusion import _DenoisedEstimate, make_scheduler

    default = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    plain, wrapped = make_scheduler(scheduler, default), make_scheduler(scheduler, default)
    estimate = _DenoisedEstimate(wrapped)
    latents, noise = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(0)), torch.randn(1, 4, 8, 8)
    for s in (plain, wrapped):
        s.set_timesteps(3)
    t = plain.timesteps[0]
    torch.manual_seed(1)  # Euler a adds fresh noise
    expected = plain.step(noise, t, latents, return_dict=False)[0]
    torch.manual_seed(1)
    assert torch.equal(wrapped.step(noise, t, latents, return_dict=False)[0], expected)
    assert estimate.latest is not None and estimate.latest.shape == latents.shape
    assert not torch.equal(estimate.latest, expected)


def test_latent_preview_shows_the_colours_the_vae_encoded(tiny_sd: str) -> None:
    from diffusers import AutoencoderKL

    from genart_core.latent_preview import fit_latent_preview

    vae = AutoencoderKL.from_pretrained(tiny_sd, subfolder="vae")
    preview = fit_latent_preview(vae)
    image = np.zeros((SIZE, SIZE, 3), np.float32)
    image[:, : SIZE // 2] = (0.9, 0.1, 0.1)
    image[:, SIZE // 2 :] = (0.1, 0.2, 0.9)
    with torch.inference_mode():
        latents = vae.encode(torch.from_numpy(image).permute(2, 0, 1)[None] * 2 - 1).latent_dist.mean * vae.config.scaling_factor
    shown = preview(latents).astype(np.float32) / 255
    half = SIZE // FACTOR // 2
    left, right = shown[:, : half - 1].mean(axis=(0, 1)), shown[:, half + 1 :].mean(axis=(0, 1))
    # A random-weight VAE is far from linear, so only ask that red shows redder than blue does.
    assert left[0] - left[2] > right[0] - right[2] + 0.1


def _count_decodes(monkeypatch: pytest.MonkeyPatch, model_class) -> list[int]:
    decodes: list[int] = []
    original = model_class.decode
    monkeypatch.setattr(model_class, "decode", lambda self, *a, **k: decodes.append(1) or original(self, *a, **k))
    return decodes


@pytest.mark.usefixtures("with_taesd")
def test_the_fast_decoder_stands_in_for_the_vae_in_its_own_runs_only(tiny_sd: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from diffusers import AutoencoderTiny

    text = _request(tiny_sd)
    picture = ImageToImageRequest(**vars(text), init_image=gradient(SIZE, SIZE), strength=0.5)
    normal = {request.mode: engine.run(request).images[0] for request in (text, picture)}
    tiny_decodes = _count_decodes(monkeypatch, AutoencoderTiny)
    for request in (text, picture):
        fast = engine.run(replace(request, fast_decoder=True))
        assert not np.array_equal(fast.images[0], normal[request.mode])
        assert fast.infos[0].extra["VAE"] == "TAESD" and fast.infos[0].request["fast_decoder"] is True
        # The next runs, in this pipeline and in its sibling sharing the components, use the model's VAE again.
        for other in (text, picture):
            again = engine.run(other)
            np.testing.assert_array_equal(again.images[0], normal[other.mode])
            assert "VAE" not in again.infos[0].extra and again.infos[0].request["fast_decoder"] is False
    assert len(tiny_decodes) == 2


@pytest.mark.usefixtures("with_taesd")
def test_stop_and_keep_and_cancel_work_with_the_fast_decoder(tiny_sd: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from diffusers import AutoencoderKL, AutoencoderTiny

    kl_decodes, tiny_decodes = _count_decodes(monkeypatch, AutoencoderKL), _count_decodes(monkeypatch, AutoencoderTiny)
    request = _request(tiny_sd, steps=3, fast_decoder=True)
    token, reports = CancelToken(), []
    kept = engine.run(request, _stop_and_keep_at(1, token, reports), token)
    assert (kl_decodes, tiny_decodes) == ([], [1])
    assert kept.stopped == "at step 2/3" and kept.infos[0].extra["VAE"] == "TAESD"
    assert kept.images[0].shape == (SIZE, SIZE, 3)

    token = CancelToken()
    with pytest.raises(Cancelled):
        engine.run(request, lambda progress: token.cancel(), token)
    engine.run(_request(tiny_sd, steps=3))
    assert (kl_decodes, tiny_decodes) == ([1], [1])  # after a cancelled run too, the model's VAE is back


@pytest.mark.usefixtures("empty_hf_cache")
def test_the_fast_decoder_not_downloaded_and_no_network_says_what_to_do(tiny_sd: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(sd_models.FAST_DECODER_DIR_ENV, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(GenArtError, match="madebyollin/taesd.*HF_HUB_OFFLINE.*untick Fast decoder"):
        engine.run(_request(tiny_sd, fast_decoder=True))
