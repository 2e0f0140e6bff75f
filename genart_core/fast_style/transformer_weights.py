"""The weights of our torch StyleTransformer (models/style_transformer.py), taken from Magenta's
transformer graph (dequantised int8) and cached as a safetensors file (derived_files).

numpy only, no torch: the instant path's first start, which imports ``onnx`` anyway to derive its
float graphs, derives these beside them (onnx_runtime.derive_float_graph), so loading our module
later never imports onnx, whose import stalls every other thread (the GUI's too) for seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from genart_core.fast_style import derived_files, float_graph, network_files
from genart_core.fast_style.network_files import REINSTALL, NetworkFileError

if TYPE_CHECKING:
    import onnx

RESIDUAL_BLOCKS = 5  # the graph's, and StyleTransformerConfig's default
# Bump when state_from_graph changes what it makes of the graph.
DERIVATION_VERSION = 1
EPSILON_KEY = "config.epsilon"  # the instance norms' epsilon, stored beside the weights
_CONTRACT = "transformer/contract/conv{}"
_RESIDUAL = "transformer/residual/residual{}/conv{}"
_EXPAND = "transformer/expand/conv{}/conv"


def state_from_graph(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The graph's weights under our module's parameter names (its TensorFlow scopes mapped)."""
    pairs: dict[str, str] = {}  # our prefix -> graph scope
    for i in range(3):
        pairs[f"contract.{i}.1"] = _CONTRACT.format(i + 1)
    for block in range(RESIDUAL_BLOCKS):
        for conv in (1, 2):
            scope = _RESIDUAL.format(block + 1, conv)
            pairs[f"residual.{block}.conv{conv}.1"] = scope
            for part in ("scale", "shift"):
                pairs[f"residual.{block}.norm{conv}.{part}"] = float_graph.norm_scope(f"residual.{block}.norm{conv}.{part}.bias")
    for i in range(3):
        scope = _EXPAND.format(i + 1)
        pairs[f"expand.{i}.conv.1"] = scope
        for part in ("scale", "shift"):
            pairs[f"expand.{i}.norm.{part}"] = float_graph.norm_scope(f"expand.{i}.norm.{part}.bias")
    state: dict[str, np.ndarray] = {}
    for ours, scope in pairs.items():
        try:
            weight, bias = weights[f"{scope}.weight"], weights[f"{scope}.bias"]
        except KeyError:
            raise NetworkFileError(f"The style transformer graph lacks {scope}; reinstall with: {REINSTALL}") from None
        if ours.endswith(("scale", "shift")):
            weight = weight.reshape(weight.shape[0], -1)  # a 1×1 conv on the style vector is a linear map
        state[f"{ours}.weight"] = np.ascontiguousarray(weight, np.float32)
        state[f"{ours}.bias"] = np.ascontiguousarray(bias, np.float32)
    return state


def weights_bytes(graph: "onnx.ModelProto | None" = None) -> bytes:
    """safetensors bytes: our module's state, and EPSILON_KEY. ``graph``: the transformer's float
    graph (to_float_graph), where the caller has derived it already."""
    return derived_files.cached_or_derived(_cache_name(), lambda: _derive(graph))


def _cache_name() -> str:
    return derived_files.name_for(network_files.TRANSFORMER, "weights", DERIVATION_VERSION, ".safetensors")


def _derive(graph: "onnx.ModelProto | None") -> bytes:
    import safetensors.numpy

    if graph is None:
        graph = float_graph.to_float_graph(network_files.load_model(network_files.TRANSFORMER), network_files.CONTENT_INPUT)
    state = state_from_graph(float_graph.conv_weights(graph))
    state[EPSILON_KEY] = np.array(float_graph.epsilon(graph), np.float64)
    return safetensors.numpy.save(state)
