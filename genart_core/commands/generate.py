"""``genart generate PROMPT``: text-to-image, image-to-image (--init) and inpainting (--mask)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from genart_core.api import GenArtError
from genart_core.engine_choice import add_server_option, engine_for
from genart_core.requests.diffusion import (
    DEFAULT_OFFLINE_MODEL, OFFLINE_GUIDANCE, ImageToImageRequest, InpaintRequest, Scheduler, TextToImageRequest,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="make images from a prompt with a diffusion model",
        description="Make images from a prompt. Without --model, the built-in offline model is used "
        "(it knows: digit 0-9, brick, grass, gravel, circle, square, triangle).",
    )
    parser.add_argument("prompt")
    add_prompt_options(parser)
    parser.add_argument("-n", "--count", type=int, default=1, help="number of variations")
    parser.add_argument("--init", type=Path, help="starting image for image-to-image")
    parser.add_argument("--strength", type=float, default=0.6, help="how much of --init to change (0-1)")
    parser.add_argument("--mask", type=Path, help="inpainting mask (white = repaint), same size as --init")
    parser.add_argument(
        "--mask-padding", type=int, default=InpaintRequest.mask_padding, metavar="PIXELS",
        help="a picture larger than the model repaints in one pass is repainted only around the mask: its bounding box "
        f"grown by this many pixels (default {InpaintRequest.mask_padding})",
    )
    parser.add_argument(
        "--hires", type=float, default=1.0, metavar="SCALE",
        help="hires fix (Stable Diffusion text-to-image): make the picture at --size, enlarge it SCALE times (up to 4) "
        "and repaint it lightly with the same prompt and seed",
    )
    parser.add_argument("--hires-denoise", type=float, default=0.35, help="how much the hires pass may change the enlargement (0-1)")
    parser.add_argument("--hires-upscaler", default="genart-sr", help="upscaler for the hires fix: an installed upscaler, or lanczos")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output PNG; with -n > 1, files get -1, -2, … suffixes")
    add_server_option(parser)
    parser.set_defaults(handler=run, writes_files=True)


def add_prompt_options(parser: argparse.ArgumentParser) -> None:
    """The text-to-image settings, shared with `genart batch generate`."""
    parser.add_argument("--model", default=DEFAULT_OFFLINE_MODEL, help="hub id, diffusers folder, .safetensors file, or offline:NAME")
    parser.add_argument("--negative", default="", help="negative prompt")
    parser.add_argument("--steps", type=int, default=None, help="denoising steps (default: 25 offline, 20 otherwise)")
    parser.add_argument("--guidance", type=float, default=None, help=f"guidance scale (default: {OFFLINE_GUIDANCE:g} offline, 7 otherwise)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first image; image i uses seed + i")
    parser.add_argument("--size", default="512x512", help="WIDTHxHEIGHT (default 512x512)")
    parser.add_argument("--scheduler", choices=[s.value for s in Scheduler], default=Scheduler.DEFAULT.value)
    parser.add_argument(
        "--fast-decoder", action="store_true",
        help="decode with the tiny TAESD autoencoder instead of the model's VAE: about 10× faster on CPUs, slightly "
        "softer detail; downloads about 10 MB once (the offline model ignores it)",
    )
    parser.add_argument(
        "--no-safety-checker", dest="safety_checker", action="store_false",
        help="do not run the model's safety checker (SD 1.x models that have one return images it flags as black)",
    )


def prompt_fields(args: argparse.Namespace, prompt: str, count: int) -> dict:
    """The text-to-image request's fields from the options of add_prompt_options."""
    offline = args.model.startswith("offline:")
    width, height = parse_size(args.size)
    return dict(
        prompt=prompt, model=args.model, negative_prompt=args.negative,
        steps=args.steps or (25 if offline else 20), guidance=args.guidance if args.guidance is not None else (OFFLINE_GUIDANCE if offline else 7.0),
        seed=args.seed, count=count, width=width, height=height, scheduler=Scheduler(args.scheduler),
        fast_decoder=args.fast_decoder, safety_checker=args.safety_checker,
    )


def parse_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not match:
        raise GenArtError(f"--size must look like 512x512, not “{text}”.")
    return int(match.group(1)), int(match.group(2))


def output_paths(output: Path, count: int) -> list[Path]:
    if count == 1:
        return [output]
    return [output.with_name(f"{output.stem}-{i + 1}{output.suffix}") for i in range(count)]


def build_request(args: argparse.Namespace):
    from genart_core.imaging import load_image

    common = prompt_fields(args, args.prompt, args.count)
    if args.mask and not args.init:
        raise GenArtError("--mask needs --init (the image to inpaint).")
    if not args.init:
        return TextToImageRequest(**common, hires_scale=args.hires, hires_denoise=args.hires_denoise, hires_upscaler=args.hires_upscaler)
    if args.hires != 1.0:
        raise GenArtError("--hires enlarges text-to-image results; for an --init picture use `genart upscale`.")
    init = load_image(args.init)
    if not args.mask:
        return ImageToImageRequest(**common, init_image=init, strength=args.strength)
    mask = load_image(args.mask)[:, :, :3].max(axis=2)
    if mask.shape != init.shape[:2]:
        raise GenArtError(f"The mask is {mask.shape[1]}×{mask.shape[0]} but the image is {init.shape[1]}×{init.shape[0]}.")
    strength = args.strength if args.strength != 0.6 else 1.0
    return InpaintRequest(**common, init_image=init, mask=mask, strength=strength, mask_padding=args.mask_padding)


def run(args: argparse.Namespace) -> int:
    from genart_core.artwork import format_for_path, save_artwork
    from genart_core.terminal import run_in_terminal

    format_for_path(args.output)  # refuse a bad file name before any work
    request = build_request(args)
    result = run_in_terminal(request, engine_for(args))
    for path, image, info in zip(output_paths(args.output, len(result.images)), result.images, result.infos):
        save_artwork(path, image, info)
        sys.stdout.write(f"{path} (seed {info.seed})\n")
    return 0
