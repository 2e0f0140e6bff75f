"""Our torch StyleTransformer with the weights of Magenta's transformer graph (dequantised int8),
as transformer_weights derives and caches them."""

from __future__ import annotations

import safetensors.torch

from genart_core.fast_style import transformer_weights
from genart_core.fast_style.network_files import REINSTALL, NetworkFileError
from genart_core.models.style_transformer import StyleTransformer, StyleTransformerConfig


def load_transformer() -> StyleTransformer:
    """The transformer in eval mode, float32, on the CPU."""
    state = safetensors.torch.load(transformer_weights.weights_bytes())
    model = StyleTransformer(StyleTransformerConfig(epsilon=float(state.pop(transformer_weights.EPSILON_KEY))))
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise NetworkFileError(f"The style transformer's weights do not fit the network ({exc}); reinstall with: {REINSTALL}") from None
    return model.eval().requires_grad_(False)
