"""The instant path on our torch module: CUDA/MPS when present, else the CPU in bf16 where that is
faster. The style predictor stays on onnxruntime: it runs once per style image and is not tuned."""

from __future__ import annotations

import numpy as np
import torch

from genart_core.device import choose_device, fast_dtype
from genart_core.fast_style.onnx_runtime import OnnxStyleNetworks
from genart_core.fast_style.pictures import from_nhwc, to_nhwc
from genart_core.fast_style.torch_transformer import load_transformer


class TorchStyleNetworks:
    name = "torch"

    def __init__(self, threads: int | None = None, dtype: torch.dtype | None = None, device: str | None = None) -> None:
        self._predictor = OnnxStyleNetworks(threads)
        self.device = choose_device(device)
        self.dtype = dtype or fast_dtype(self.device)
        self.model = load_transformer().to(self.device, self.dtype).to(memory_format=torch.channels_last)

    def predict(self, style_square: np.ndarray) -> np.ndarray:
        return self._predictor.predict(style_square)

    def stylize(self, content: np.ndarray, style_vector: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(to_nhwc(content)).permute(0, 3, 1, 2).to(self.device, self.dtype)
        style = torch.from_numpy(np.asarray(style_vector, np.float32))[None].to(self.device, self.dtype)
        with torch.inference_mode():
            out = self.model(x.contiguous(memory_format=torch.channels_last), style)
        return from_nhwc(out.float().permute(0, 2, 3, 1).cpu().numpy())
