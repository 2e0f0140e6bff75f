"""An OpenVINO CPU backend for the Stable Diffusion family (UNet, VAE encoder/decoder, text encoders).

choice     which runtime this machine uses (measured once, $GENART_CPU_BACKEND overrides)
export     the torch modules traced for conversion (openvino.convert_model)
model_cache  converted models on disk next to the Hugging Face cache
runtime    the OpenVINO Core, precision and compiling
wrappers   compiled models that stand in for torch modules inside diffusers pipelines
attach     all of it applied to a loaded pipeline, part by part, falling back to torch
"""
