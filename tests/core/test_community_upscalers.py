"""Community upscalers through spandrel: small real ESRGAN/SPAN/Compact networks built here, saved as
safetensors or .pth; unsafe, damaged and wrong files refused with a message; adding and listing them."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from spandrel.architectures.Compact import Compact
from spandrel.architectures.DnCNN import DnCNN
from spandrel.architectures.ESRGAN import ESRGAN
from spandrel.architectures.SPAN import SPAN

from genart_core import paths, upscalers
from genart_core.community_upscalers import UpscalerError
from genart_core.pipelines.upscale import upscale, upscale_array

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def save_network(network: torch.nn.Module, path: Path) -> Path:
    state = {key: value.contiguous() for key, value in network.state_dict().items()}
    if path.suffix == ".safetensors":
        save_file(state, str(path))
    else:
        torch.save({"params_ema": state}, str(path))  # the wrapping Real-ESRGAN's releases use
    return path


def picture(height: int = 20, width: int = 24) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: ESRGAN(num_filters=8, num_blocks=1, scale=2), "esrgan.safetensors"),
        (lambda: SPAN(num_in_ch=3, num_out_ch=3, feature_channels=8, upscale=2), "span.safetensors"),
        (lambda: Compact(num_feat=8, num_conv=2, upscale=2), "compact.pth"),
    ],
)
def test_small_real_architectures_upscale_from_safetensors_and_pth(make, name, tmp_path) -> None:
    torch.manual_seed(0)
    path = save_network(make(), tmp_path / name)
    made = upscale(picture(), 2, str(path))
    assert made.image.shape == (40, 48, 3) and made.image.dtype == np.uint8
    assert made.upscaler == Path(name).stem


def test_a_four_times_network_gives_two_times_by_reducing_its_output(tmp_path) -> None:
    torch.manual_seed(0)
    path = save_network(Compact(num_feat=8, num_conv=2, upscale=4), tmp_path / "4x-compact.safetensors")
    assert upscale_array(picture(), 2, str(path)).shape == (40, 48, 3)
    assert upscale_array(picture(), 4, str(path)).shape == (80, 96, 3)


def test_community_tiles_match_an_untiled_pass_closely(tmp_path) -> None:
    torch.manual_seed(0)
    path = str(save_network(Compact(num_feat=8, num_conv=2, upscale=2), tmp_path / "compact.safetensors"))
    image = picture(90, 100)
    tiled, whole = upscale_array(image, 2, path, tile=64), upscale_array(image, 2, path, tile=2048)
    assert np.abs(tiled.astype(int) - whole).max() <= 1


class Exploit:
    def __reduce__(self):
        return (print, ("this would have run",))


def test_a_pth_holding_code_is_refused_not_run(tmp_path, capsys) -> None:
    path = tmp_path / "evil.pth"
    torch.save({"weight": torch.zeros(2), "payload": Exploit()}, str(path))
    with pytest.raises(UpscalerError, match="could not be read as plain weights.*never runs"):
        upscale_array(picture(), 2, str(path))
    assert "this would have run" not in capsys.readouterr().out


@pytest.mark.parametrize("suffix", [".ckpt", ".pt", ".bin", ".onnx"])
def test_other_extensions_are_refused_before_reading(suffix, tmp_path) -> None:
    path = tmp_path / f"model{suffix}"
    path.write_bytes(pickle.dumps({"weight": 1}))
    with pytest.raises(UpscalerError, match="not an upscaler file GenArt Studio reads"):
        upscale_array(picture(), 2, str(path))


def test_files_that_are_not_upscalers_get_a_message(tmp_path) -> None:
    save_file({"banana": torch.zeros(3, 3)}, str(tmp_path / "random.safetensors"))
    with pytest.raises(UpscalerError, match="not a network spandrel recognises"):
        upscale_array(picture(), 2, str(tmp_path / "random.safetensors"))
    save_network(DnCNN(in_nc=3, out_nc=3, nc=8), tmp_path / "denoiser.safetensors")
    with pytest.raises(UpscalerError, match="DnCNN network for Restoration, not an upscaler"):
        upscale_array(picture(), 2, str(tmp_path / "denoiser.safetensors"))


def test_truncated_and_garbage_files_get_a_message(tmp_path) -> None:
    whole = save_network(SPAN(num_in_ch=3, num_out_ch=3, feature_channels=8, upscale=2), tmp_path / "span.safetensors")
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(whole.read_bytes()[:-1000])
    with pytest.raises(UpscalerError, match="truncated"):
        upscale_array(picture(), 2, str(cut))
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"\x00not a zip or a pickle" * 10)
    with pytest.raises(UpscalerError, match="could not be read as plain weights"):
        upscale_array(picture(), 2, str(garbage))


def test_added_upscalers_are_listed_and_found_by_key(tmp_path) -> None:
    path = save_network(Compact(num_feat=8, num_conv=2, upscale=2), tmp_path / "2x-Compact.safetensors")
    spec = upscalers.add_upscaler(str(path))
    assert spec.kind == "file" and spec in upscalers.list_upscalers()
    assert upscalers.resolve(spec.key) == spec
    path.unlink()  # moved away since: left out of the list, not an error at start
    assert spec not in upscalers.list_upscalers()


def test_adding_a_file_that_is_not_an_upscaler_is_refused_and_not_remembered(tmp_path) -> None:
    save_file({"banana": torch.zeros(3)}, str(tmp_path / "random.safetensors"))
    with pytest.raises(UpscalerError):
        upscalers.add_upscaler(str(tmp_path / "random.safetensors"))
    assert not (paths.data_dir() / upscalers.REGISTRY_FILE).exists()


def test_a_damaged_upscaler_list_loses_only_its_bad_entries(tmp_path) -> None:
    good = save_network(Compact(num_feat=8, num_conv=2, upscale=2), tmp_path / "good.safetensors")
    registry = paths.data_dir() / upscalers.REGISTRY_FILE
    registry.parent.mkdir(parents=True, exist_ok=True)
    entries = [{"key": "good", "label": "good", "kind": "file", "location": str(good)}, {"key": 7}, "text"]
    registry.write_text(json.dumps(entries))
    assert [spec.key for spec in upscalers.list_upscalers() if spec.kind == "file"] == ["good"]
    registry.write_text("{ not json")
    assert [spec for spec in upscalers.list_upscalers() if spec.kind == "file"] == []


def test_a_hub_file_needs_the_network_and_says_so_offline() -> None:
    with pytest.raises(UpscalerError, match="HF_HUB_OFFLINE is set"):
        upscalers.add_upscaler("someone/upscalers/4x-Model.safetensors")
    with pytest.raises(UpscalerError, match="neither an upscaler file nor a hub file"):
        upscalers.add_upscaler("someone/upscalers")
