"""Diffusion speed on this machine, with random-weight models of the real sizes (nothing downloaded).

    python bench/diffusion.py            # short default: 3 steps per setting
    python bench/diffusion.py --steps 5 --skip-raw
    python bench/diffusion.py --quick    # narrow models: only checks that it runs to its end

Prints, in tables: seconds per denoising step at 512×512 with classifier-free guidance (batch 2)
for an SD 1.5-sized model in every setting (raw diffusers fp32 defaults, our pipeline with the same
settings, our torch bf16 + channels_last where this CPU gains from bf16, our OpenVINO backend in
f32 and, where the CPU has it, bf16), with the process's peak resident memory during the run and
each OpenVINO conversion's time, disk size and memory peak (the conversions go to a temporary
folder, so each is a first use); each network's relative error against torch fp32 on the same
inputs; a whole SD-Turbo-sized (SD 2.1 UNet, OpenCLIP-H text encoder) one-step 512×512 image
including text encoding and decoding, with the model's VAE and with the optional TAESD decoder, on
torch and on OpenVINO; the cost of one latent preview; and the offline model's seconds per image.
--profile adds the operators an optimised torch step spends its time in.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import statistics
import string
import tempfile
import threading
import time
from pathlib import Path

import torch

from genart_core import device as devices
from genart_core import sd_models
from genart_core.api import CancelToken
from genart_core.engine import Engine, RunContext
from genart_core.openvino_backend import attach, model_cache, runtime
from genart_core.openvino_backend import choice as cpu_backend
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


def whole_images(loaded) -> tuple[float, float]:
    """Seconds per one-step image with the model's VAE, and with a random-weight TAESD as the
    decoder (AutoencoderTiny's defaults are its real size), found through $GENART_TAESD_DIR as the
    app would. Each after a warm-up run: first calls pay for one-time allocations."""
    from diffusers import AutoencoderTiny

    whole_image(loaded, Engine())
    with_vae = whole_image(loaded, Engine())
    engine = Engine()  # its cache keeps the decoder between the two runs
    with tempfile.TemporaryDirectory() as folder:
        torch.manual_seed(0)
        AutoencoderTiny().save_pretrained(Path(folder) / sd_models.fast_decoder_name("sd"))
        os.environ[sd_models.FAST_DECODER_DIR_ENV] = folder
        try:
            whole_image(loaded, engine, fast_decoder=True)  # warm-up; loads the decoder
            with_taesd = whole_image(loaded, engine, fast_decoder=True)
        finally:
            del os.environ[sd_models.FAST_DECODER_DIR_ENV]
    return with_vae, with_taesd


class PeakMemory:
    """The largest resident set size of this process while the block runs (sampled every 20 ms)."""

    def __init__(self) -> None:
        self.peak = 0
        self._done = threading.Event()

    @staticmethod
    def resident() -> int:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self.peak = max(self.peak, self.resident())

    def __enter__(self) -> "PeakMemory":
        self.peak = self.resident()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, self.resident())


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
def part_outputs(pipe) -> dict[str, torch.Tensor]:
    """Each network's output for fixed inputs, as float32: text encoder, a CFG UNet call at 512×512,
    VAE decoder and encoder (the same inputs every time: seeded, and cast to the module's dtype)."""
    generator = torch.Generator().manual_seed(0)
    ids = pipe.tokenizer(PROMPT, padding="max_length", max_length=77, return_tensors="pt").input_ids
    latents = torch.randn(2, 4, 64, 64, generator=generator)
    text = torch.randn(2, 77, pipe.unet.config.cross_attention_dim, generator=generator)
    image = torch.rand(1, 3, 512, 512, generator=generator) * 2 - 1
    vae_dtype = pipe.vae.dtype
    return {
        "text encoder": pipe.text_encoder(ids)[0].float(),
        "UNet": pipe.unet(latents.to(pipe.unet.dtype), torch.tensor(500), encoder_hidden_states=text.to(pipe.unet.dtype)).sample.float(),
        "VAE decoder": pipe.vae.decode(latents[:1].to(vae_dtype)).sample.float(),
        "VAE encoder": pipe.vae.encode(image.to(vae_dtype)).latent_dist.mean.float(),
    }


def relative_errors(outputs: dict[str, torch.Tensor], reference: dict[str, torch.Tensor]) -> dict[str, float]:
    return {name: float((outputs[name] - reference[name]).norm() / reference[name].norm()) for name in reference}


def on_openvino(pipe, spec: ModelSpec, precision: str):
    """``pipe`` (fp32) prepared as the app does and moved to OpenVINO in ``precision``, converting
    it now (the cache folder is this run's own): (loaded model, conversion seconds, disk bytes, peak RSS)."""
    loaded = diffusion.prepare(pipe, spec, torch.device("cpu"), torch.float32)
    with PeakMemory() as memory:
        started = time.perf_counter()
        attached = attach.attach(loaded.base, spec, precision, lambda step, total, phase: None, CancelToken())
        seconds = time.perf_counter() - started
    if attached.on_torch:
        print(f"    (OpenVINO could not take {', '.join(attached.on_torch)}: they ran on torch)")
    loaded.backend = attached.label
    folder = model_cache.model_folder(spec)
    disk = sum(model_cache.folder_bytes(model_cache.part_folder(folder, part, precision)) for part in attached.on_openvino)
    return loaded, seconds, disk, memory.peak


class Table:
    def __init__(self, title: str, columns: tuple[str, ...]) -> None:
        print(f"\n{title}")
        self.widths = [max(14, len(column) + 2) for column in columns]
        self.widths[0] = 36
        self.row(*columns)

    def row(self, *cells) -> None:
        print("".join(str(cell).ljust(width) for cell, width in zip(cells, self.widths)), flush=True)


def mb(size: int) -> str:
    return f"{size / 2**20:,.0f} MB"


def step_section(args, precisions: list[str], fast: torch.dtype) -> None:
    """s/step of the SD 1.5-sized model in every setting, with memory, and each part's error."""
    cpu = torch.device("cpu")
    spec = ModelSpec("bench-sd15", "SD15-sized-random", "folder")
    pipe = sd_pipeline(turbo=False, quick=args.quick)
    reference = part_outputs(pipe)
    steps = Table(
        f"SD 1.5-sized UNet, 512×512, guidance 7.5 (batch 2), {args.steps} steps, median of the last {args.steps - 1}",
        ("setting", "s/step", "× raw fp32", "peak RSS", "first-use conversion"),
    )
    errors: dict[str, dict[str, float]] = {}
    raw = None
    if not args.skip_raw:
        with PeakMemory() as memory:
            raw = raw_diffusers(pipe, args.steps)
        steps.row("raw diffusers fp32", f"{raw:.2f}", "1.00", mb(memory.peak), "")
        with PeakMemory() as memory:
            same = ours(diffusion.prepare(pipe, spec, cpu, torch.float32, optimise=False), args.steps)
        steps.row("ours, torch fp32", f"{same:.2f}", f"{same / raw:.2f}", mb(memory.peak), "")

    def ratio(seconds: float) -> str:
        return f"{seconds / raw:.2f}" if raw else "-"

    if fast != torch.float32:
        loaded = diffusion.prepare(pipe.to(dtype=fast), spec, cpu, fast)
        errors[f"torch {diffusion.DTYPE_NAMES[fast]}"] = relative_errors(part_outputs(pipe), reference)
        with PeakMemory() as memory:
            seconds = ours(loaded, args.steps)
        steps.row(f"ours, torch {diffusion.DTYPE_NAMES[fast]} + channels_last", f"{seconds:.2f}", ratio(seconds), mb(memory.peak), "")
        if args.profile:
            print(profile_step(pipe))
        cost = preview_cost(loaded)
        print(f"    latent preview (64×64 latents -> RGB): {cost * 1000:.2f} ms ({cost / seconds * 100:.2f}% of a step)")
    del pipe
    gc.collect()
    for precision in precisions:
        loaded, convert_seconds, disk, convert_peak = on_openvino(sd_pipeline(turbo=False, quick=args.quick), spec, precision)
        errors[f"OpenVINO {precision}"] = relative_errors(part_outputs(loaded.base), reference)
        with PeakMemory() as memory:
            seconds = ours(loaded, args.steps)
        conversion = f"{convert_seconds:.0f} s, {mb(disk)} on disk, peak RSS {mb(convert_peak)}"
        steps.row(f"ours, OpenVINO {precision}", f"{seconds:.2f}", ratio(seconds), mb(memory.peak), conversion)
        del loaded
        gc.collect()
    table = Table("Relative error against torch fp32, same inputs (‖a − b‖ / ‖b‖)", ("setting", *reference))
    for setting, by_part in errors.items():
        table.row(setting, *(f"{value:.4f}" for value in by_part.values()))


def turbo_section(args, precisions: list[str], fast: torch.dtype) -> None:
    """A whole SD-Turbo-sized one-step 512×512 image: text encoding, UNet, decoding."""
    cpu = torch.device("cpu")
    table = Table("SD-Turbo-sized (SD 2.1 UNet, OpenCLIP-H text encoder) 1 step 512×512, whole image", ("setting", "model VAE", "TAESD", "peak RSS", "first-use conversion"))
    name = diffusion.DTYPE_NAMES[fast]
    loaded = diffusion.prepare(sd_pipeline(turbo=True, quick=args.quick).to(dtype=fast), ModelSpec("bench", "turbo", "folder"), cpu, fast)
    with PeakMemory() as memory:
        with_vae, with_taesd = whole_images(loaded)
    table.row(f"ours, torch {name} + channels_last", f"{with_vae:.2f} s", f"{with_taesd:.2f} s", mb(memory.peak), "")
    del loaded
    gc.collect()
    spec = ModelSpec("bench-turbo", "Turbo-sized-random", "folder")
    for precision in precisions[-1:]:  # the precision the app would use
        loaded, convert_seconds, disk, convert_peak = on_openvino(sd_pipeline(turbo=True, quick=args.quick), spec, precision)
        with PeakMemory() as memory:
            with_vae, with_taesd = whole_images(loaded)
        conversion = f"{convert_seconds:.0f} s, {mb(disk)} on disk, peak RSS {mb(convert_peak)}"
        table.row(f"ours, OpenVINO {precision}", f"{with_vae:.2f} s", f"{with_taesd:.2f} s", mb(memory.peak), conversion)
        del loaded
        gc.collect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3, help="denoising steps per measurement (the first is not timed)")
    parser.add_argument("--skip-raw", action="store_true", help="skip the slow fp32 measurements")
    parser.add_argument("--profile", action="store_true", help="also print the operators one optimised step spends its time in")
    parser.add_argument("--quick", action="store_true", help="narrow models, 2 steps, no raw fp32: only checks that the bench runs to its end")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.skip_raw = 2, True
    logging.basicConfig(level=logging.WARNING)
    devices.configure_threads()
    fast = diffusion.default_dtype(torch.device("cpu"))
    precisions = []
    if runtime.available():
        precisions = [runtime.F32] + ([runtime.BF16] if runtime.best_precision() == runtime.BF16 else [])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, torch dtype {fast}; "
          f"OpenVINO {runtime.version() if precisions else 'not available'} {precisions}; "
          f"the app's choice here: {cpu_backend.choose(torch.device('cpu'))}")
    with tempfile.TemporaryDirectory() as converted:
        os.environ[model_cache.CACHE_DIR_ENV] = converted  # every conversion is a first use
        step_section(args, precisions, fast)
        turbo_section(args, precisions, fast)
    print(f"\noffline model, 25 DDIM steps with guidance: {offline_model(25):.2f} s per image")


if __name__ == "__main__":
    main()
