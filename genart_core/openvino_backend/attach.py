"""Moving a loaded Stable Diffusion pipeline's networks onto OpenVINO.

Each part (text encoder(s), UNet, VAE decoder and encoder) is read from the cache or converted
the first time (reported as "Converting for OpenVINO…", Cancel checked between parts), compiled,
and swapped into the pipeline in place of its torch module, which is then freed. A part that
fails to convert or compile stays on torch with a log line; the user never sees an error for it.
Only the networks move: latents, noise and schedulers stay torch's, so seeds give the same images.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from genart_core.api import CancelToken, Cancelled
from genart_core.openvino_backend import export, model_cache, runtime, wrappers
from genart_core.sd_models import ModelSpec

log = logging.getLogger(__name__)

CONVERTING = "Converting for OpenVINO…"


@dataclass
class Attached:
    """What runs where after attach(): the label recorded in GenerationInfo and the parts."""

    precision: str
    on_openvino: list[str] = field(default_factory=list)
    on_torch: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"openvino-{self.precision}" if "unet" in self.on_openvino else "torch-fp32"


def _openvino_model(name: str, module: torch.nn.Module, exporter, folder: Path, precision: str):
    model = model_cache.read_part(folder)
    if model is None:
        log.info("Converting %s for OpenVINO into %s", name, folder)
        converted = export.convert(exporter(module))
        model_cache.write_part(folder, converted, compress_to_fp16=model_cache.weights_precision(precision) == "f16")
        # What was saved (weights maybe in f16), so this run computes what every later one will.
        model = model_cache.read_part(folder)
        if model is None:
            raise RuntimeError(f"the converted {name} did not read back from {folder}")
    return model


def _wrapper(name: str, module: torch.nn.Module, compiled) -> torch.nn.Module:
    if name == "unet":
        return wrappers.OpenVinoUNet(compiled, module, export.unet_inputs(module))
    if name.startswith("text_encoder"):
        fields, output_type = export.text_encoder_fields(module)
        return wrappers.OpenVinoTextEncoder(compiled, module, fields, output_type)
    return wrappers.OpenVinoVaePart(compiled, f"the VAE's {name.removeprefix('vae_')}")  # vae_decoder, vae_encoder


def _attach(parts: dict, swap: Callable[[str, torch.nn.Module], None], spec: ModelSpec, precision: str, report: Callable[[int, int, str], None], cancel: CancelToken) -> Attached:
    """Convert (or read), compile and ``swap`` in each of ``parts``; see attach()."""
    attached = Attached(precision)
    folder = model_cache.model_folder(spec)
    try:
        folder.mkdir(parents=True, exist_ok=True)  # before converting for minutes what could not be kept
    except OSError as exc:
        log.warning("The OpenVINO cache folder %s cannot be made (%s); %s runs on torch", folder, exc, spec.label)
        attached.on_torch = list(parts)
        return attached
    replacements: dict[str, torch.nn.Module] = {}
    for index, (name, (module, exporter)) in enumerate(parts.items()):
        report(index, len(parts), CONVERTING)
        cancel.raise_if_cancelled()
        try:
            model = _openvino_model(name, module, exporter, model_cache.part_folder(folder, name, precision), precision)
            replacements[name] = _wrapper(name, module, runtime.compile_for_cpu(model, precision))
        except Cancelled:
            raise
        except Exception as exc:  # OpenVINO or the tracer refusing a part: that part stays on torch
            log.warning("OpenVINO could not take %s of %s (%s: %s); it runs on torch", name, spec.label, type(exc).__name__, exc)
            attached.on_torch.append(name)
    report(len(parts), len(parts), CONVERTING)
    for name, replacement in replacements.items():
        swap(name, replacement)
        attached.on_openvino.append(name)
    log.info("%s on OpenVINO (%s): %s; on torch: %s", spec.label, precision, ", ".join(attached.on_openvino) or "nothing", ", ".join(attached.on_torch) or "nothing")
    return attached


def attach(pipe, spec: ModelSpec, precision: str, report: Callable[[int, int, str], None], cancel: CancelToken) -> Attached:
    """Swap ``pipe``'s networks (fp32 torch modules) for compiled OpenVINO models, part by part.

    Raises Cancelled when cancelled between parts (parts already converted stay cached); nothing
    else: a part that fails stays on torch."""

    def swap(name: str, replacement: torch.nn.Module) -> None:
        if name in ("vae_decoder", "vae_encoder"):
            setattr(pipe.vae, name.removeprefix("vae_"), replacement)
        else:
            setattr(pipe, name, replacement)

    return _attach(export.exportable_parts(pipe), swap, spec, precision, report, cancel)


def attach_fast_decoder(decoder, folder: Path, precision: str, report: Callable[[int, int, str], None], cancel: CancelToken) -> Attached:
    """The same for TAESD (an fp32 AutoencoderTiny loaded from ``folder``), for models on OpenVINO."""
    spec = ModelSpec(str(folder), folder.name, "folder", str(folder))

    def swap(name: str, replacement: torch.nn.Module) -> None:
        setattr(decoder, name.removeprefix("vae_"), replacement)

    return _attach(export.vae_parts(decoder), swap, spec, precision, report, cancel)
