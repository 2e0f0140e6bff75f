"""Diffusion speed on this machine, with random-weight models of the real sizes (nothing downloaded).

    python bench/diffusion.py            # short default: 3 steps per setting
    python bench/diffusion.py --steps 5 --skip-raw
    python bench/diffusion.py --quick    # narrow models: only checks that it runs to its end

Prints seconds per denoising step at 512×512 with classifier-free guidance (batch 2) for an
SD 1.5-sized model: raw diffusers fp32 defaults, our pipeline with the same settings, and our
optimised settings (bf16/fp32 as chosen for this CPU, channels_last); then a whole SD-Turbo-sized
(SD 2.1 UNet, OpenCLIP-H text encoder) one-step 512×512 image including text encoding and VAE
decoding (and each part's share), and the same image with the optional TAESD decoder instead of
the VAE; the cost of one latent preview; and the offline model's seconds per image. --profile
adds the operators an optimised step spends its time in.

Next to the times it prints each part's arithmetic (counted with torch's FlopCounterMode) and the
rate it ran at, against the rate of one large matrix multiply in the same dtype: the most this
CPU does. A goal that needs more than that rate cannot be met by settings alone.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import string
import tempfile
import time
from pathlib import Path

import torch

from genart_core import device as devices
from genart_core import sd_models
from genart_core.api import CancelToken
from genart_core.engine import Engine, RunContext
from genart_core.pipelines import diffusion
from genart_core.requests.diffusion import DEFAULT_OFFLINE_MODEL, TextToImageRequest
from genart_core.sd_models import ModelSpec

PROMPT = "a lighthouse on a cliff at sunset, oil painting"


def tokenizer():
    from transformers import CLIPTokenizer

    # Tokens do not change the cost (the text is always padded to 77), so a tiny vocabulary does.
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in string.ascii_lowercase + string.digits:
        vocab[char] = len(vocab)
        vocab[char + "</w>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def sd_pipeline(turbo: bool, quick: bool = False):
    """SD 1.5 (turbo=False) or SD 2.1 / SD-Turbo (turbo=True) sized pipeline with random weights;
    with ``quick``, the same architectures a few channels wide (figures meaningless, runs in seconds)."""
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    narrow = dict(block_out_channels=(32, 32, 64, 64), layers_per_block=1)
    if quick:
        unet = UNet2DConditionModel(sample_size=64, cross_attention_dim=64, attention_head_dim=8, use_linear_projection=turbo, **narrow)
        text = CLIPTextConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, projection_dim=64)
    elif turbo:  # SD 2.1: linear projections, 1024-wide OpenCLIP-H text features
        unet = UNet2DConditionModel(sample_size=64, cross_attention_dim=1024, attention_head_dim=(5, 10, 20, 20), use_linear_projection=True)
        text = CLIPTextConfig(hidden_size=1024, intermediate_size=4096, num_hidden_layers=23, num_attention_heads=16, hidden_act="gelu", projection_dim=1024)
    else:
        unet = UNet2DConditionModel(sample_size=64, cross_attention_dim=768, attention_head_dim=8)
        text = CLIPTextConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12, projection_dim=768)
    text.vocab_size, text.max_position_embeddings, text.bos_token_id, text.eos_token_id, text.pad_token_id = 49408, 77, 0, 1, 1
    vae = AutoencoderKL(
        **(narrow if quick else dict(block_out_channels=(128, 256, 512, 512), layers_per_block=2)), latent_channels=4,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4, sample_size=512,
    )
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", timestep_spacing="trailing", steps_offset=1)
    pipe = StableDiffusionPipeline(
        vae=vae, text_encoder=CLIPTextModel(text), tokenizer=tokenizer(), unet=unet, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def step_times(call) -> list[float]:
    """Run ``call(callback)`` and return the time of each denoising step (from step-end callbacks)."""
    stamps = [time.perf_counter()]

    def callback(pipe, step, timestep, tensors):
        stamps.append(time.perf_counter())
        return {}

    call(callback)
    return [b - a for a, b in zip(stamps[1:], stamps[2:])]  # the first step includes text encoding


def raw_diffusers(pipe, steps: int) -> float:
    def call(callback):
        with torch.no_grad():
            pipe(PROMPT, num_inference_steps=steps, guidance_scale=7.5, output_type="latent", callback_on_step_end=callback)

    return statistics.median(step_times(call))


def ours(loaded, steps: int, guidance: float = 7.5) -> float:
    request = TextToImageRequest(prompt=PROMPT, model="bench", steps=steps, guidance=guidance, width=512, height=512)
    stamps = [time.perf_counter()]
    ctx = RunContext(Engine(), lambda progress: stamps.append(time.perf_counter()), CancelToken())
    diffusion.generate(loaded, request, ctx)
    # stamps: start, then one per step; the last step's stamp comes before the VAE decode.
    return statistics.median(b - a for a, b in zip(stamps[1:], stamps[2:]))


def whole_image(loaded, engine: Engine, fast_decoder: bool = False) -> float:
    request = TextToImageRequest(
        prompt=PROMPT, model="bench", steps=1, guidance=0.0, width=512, height=512, preview_every=0, fast_decoder=fast_decoder
    )
    ctx = RunContext(engine, lambda progress: None, CancelToken())
    started = time.perf_counter()
    diffusion.generate(loaded, request, ctx)
    return time.perf_counter() - started


def whole_image_with_fast_decoder(loaded) -> float:
    """whole_image with a random-weight TAESD as the decoder (AutoencoderTiny's defaults are its real
    size), found through $GENART_TAESD_DIR as the app would."""
    from diffusers import AutoencoderTiny

    engine = Engine()  # its cache keeps the decoder between the two runs
    with tempfile.TemporaryDirectory() as folder:
        AutoencoderTiny().save_pretrained(Path(folder) / sd_models.fast_decoder_name("sd"))
        os.environ[sd_models.FAST_DECODER_DIR_ENV] = folder
        try:
            whole_image(loaded, engine, fast_decoder=True)  # warm-up; loads the decoder
            return whole_image(loaded, engine, fast_decoder=True)
        finally:
            del os.environ[sd_models.FAST_DECODER_DIR_ENV]


def flops(call) -> float:
    """Floating-point operations of one call (multiply and add counted as two), as torch counts them.

    Counted in inference mode: the calls' inputs are inference tensors (made under
    torch.inference_mode), which autograd refuses to save for a backward pass.
    """
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        call()
    return float(counter.get_total_flops())


@torch.inference_mode()
def matmul_rate(dtype: torch.dtype, side: int = 4096, repeats: int = 5) -> float:
    """FLOP/s of a side×side matrix multiply in ``dtype``: about the best this CPU does in it."""
    a, b = torch.randn(side, side, dtype=dtype), torch.randn(side, side, dtype=dtype)
    a @ b
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * side**3 * repeats / (time.perf_counter() - started)


@torch.inference_mode()
def turbo_parts(pipe) -> dict[str, tuple[float, float]]:
    """(seconds, FLOPs) of each part of a one-step image: text encoding, one UNet call, VAE decoding."""
    ids = pipe.tokenizer(PROMPT, padding="max_length", max_length=77, return_tensors="pt").input_ids
    latents = torch.randn(1, 4, 64, 64, dtype=pipe.unet.dtype)
    text = pipe.text_encoder(ids)[0]
    parts = {
        "text encoder": lambda: pipe.text_encoder(ids),
        "UNet": lambda: pipe.unet(latents, torch.tensor(999), encoder_hidden_states=text),
        "VAE decode": lambda: pipe.vae.decode(latents),
    }
    measured = {}
    for name, call in parts.items():
        started = time.perf_counter()
        call()
        measured[name] = (time.perf_counter() - started, flops(call))
    return measured


@torch.inference_mode()
def cfg_unet_call(pipe):
    """One denoising step with classifier-free guidance, as a call: the UNet on a batch of 2 at 512×512."""
    unet = pipe.unet
    latents = torch.randn(2, 4, 64, 64, dtype=unet.dtype)
    text = torch.randn(2, 77, unet.config.cross_attention_dim, dtype=unet.dtype)
    return lambda: unet(latents, torch.tensor(500), encoder_hidden_states=text)


@torch.inference_mode()
def profile_step(pipe, rows: int = 6) -> str:
    """Where one CFG UNet call spends its time, by operator (what would have to get faster)."""
    step = cfg_unet_call(pipe)
    with torch.profiler.profile() as profiler:
        step()
    return profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows)


def preview_cost(loaded) -> float:
    latents = torch.randn(1, 4, 64, 64)
    loaded.preview(latents)
    started = time.perf_counter()
    for _ in range(20):
        loaded.preview(latents)
    return (time.perf_counter() - started) / 20


def offline_model(steps: int) -> float:
    engine = Engine()
    request = TextToImageRequest(prompt="digit 7", model=DEFAULT_OFFLINE_MODEL, steps=steps, guidance=3.0)
    engine.run(request)  # loads the model
    started = time.perf_counter()
    engine.run(request)
    return time.perf_counter() - started


@torch.inference_mode()
def unet_output(pipe) -> torch.Tensor:
    """The UNet's noise prediction for one fixed 512×512 input, as float32."""
    unet = pipe.unet
    generator = torch.Generator().manual_seed(0)
    latents = torch.randn(1, 4, 64, 64, generator=generator).to(unet.dtype)
    text = torch.randn(1, 77, unet.config.cross_attention_dim, generator=generator).to(unet.dtype)
    return unet(latents, torch.tensor(500), encoder_hidden_states=text).sample.float()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3, help="denoising steps per measurement (the first is not timed)")
    parser.add_argument("--skip-raw", action="store_true", help="skip the slow fp32 measurements")
    parser.add_argument("--profile", action="store_true", help="also print the operators one optimised step spends its time in")
    parser.add_argument("--quick", action="store_true", help="narrow models, 2 steps, no raw fp32: only checks that the bench runs to its end")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.skip_raw = 2, True
    devices.configure_threads()
    cpu = torch.device("cpu")
    fast = diffusion.default_dtype(cpu)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, chosen dtype {fast}")
    spec = ModelSpec("bench", "SD 1.5-sized (random)", "folder")

    pipe = sd_pipeline(turbo=False, quick=args.quick)
    if not args.skip_raw:
        raw = raw_diffusers(pipe, args.steps)
        print(f"SD 1.5-sized 512×512 CFG, raw diffusers fp32:      {raw:6.2f} s/step")
        same = ours(diffusion.prepare(pipe, spec, cpu, torch.float32, optimise=False), args.steps)
        print(f"                          ours, same settings:     {same:6.2f} s/step ({same / raw:.2f}× raw)")
    reference = unet_output(pipe) if fast != torch.float32 else None
    loaded = diffusion.prepare(pipe.to(dtype=fast), spec, cpu, fast)
    if reference is not None:
        error = (unet_output(pipe) - reference).norm() / reference.norm()
        print(f"UNet output, {str(fast).replace('torch.', '')} vs fp32 relative error:    {error:.4f}")
    optimised = ours(loaded, args.steps)
    ratio = f" ({optimised / raw:.2f}× raw)" if not args.skip_raw else ""
    print(f"                          ours, {str(fast).replace('torch.', '')} + channels_last: {optimised:6.2f} s/step{ratio}")
    step_flops = flops(cfg_unet_call(pipe))
    print(f"    one CFG step is {step_flops / 1e12:.2f} TFLOP: {step_flops / optimised / 1e12:.2f} TFLOP/s")
    if args.profile:
        print(profile_step(pipe))
    cost = preview_cost(loaded)
    print(f"latent preview (64×64 latents -> RGB):             {cost * 1000:6.2f} ms ({cost / optimised * 100:.2f}% of a step)")
    del pipe, loaded
    gc.collect()

    turbo = sd_pipeline(turbo=True, quick=args.quick).to(dtype=fast)
    loaded = diffusion.prepare(turbo, ModelSpec("bench", "SD-Turbo-sized (random)", "folder"), cpu, fast)
    whole_image(loaded, Engine())  # warm-up: first calls pay for one-time allocations
    seconds = whole_image(loaded, Engine())
    print(f"SD-Turbo-sized 512×512, 1 step, text + UNet + VAE: {seconds:6.2f} s per image")
    parts = turbo_parts(turbo)
    for name, (part_seconds, part_flops) in parts.items():
        print(f"    {name:<13} {part_seconds:5.2f} s, {part_flops / 1e12:5.2f} TFLOP, {part_flops / part_seconds / 1e12:5.2f} TFLOP/s")
    side = 512 if args.quick else 4096
    peak = matmul_rate(fast, side)
    needed = sum(f for _, f in parts.values())
    print(
        f"    a {side}² matrix multiply in {str(fast).replace('torch.', '')} runs at {peak / 1e12:.2f} TFLOP/s: at that rate "
        f"these {needed / 1e12:.2f} TFLOP would take {needed / peak:.2f} s"
    )
    seconds = whole_image_with_fast_decoder(loaded)
    print(f"    the same with the optional TAESD decoder:      {seconds:6.2f} s per image")
    del turbo, loaded
    gc.collect()

    print(f"offline model, 25 DDIM steps with guidance:        {offline_model(25):6.2f} s per image")


if __name__ == "__main__":
    main()
