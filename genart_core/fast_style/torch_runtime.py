"""The instant path on our torch module: CUDA/MPS when present, else the CPU in bf16 where that is
faster. The style predictor stays on onnxruntime: it runs once per style image and is not tuned."""

from __future__ import annotations

import os

import numpy as np
import torch

from genart_core.device import choose_device, fast_dtype, intra_op_threads
from genart_core.fast_style.onnx_runtime import OnnxStyleNetworks
from genart_core.fast_style.pictures import from_nhwc, to_nhwc
from genart_core.fast_style.torch_transformer import load_transformer
from genart_core.models.style_transformer import NormMoments, norm_bias_names

# Each norm's (mean, variance) per channel, float32 numpy: a pass's normalisation statistics (live_update).
Statistics = list[tuple[np.ndarray, np.ndarray]]


def instant_threads() -> int:
    """Threads for an instant pass on the CPU: half the cores. On the 2-core development CPU, one
    thread against two (bench/instant_threads.py, interleaved): quiet, a whole 512² picture took
    0.125 s against 0.093 s and a Live crop update 0.044 s against 0.030 s; with two busy
    processes beside it, 0.193 s against 0.812 s and 0.085 s against 0.595 s. torch's OpenMP
    threads wait for each other at every operator, so one that has lost its core holds the others
    back (another program at work, or the app's own job worker learning a style). Not measured on
    larger CPUs: half leaves room for the GUI thread and the job worker there too."""
    return max(1, (os.cpu_count() or 2) // 2)


class TorchStyleNetworks:
    name = "torch"

    def __init__(self, threads: int | None = None, dtype: torch.dtype | None = None, device: str | None = None) -> None:
        self._predictor = OnnxStyleNetworks(threads)
        self.device = choose_device(device)
        self._threads = threads or (instant_threads() if self.device.type == "cpu" else None)
        self.dtype = dtype or fast_dtype(self.device)
        self.model = load_transformer().to(self.device, self.dtype).to(memory_format=torch.channels_last)
        parameters = dict(self.model.named_parameters())
        self._norm_biases = {name: parameters[name] for name in norm_bias_names(self.model)}
        self._shipped_biases = {name: bias.clone() for name, bias in self._norm_biases.items()}

    def predict(self, style_square: np.ndarray) -> np.ndarray:
        return self._predictor.predict(style_square)

    def stylize(self, content: np.ndarray, style_vector: np.ndarray, norm_offsets: dict[str, np.ndarray] | None = None,
                statistics: Statistics | None = None) -> np.ndarray:
        """The stylised picture; with ``statistics`` (from stylize_recording), normalised by those
        instead of its own (a crop of the picture they were recorded on comes out as within it)."""
        moments = None
        if statistics is not None:
            moments = NormMoments([(self._tensor(mean), self._tensor(variance)) for mean, variance in statistics])
        return self._run(content, style_vector, norm_offsets, moments)

    def stylize_recording(self, content: np.ndarray, style_vector: np.ndarray,
                          norm_offsets: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, Statistics]:
        """The stylised picture and its normalisation statistics."""
        moments = NormMoments()
        image = self._run(content, style_vector, norm_offsets, moments)
        return image, [(mean.cpu().numpy(), variance.cpu().numpy()) for mean, variance in moments.values]

    def _tensor(self, values: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.asarray(values, np.float32)).to(self.device)

    def _run(self, content: np.ndarray, style_vector: np.ndarray, norm_offsets: dict[str, np.ndarray] | None,
             moments: NormMoments | None) -> np.ndarray:
        self._set_norm_offsets(norm_offsets or {})
        x = torch.from_numpy(to_nhwc(content)).permute(0, 3, 1, 2).to(self.device, self.dtype)
        style = torch.from_numpy(np.asarray(style_vector, np.float32))[None].to(self.device, self.dtype)
        with torch.inference_mode(), intra_op_threads(self._threads):
            out = self.model(x.contiguous(memory_format=torch.channels_last), style, moments)
        return from_nhwc(out.float().permute(0, 2, 3, 1).cpu().numpy())

    def _set_norm_offsets(self, norm_offsets: dict[str, np.ndarray]) -> None:
        """γ/β biases = shipped + offsets (set from the shipped copy, so no error builds up in bf16)."""
        with torch.no_grad():
            for name, bias in self._norm_biases.items():
                offset = norm_offsets.get(name)
                shipped = self._shipped_biases[name]
                bias.copy_(shipped if offset is None else shipped.float() + torch.from_numpy(np.asarray(offset, np.float32)).to(self.device))
