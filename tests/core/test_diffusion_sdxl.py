"""SDXL through the app's real loader: a tiny SDXL pipeline (two CLIP text encoders, a UNet with
SDXL's size-and-crop conditioning) built and saved in the test, then text-to-image, image-to-image
and inpainting, 2 steps each, with previews and Stop and keep. Nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from genart_core import sd_models
from genart_core.api import CancelToken, Progress
from genart_core.engine import Engine
from genart_core.pipelines.diffusion import sd_family
from genart_core.requests.diffusion import ImageToImageRequest, InpaintRequest, TextToImageRequest
from tests.core.test_diffusion import FACTOR, SIZE, _tokenizer
from tests.images import gradient

TIME_EMBED = 8  # per number of SDXL's six (original size, crop corner, target size)
TEXT_WIDTH = 16  # each text encoder's hidden size; the UNet attends to both side by side


def _text_encoder(with_projection: bool):
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    config = CLIPTextConfig(
        vocab_size=80, hidden_size=TEXT_WIDTH, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
        max_position_embeddings=16, bos_token_id=0, eos_token_id=1, pad_token_id=1, projection_dim=TEXT_WIDTH,
    )
    return CLIPTextModelWithProjection(config) if with_projection else CLIPTextModel(config)


def build_tiny_sdxl(folder: Path) -> Path:
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=SIZE // FACTOR, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(16, 32),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=2 * TEXT_WIDTH, attention_head_dim=4, norm_num_groups=8, use_linear_projection=True,
        addition_embed_type="text_time", addition_time_embed_dim=TIME_EMBED,
        projection_class_embeddings_input_dim=6 * TIME_EMBED + TEXT_WIDTH,  # the sizes plus the pooled prompt
    )
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(16, 32, 32), layers_per_block=1,
        down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3, norm_num_groups=8,
        sample_size=SIZE, scaling_factor=0.13025,
    )
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1)
    pipe = StableDiffusionXLPipeline(
        vae=vae, text_encoder=_text_encoder(False), text_encoder_2=_text_encoder(True), tokenizer=_tokenizer(),
        tokenizer_2=_tokenizer(), unet=unet, scheduler=scheduler, force_zeros_for_empty_prompt=True,
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


@pytest.fixture(scope="module")
def tiny_sdxl(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(build_tiny_sdxl(tmp_path_factory.mktemp("tiny-sdxl")))


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def _values(model: str, **changes) -> dict:
    values = dict(prompt="a red barn", model=model, steps=2, guidance=3.0, width=SIZE, height=SIZE, seed=3)
    values.update(changes)
    return values


def test_sdxl_folder_loads_as_sdxl_and_makes_images_with_previews(tiny_sdxl: str, engine: Engine) -> None:
    reports: list[Progress] = []
    result = engine.run(TextToImageRequest(**_values(tiny_sdxl, count=2, negative_prompt="fog")), reports.append)
    assert [image.shape for image in result.images] == [(SIZE, SIZE, 3)] * 2
    assert [info.seed for info in result.infos] == [3, 4]
    assert not np.array_equal(result.images[0], result.images[1])
    assert sum(r.preview is not None for r in reports) == 4
    assert sd_family(sd_models.load_pipeline(sd_models.resolve(tiny_sdxl), torch.float32)) == "sdxl"


def test_sdxl_image_to_image_and_inpainting_keep_the_picture_size(tiny_sdxl: str, engine: Engine) -> None:
    picture = gradient(48, 80)  # not square, and not the model's own size
    changed = engine.run(ImageToImageRequest(**_values(tiny_sdxl), init_image=picture, strength=0.5)).images[0]
    assert changed.shape == picture.shape

    mask = np.zeros(picture.shape[:2], np.uint8)
    mask[10:30, 20:50] = 255
    inpainted = engine.run(InpaintRequest(**_values(tiny_sdxl), init_image=picture, mask=mask, strength=1.0))
    assert inpainted.images[0].shape == picture.shape
    assert inpainted.infos[0].extra["Mode"] == "inpaint"


def test_sdxl_stop_and_keep_returns_the_image_so_far(tiny_sdxl: str, engine: Engine) -> None:
    token = CancelToken()

    def stop_after_first_step(progress: Progress) -> None:
        if progress.phase.startswith("Denoising") and progress.step == 1:
            token.stop_and_keep()

    result = engine.run(TextToImageRequest(**_values(tiny_sdxl, steps=4)), stop_after_first_step, token)
    # Asked after step 1's report, it takes effect when step 2 ends.
    assert len(result.images) == 1 and result.infos[0].extra["Stopped at step"] == "2/4"
    assert result.images[0].std() > 0
