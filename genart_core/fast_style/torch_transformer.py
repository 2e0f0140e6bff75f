"""Our torch StyleTransformer with the weights of Magenta's transformer graph (dequantised int8)."""

from __future__ import annotations

import numpy as np
import torch

from genart_core.fast_style import float_graph, network_files
from genart_core.fast_style.network_files import REINSTALL, NetworkFileError
from genart_core.models.style_transformer import StyleTransformer, StyleTransformerConfig

_CONTRACT = "transformer/contract/conv{}"
_RESIDUAL = "transformer/residual/residual{}/conv{}"
_EXPAND = "transformer/expand/conv{}/conv"


def state_from_graph(weights: dict[str, np.ndarray], config: StyleTransformerConfig) -> dict[str, torch.Tensor]:
    """Map the graph's TensorFlow scopes onto our module's parameter names."""
    pairs: dict[str, str] = {}  # our prefix -> graph scope
    for i in range(3):
        pairs[f"contract.{i}.1"] = _CONTRACT.format(i + 1)
    for block in range(config.residual_blocks):
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
    state: dict[str, torch.Tensor] = {}
    for ours, scope in pairs.items():
        try:
            weight, bias = weights[f"{scope}.weight"], weights[f"{scope}.bias"]
        except KeyError:
            raise NetworkFileError(f"The style transformer graph lacks {scope}; reinstall with: {REINSTALL}") from None
        if ours.endswith(("scale", "shift")):
            weight = weight.reshape(weight.shape[0], -1)  # a 1×1 conv on the style vector is a linear map
        state[f"{ours}.weight"] = torch.tensor(weight)
        state[f"{ours}.bias"] = torch.tensor(bias)
    return state


def load_transformer() -> StyleTransformer:
    """The transformer in eval mode, float32, on the CPU."""
    graph = float_graph.to_float_graph(network_files.load_model(network_files.TRANSFORMER), "content_image")
    config = StyleTransformerConfig(epsilon=float_graph.epsilon(graph))
    model = StyleTransformer(config)
    try:
        model.load_state_dict(state_from_graph(float_graph.conv_weights(graph), config))
    except RuntimeError as exc:
        raise NetworkFileError(f"The style transformer's weights do not fit the network ({exc}); reinstall with: {REINSTALL}") from None
    return model.eval().requires_grad_(False)
