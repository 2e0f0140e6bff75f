"""An SD 1.x model with a safety checker: a flagged image is named in the result, never silently black,
and the request can turn the checker off. The checker is diffusers' real StableDiffusionSafetyChecker
on a tiny CLIP vision model, saved into the tiny SD's folder and loaded by the app's real loader; its
concept thresholds are set so that it flags every image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from genart_core.engine import Engine
from genart_core.pipelines.diffusion import SAFETY_FLAGGED
from genart_core.requests.diffusion import TextToImageRequest
from tests.core.test_diffusion import SIZE, build_tiny_sd


def _add_flag_everything_checker(folder: Path) -> Path:
    from diffusers import StableDiffusionPipeline
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPConfig, CLIPImageProcessor

    torch.manual_seed(2)
    config = CLIPConfig(
        text_config={"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2},
        vision_config={"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "image_size": 32, "patch_size": 8},
        projection_dim=16,
    )
    checker = StableDiffusionSafetyChecker(config)
    with torch.no_grad():  # a cosine similarity is always above -2: every image counts as flagged
        checker.concept_embeds_weights.fill_(-2.0)
    processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    pipe = StableDiffusionPipeline.from_pretrained(str(folder), safety_checker=checker, feature_extractor=processor, requires_safety_checker=True)
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


@pytest.fixture(scope="module")
def checked_sd(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(_add_flag_everything_checker(build_tiny_sd(tmp_path_factory.mktemp("checked-sd"))))


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()  # the model loads once, as in the app


def _request(model: str, **changes) -> TextToImageRequest:
    values = dict(prompt="a cat", model=model, steps=2, guidance=3.0, width=SIZE, height=SIZE, seed=5, count=2)
    values.update(changes)
    return TextToImageRequest(**values)


def test_a_flagged_image_is_named_in_the_result_and_its_info(checked_sd: str, engine: Engine) -> None:
    result = engine.run(_request(checked_sd))
    assert _all_black(result.images)  # what the checker does to a flagged image
    assert [info.extra.get("Safety checker") for info in result.infos] == [SAFETY_FLAGGED] * 2
    assert len(result.notes) == 1 and "2 of 2 images" in result.notes[0] and "Safety checker" in result.notes[0]


def test_the_checker_can_be_turned_off_and_comes_back_for_the_next_job(checked_sd: str, engine: Engine) -> None:
    unchecked = engine.run(_request(checked_sd, safety_checker=False))
    assert not _all_black(unchecked.images) and not unchecked.notes
    assert all("Safety checker" not in info.extra for info in unchecked.infos)
    assert unchecked.infos[0].request["safety_checker"] is False  # reproducible: the choice is in the request
    checked_again = engine.run(_request(checked_sd))  # the cached pipeline got its checker back
    assert _all_black(checked_again.images) and checked_again.notes


def _all_black(images: list[np.ndarray]) -> bool:
    return all((image == 0).all() for image in images)


def test_genart_generate_prints_the_notes_and_can_turn_the_checker_off(checked_sd: str, tmp_path: Path, capsys) -> None:
    from genart_core.cli import main
    from genart_core.imaging import load_image

    common = ["generate", "a cat", "--model", checked_sd, "--steps", "2", "--guidance", "3", "--size", f"{SIZE}x{SIZE}", "--seed", "5"]
    assert main([*common, "-o", str(tmp_path / "checked.png")]) == 0
    assert "Safety checker" in capsys.readouterr().err
    assert _all_black([load_image(tmp_path / "checked.png")])
    assert main([*common, "--no-safety-checker", "-o", str(tmp_path / "unchecked.png")]) == 0
    assert "Safety checker" not in capsys.readouterr().err
    assert not _all_black([load_image(tmp_path / "unchecked.png")])
