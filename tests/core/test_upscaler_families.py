"""Which network runs for which scale: our models come in families (genart-sr: 2× and 4×), a
folder or a community file keeps its own scale, and the lists say what each one is."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genart_core import paths, upscalers
from genart_core.cli import main
from genart_core.pipelines.upscale import upscale, upscale_array
from genart_core.sharp_enlarge import DIGIT_UPSCALER, sample_upscaler
from genart_core.weights import available_models
from tests.core.test_upscale import noise, save_tiny_sr

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def family() -> tuple[str, str]:
    """A 2× and a 4× model of one family among the user's models, and a 2× model of no family."""
    two = save_tiny_sr(paths.models_dir() / "fam-sr", seed=1, scale=2, family="fam-sr")
    four = save_tiny_sr(paths.models_dir() / "fam-sr-4x", seed=2, scale=4, family="fam-sr")
    save_tiny_sr(paths.models_dir() / "solo-sr", seed=3, scale=2)
    return str(two), str(four)


def test_the_family_member_made_for_the_scale_runs(family) -> None:
    two, four = family
    image = noise(12, 10)
    made = upscale(image, 4, "fam-sr")
    assert made.upscaler == "fam-sr-4x"
    assert np.array_equal(made.image, upscale_array(image, 4, four))  # the 4× network, once
    assert not np.array_equal(made.image, upscale_array(upscale_array(image, 2, two), 2, two))
    assert upscale(image, 2, "fam-sr").upscaler == "fam-sr"
    assert upscale(image, 2, "fam-sr-4x").upscaler == "fam-sr"  # 2× asked: the 2× network


def test_without_a_family_member_for_the_scale_the_named_network_runs(family) -> None:
    two, _four = family
    assert upscale(noise(8, 8), 4, "solo-sr").upscaler == "solo-sr"  # a 2× network twice
    # A folder names one network: it keeps its own scale.
    assert upscale(noise(8, 8), 4, two).upscaler == "fam-sr"
    assert upscalers.resolve(two, 4).location == two


def test_a_community_file_keeps_its_own_scale(tmp_path) -> None:
    from safetensors.torch import save_file
    from spandrel.architectures.Compact import Compact

    torch.manual_seed(0)
    path = tmp_path / "4x-Tiny.safetensors"
    save_file({k: v.contiguous() for k, v in Compact(num_feat=8, num_conv=2, upscale=4).state_dict().items()}, str(path))
    assert upscalers.resolve(str(path), 2) == upscalers.resolve(str(path), 4) == upscalers.resolve(str(path))
    made = upscale(noise(8, 8), 2, str(path))
    assert made.upscaler == "4x-Tiny" and made.image.shape == (16, 16, 3)


def test_the_lists_say_each_networks_scale_and_use(family, capsys) -> None:
    save_tiny_sr(paths.models_dir() / "digits-sr", scale=4, pictures="digits")
    listed = upscalers.list_upscalers()
    labels = {spec.key: spec.label for spec in listed}
    # genart-sr's family first, then other upscalers, then those for digits; bundled before yours.
    assert [spec.key for spec in listed] == ["genart-sr", "genart-sr-4x", "fam-sr", "fam-sr-4x", "solo-sr", DIGIT_UPSCALER, "digits-sr"]
    assert labels["fam-sr"] == "fam-sr (yours, 2×; 4× by fam-sr-4x)"
    assert labels["fam-sr-4x"] == "fam-sr-4x (yours, 4×; 2× by fam-sr)"
    assert labels["solo-sr"] == "solo-sr (yours, 2×)"
    assert labels["digits-sr"] == "digits-sr (yours, 4×, for 28 px digits)"
    assert main(["models", "list"]) == 0
    listed = capsys.readouterr().out
    assert "fam-sr (yours, 2×; 4× by fam-sr-4x)" in listed


def test_the_bundled_upscalers_cover_2x_4x_and_digits() -> None:
    bundled = {entry.name: entry.card for entry in available_models(upscalers.SR_KIND) if entry.status == "bundled"}
    assert {name: upscalers.card_scale(card) for name, card in bundled.items()} == {"genart-sr": 2, "genart-sr-4x": 4, DIGIT_UPSCALER: 4}
    assert upscalers.resolve("genart-sr", 4).key == "genart-sr-4x"
    assert upscalers.resolve("genart-sr", 2).key == "genart-sr"
    assert upscalers.resolve(DIGIT_UPSCALER, 2).key == DIGIT_UPSCALER  # no 2× digit network: 4×, then reduced
    assert bundled[DIGIT_UPSCALER]["pictures"] == "digits"
    assert upscalers.list_upscalers()[0].key == "genart-sr"  # what the Upscale dialog and hires fix offer first
    assert upscalers.card_scale({"config": "damaged"}) is None and upscalers.card_scale({"config": {"scale": True}}) is None



def test_digit_models_get_the_digit_upscaler_and_others_genart_sr() -> None:
    cards = {entry.name: entry.card for entry in available_models() if entry.kind in ("gan", "vae") and entry.status == "bundled"}
    assert cards and all(sample_upscaler(card) == DIGIT_UPSCALER for card in cards.values())
    assert sample_upscaler({"config": {"channels": 1}, "data": "13233 faces (lfw_subset)"}) == "genart-sr"
    assert sample_upscaler({"config": {"channels": 3}, "data": "digits in colour"}) == "genart-sr"
    assert sample_upscaler({"config": "damaged", "data": 5}) == "genart-sr"


def test_a_model_added_or_changed_after_a_lookup_is_seen_at_the_next() -> None:
    save_tiny_sr(paths.models_dir() / "late-sr", scale=2, family="late-sr")
    assert upscalers.resolve("late-sr", 4).key == "late-sr"  # no 4× member yet: the 2× network twice
    save_tiny_sr(paths.models_dir() / "late-sr-4x", scale=4, family="late-sr")
    assert upscalers.resolve("late-sr", 4).key == "late-sr-4x"
    save_tiny_sr(paths.models_dir() / "late-sr-4x", scale=4, family="another")  # retrained into another family
    assert upscalers.resolve("late-sr", 4).key == "late-sr"
