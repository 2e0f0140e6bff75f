"""Turning a Stable Diffusion pipeline's networks into OpenVINO models (``openvino.convert_model``).

Each part is traced through a small torch module with plain tensor inputs and a tuple of tensor
outputs, so the traced graph has nothing but tensors at its edges:
  unet          (sample, timestep[, timestep_cond][, text_embeds, time_ids]) -> noise prediction
  text_encoder  (input_ids) -> the output's fields in order, every hidden state last
  vae_decoder   (latents after post_quant_conv) -> image   (AutoencoderKL.decoder; TAESD's too)
  vae_encoder   (image) -> moments before quant_conv      (AutoencoderKL.encoder; TAESD's too)
Batch, height and width stay dynamic (sequence length too), so one conversion serves every
image size. The UNet is traced at a latent size its downsampling does not divide: diffusers then
takes the upsampling sizes from the skip connections' shapes, which the trace records as shape
operations, so the graph is right for every size (a divisible example would bake in "× 2").
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable

import torch

@dataclass(frozen=True)
class ExportedPart:
    """A traceable torch module for one part, an example input and the names of its inputs."""

    module: torch.nn.Module
    example: tuple[torch.Tensor, ...]
    input_names: tuple[str, ...]


class _UNetForExport(torch.nn.Module):
    def __init__(self, unet: torch.nn.Module) -> None:
        super().__init__()
        self.unet = unet
        config = unet.config
        self.takes_timestep_cond = config.get("time_cond_proj_dim") is not None
        self.takes_text_time = config.get("addition_embed_type") == "text_time"  # SDXL's pooled text and size ids

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor, encoder_hidden_states: torch.Tensor, *extra: torch.Tensor) -> torch.Tensor:
        extra_inputs = list(extra)
        timestep_cond = extra_inputs.pop(0) if self.takes_timestep_cond else None
        added = {"text_embeds": extra_inputs[0], "time_ids": extra_inputs[1]} if self.takes_text_time else None
        return self.unet(sample, timestep, encoder_hidden_states, timestep_cond=timestep_cond, added_cond_kwargs=added, return_dict=False)[0]


def unet_inputs(unet: torch.nn.Module) -> tuple[str, ...]:
    names = ["sample", "timestep", "encoder_hidden_states"]
    if unet.config.get("time_cond_proj_dim") is not None:
        names.append("timestep_cond")
    if unet.config.get("addition_embed_type") == "text_time":
        names += ["text_embeds", "time_ids"]
    return tuple(names)


def _unet(unet: torch.nn.Module) -> ExportedPart:
    config = unet.config
    factor = 2 ** (len(config.block_out_channels) - 1)
    side = factor + 1  # not divisible by the downsampling: see the module's docstring
    batch = 2
    example: list[torch.Tensor] = [
        torch.randn(batch, config.in_channels, side, side),
        torch.full((batch,), 500.0),
        torch.randn(batch, 77, config.cross_attention_dim),
    ]
    names = unet_inputs(unet)
    if "timestep_cond" in names:
        example.append(torch.randn(batch, config.time_cond_proj_dim))
    if "text_embeds" in names:
        # add_embedding takes the pooled text features and 6 size ids, each projected to addition_time_embed_dim.
        pooled = unet.add_embedding.linear_1.in_features - 6 * config.addition_time_embed_dim
        example += [torch.randn(batch, pooled), torch.tensor([[1024.0, 1024.0, 0.0, 0.0, 1024.0, 1024.0]] * batch)]
    return ExportedPart(_UNetForExport(unet), tuple(example), names)


class _TextEncoderForExport(torch.nn.Module):
    def __init__(self, encoder: torch.nn.Module, fields: tuple[str, ...]) -> None:
        super().__init__()
        self.encoder, self.fields = encoder, fields

    def forward(self, input_ids: torch.Tensor) -> tuple[torch.Tensor, ...]:
        output = self.encoder(input_ids, output_hidden_states=True, return_dict=True)
        return tuple(output[name] for name in self.fields) + tuple(output.hidden_states)


def text_encoder_fields(encoder: torch.nn.Module) -> tuple[tuple[str, ...], type]:
    """The tensor fields of ``encoder``'s output besides the hidden states, and the output's class
    (from one run on two tokens)."""
    ids = torch.zeros(1, 2, dtype=torch.long)
    with torch.inference_mode():
        output = encoder(ids, output_hidden_states=True, return_dict=True)
    fields = tuple(name for name, value in output.items() if name != "hidden_states" and isinstance(value, torch.Tensor))
    return fields, type(output)


def _text_encoder(encoder: torch.nn.Module) -> ExportedPart:
    fields, _ = text_encoder_fields(encoder)
    length = encoder.config.max_position_embeddings
    return ExportedPart(_TextEncoderForExport(encoder, fields), (torch.zeros(1, length, dtype=torch.long),), ("input_ids",))


def _vae_decoder(vae: torch.nn.Module) -> ExportedPart:
    latents = torch.randn(1, vae.config.latent_channels, 9, 9)
    return ExportedPart(vae.decoder, (latents,), ("latents",))


def _vae_encoder(vae: torch.nn.Module) -> ExportedPart:
    image = torch.randn(1, vae.config.in_channels, 72, 72)
    return ExportedPart(vae.encoder, (image,), ("image",))


def exportable_parts(pipe) -> dict[str, tuple[torch.nn.Module, Callable[[Any], ExportedPart]]]:
    """The parts of ``pipe`` that can be converted: name -> (the torch module it comes from, its exporter).
    SDXL's second text encoder is "text_encoder_2"; a VAE of another kind stays on torch."""
    parts: dict[str, tuple[torch.nn.Module, Callable[[Any], ExportedPart]]] = {}
    for name in ("text_encoder", "text_encoder_2"):
        encoder = getattr(pipe, name, None)
        if encoder is not None:
            parts[name] = (encoder, _text_encoder)
    parts["unet"] = (pipe.unet, _unet)
    parts.update(vae_parts(pipe.vae))
    return parts


def vae_parts(vae) -> dict[str, tuple[torch.nn.Module, Callable[[Any], ExportedPart]]]:
    """The decoder and encoder of an AutoencoderKL or of TAESD (AutoencoderTiny): both call their
    ``decoder``/``encoder`` submodules on plain tensors, so those are what is converted."""
    if type(vae).__name__ not in ("AutoencoderKL", "AutoencoderTiny"):
        return {}
    return {"vae_decoder": (vae, _vae_decoder), "vae_encoder": (vae, _vae_encoder)}


def convert(part: ExportedPart):
    """The OpenVINO model of one part (an ``openvino.Model``), with every dimension dynamic."""
    import openvino

    with torch.no_grad(), warnings.catch_warnings():
        # The tracer warns at every shape check it freezes (the module docstring says why they are
        # harmless here) and that torch.jit.trace is deprecated: noise on the user's console.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", FutureWarning)
        model = openvino.convert_model(part.module.eval(), example_input=part.example)
    for port, name in zip(model.inputs, part.input_names):
        port.get_tensor().set_names({name})
    return model
