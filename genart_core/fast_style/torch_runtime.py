"""The instant path on our torch module: CUDA/MPS when present, else the CPU in bf16 where that is
faster. The style predictor stays on onnxruntime: it runs once per style image and is not tuned."""

from __future__ import annotations

import numpy as np
import torch

from genart_core.device import choose_device, fast_dtype
from genart_core.fast_style.onnx_runtime import OnnxStyleNetworks
from genart_core.fast_style.pictures import from_nhwc, to_nhwc
from genart_core.fast_style.torch_transformer import load_transformer
from genart_core.models.style_transformer import norm_bias_names


class TorchStyleNetworks:
    name = "torch"

    def __init__(self, threads: int | None = None, dtype: torch.dtype | None = None, device: str | None = None) -> None:
        self._predictor = OnnxStyleNetworks(threads)
        self.device = choose_device(device)
        self.dtype = dtype or fast_dtype(self.device)
        self.model = load_transformer().to(self.device, self.dtype).to(memory_format=torch.channels_last)
        parameters = dict(self.model.named_parameters())
        self._norm_biases = {name: parameters[name] for name in norm_bias_names(self.model)}
        self._shipped_biases = {name: bias.clone() for name, bias in self._norm_biases.items()}

    def predict(self, style_square: np.ndarray) -> np.ndarray:
        return self._predictor.predict(style_square)

    def stylize(self, content: np.ndarray, style_vector: np.ndarray, norm_offsets: dict[str, np.ndarray] | None = None) -> np.ndarray:
        self._set_norm_offsets(norm_offsets or {})
        x = torch.from_numpy(to_nhwc(content)).permute(0, 3, 1, 2).to(self.device, self.dtype)
        style = torch.from_numpy(np.asarray(style_vector, np.float32))[None].to(self.device, self.dtype)
        with torch.inference_mode():
            out = self.model(x.contiguous(memory_format=torch.channels_last), style)
        return from_nhwc(out.float().permute(0, 2, 3, 1).cpu().numpy())

    def _set_norm_offsets(self, norm_offsets: dict[str, np.ndarray]) -> None:
        """γ/β biases = shipped + offsets (set from the shipped copy, so no error builds up in bf16)."""
        with torch.no_grad():
            for name, bias in self._norm_biases.items():
                offset = norm_offsets.get(name)
                shipped = self._shipped_biases[name]
                bias.copy_(shipped if offset is None else shipped.float() + torch.from_numpy(np.asarray(offset, np.float32)).to(self.device))
