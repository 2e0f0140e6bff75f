"""Compiled OpenVINO models that stand in for torch modules inside a diffusers pipeline.

Each wrapper takes and returns torch tensors and answers what the pipelines ask of the module it
replaces (config, dtype, device, the output type), so schedulers, callbacks, previews, Cancel,
image-to-image, inpainting, VAE tiling and SDXL's extra conditioning run unchanged. Inputs go in
as float32 (token ids as int64); outputs come back as float32 tensors that own their memory.
"""

from __future__ import annotations

import numpy as np
import torch

from genart_core.api import GenArtError
from genart_core.openvino_backend.choice import BACKEND_ENV, TORCH

MAX_DETAIL = 300  # characters of OpenVINO's own message kept in ours


class OpenVinoRunError(GenArtError):
    """A compiled model failed while it ran (it had compiled): a runtime or plugin fault."""


class _CompiledModule(torch.nn.Module):
    """A torch module whose forward runs one compiled OpenVINO model on the CPU."""

    def __init__(self, compiled, part: str) -> None:
        super().__init__()
        self.part = part  # what it stands in for, as the user's error message names it
        self._request = compiled.create_infer_request()
        self._input_dtypes = tuple(np.dtype(port.get_element_type().to_dtype()) for port in compiled.inputs)
        # An empty float32 CPU tensor: diffusers finds a model's device and dtype from its first
        # parameter or buffer, and TAESD has nothing else once its encoder and decoder are replaced.
        self.register_buffer("device_marker", torch.zeros(0), persistent=False)

    @property
    def dtype(self) -> torch.dtype:
        return torch.float32  # what goes in and comes out; the inside runs at the compiled precision

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    def _infer(self, *tensors: torch.Tensor) -> list[torch.Tensor]:
        inputs = [tensor.detach().cpu().numpy().astype(dtype, copy=False) for tensor, dtype in zip(tensors, self._input_dtypes)]
        try:
            results = self._request.infer(inputs, share_outputs=False)  # copies: the next call reuses the buffers
        except RuntimeError as exc:  # what OpenVINO raises for any failed inference
            raise OpenVinoRunError(
                f"OpenVINO failed while running {self.part}: {_detail(exc)} Set {BACKEND_ENV}={TORCH} to run "
                "Stable Diffusion on torch instead."
            ) from exc
        return [torch.from_numpy(np.asarray(results[index])) for index in range(len(results))]


def _detail(exc: RuntimeError) -> str:
    """OpenVINO's message without the source-file lines it starts with: its last line says what failed."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[-1] if lines else type(exc).__name__
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


class OpenVinoUNet(_CompiledModule):
    """Replaces pipe.unet. Keeps the UNet's config and, for SDXL, its add_embedding (the pipeline
    reads its input width to check the size conditioning)."""

    def __init__(self, compiled, unet: torch.nn.Module, input_names: tuple[str, ...]) -> None:
        super().__init__(compiled, "the UNet")
        self.config = unet.config
        self._input_names = input_names
        if hasattr(unet, "add_embedding"):
            self.add_embedding = unet.add_embedding

    def forward(self, sample, timestep, encoder_hidden_states, timestep_cond=None, cross_attention_kwargs=None, added_cond_kwargs=None, return_dict=True, **unused):
        from diffusers.models.unets.unet_2d_condition import UNet2DConditionOutput

        timestep = torch.as_tensor(timestep, dtype=torch.float32).reshape(-1).expand(sample.shape[0])
        values = {"sample": sample, "timestep": timestep, "encoder_hidden_states": encoder_hidden_states, "timestep_cond": timestep_cond}
        values.update(added_cond_kwargs or {})
        (noise,) = self._infer(*(values[name] for name in self._input_names))
        return UNet2DConditionOutput(sample=noise) if return_dict else (noise,)


class OpenVinoTextEncoder(_CompiledModule):
    """Replaces a CLIP text encoder (with or without projection) and returns its output type."""

    def __init__(self, compiled, encoder: torch.nn.Module, fields: tuple[str, ...], output_type: type) -> None:
        super().__init__(compiled, "the text encoder")
        self.config = encoder.config
        self._fields, self._output_type = fields, output_type

    def forward(self, input_ids, attention_mask=None, output_hidden_states=None, return_dict=True, **unused):
        # The SD text encoders take no attention mask (use_attention_mask is off in their configs).
        outputs = self._infer(input_ids)
        values = dict(zip(self._fields, outputs))
        if output_hidden_states or self.config.output_hidden_states:
            values["hidden_states"] = tuple(outputs[len(self._fields):])
        output = self._output_type(**values)
        return output if return_dict else output.to_tuple()


class OpenVinoVaePart(_CompiledModule):
    """Replaces AutoencoderKL's encoder or decoder: the VAE object itself stays, with its config,
    quant convolutions, tiling and latent distribution."""

    def forward(self, sample, *unused):
        return self._infer(sample)[0]
