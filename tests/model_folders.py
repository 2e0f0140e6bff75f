"""Small model folders and files for tests of adding models (headers and configs, not working networks)."""

from __future__ import annotations

import json
from pathlib import Path


def write_safetensors(path: Path, tensors: dict[str, list[int]] | None = None) -> Path:
    """A valid .safetensors file of zeros: name -> shape, float32."""
    from safetensors.torch import save_file
    import torch

    tensors = tensors or {"weight": [2, 2]}
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({name: torch.zeros(shape) for name, shape in tensors.items()}, str(path))
    return path


def diffusers_folder(folder: Path) -> Path:
    """A folder shaped like a diffusers pipeline: model_index.json, a UNet (config + weights) and a scheduler."""
    folder.mkdir(parents=True)
    index = {"_class_name": "StableDiffusionPipeline", "unet": ["diffusers", "UNet2DConditionModel"],
             "scheduler": ["diffusers", "EulerDiscreteScheduler"], "safety_checker": [None, None]}
    (folder / "model_index.json").write_text(json.dumps(index))
    (folder / "unet").mkdir()
    (folder / "unet" / "config.json").write_text(json.dumps({"_class_name": "UNet2DConditionModel"}))
    write_safetensors(folder / "unet" / "diffusion_pytorch_model.safetensors")
    (folder / "scheduler").mkdir()
    (folder / "scheduler" / "scheduler_config.json").write_text(json.dumps({"_class_name": "EulerDiscreteScheduler"}))
    return folder
