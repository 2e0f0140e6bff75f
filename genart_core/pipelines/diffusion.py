"""Text-to-image, image-to-image and inpainting with Stable Diffusion family models (diffusers).

Models load once per (model, device, dtype) and stay in ctx.cache. Speed settings: the dtype
that is fastest on the device (bf16 on CPUs with AMX/AVX-512-BF16, fp16 on CUDA, else fp32),
channels_last UNet and VAE, SDPA attention (diffusers' default processor), VAE tiling for large
images, model CPU offload when GPU memory is short, torch.inference_mode. Previews come from a
fitted linear latent -> RGB map (genart_core.latent_preview), never a VAE decode. Cancel raises
from the step callback, so no partial image is decoded; Stop and keep ends the denoising loop
there instead and decodes the scheduler's current estimate of the finished image. On request
(fast_decoder), the tiny TAESD autoencoder stands in for the model's VAE for that run. A model's
safety checker (SD 1.x) runs unless the request turns it off; an image it blacks out is named in
the result's notes and its info, never returned black without a word. Plain image-to-image larger
than one pass goes in tiles (tiled_img2img); inpainting a picture larger than one pass repaints
only the region around its mask (inpaint_region).
"""

from __future__ import annotations

import logging
import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from genart_core import device as devices
from genart_core import sd_models
from genart_core.api import Cancelled, GenArtError, GenerationInfo, Result
from genart_core.engine import Batch, RunContext
from genart_core.imaging import fit_within, resize, to_pil, to_rgb
from genart_core.latent_preview import LatentPreview, fit_latent_preview
from genart_core.openvino_backend import choice as cpu_backend
from genart_core.requests.diffusion import MAX_MASK_PADDING, ImageToImageRequest, InpaintRequest, Scheduler, TextToImageRequest

log = logging.getLogger(__name__)

MIN_SIDE, MAX_SIDE = 64, 2048
TILED_VAE_ABOVE = 1024 * 1024  # pixels; larger images decode in tiles to bound memory
OFFLOAD_BELOW_BYTES = {"sd": 5 * 2**30, "sdxl": 10 * 2**30}  # GPU memory needed to keep it all on the GPU
DTYPE_NAMES = {torch.float32: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}


@dataclass
class LoadedModel:
    """A loaded text-to-image pipeline, its other-mode siblings (sharing weights) and its preview map."""

    spec: sd_models.ModelSpec
    base: Any  # diffusers pipeline
    default_scheduler: Any  # the model's own scheduler, never run (runs use fresh copies)
    preview: LatentPreview
    device: torch.device
    dtype: torch.dtype
    backend: str = ""  # what runs the networks, as recorded in GenerationInfo: "torch-bf16", "openvino-bf16", …
    _by_mode: dict[str, Any] = field(default_factory=dict)

    def for_mode(self, mode: str):
        if mode == "txt2img":
            return self.base
        if mode not in self._by_mode:
            from diffusers import AutoPipelineForImage2Image, AutoPipelineForInpainting

            maker = AutoPipelineForImage2Image if mode == "img2img" else AutoPipelineForInpainting
            self._by_mode[mode] = maker.from_pipe(self.base)
            self._by_mode[mode].set_progress_bar_config(disable=True)  # from_pipe does not carry it over
        return self._by_mode[mode]


def sd_family(pipe) -> str:
    """"sdxl" or "sd" (1.x/2.x): they differ in GPU memory needs and in their latent space."""
    return "sdxl" if "XL" in type(pipe).__name__ else "sd"


def default_dtype(device: torch.device) -> torch.dtype:
    if device.type == "cpu":
        return devices.fast_dtype(device)
    return torch.float16  # CUDA and MPS; SD's VAE upcasts itself where fp16 would overflow


def load_model(spec: sd_models.ModelSpec, device: torch.device, dtype: torch.dtype) -> LoadedModel:
    """Load ``spec`` in ``dtype`` and make it ready to run on ``device``."""
    return prepare(sd_models.load_pipeline(spec, dtype), spec, device, dtype)


def prepare(pipe, spec: sd_models.ModelSpec, device: torch.device, dtype: torch.dtype, optimise: bool = True) -> LoadedModel:
    """Apply the speed settings to a loaded pipeline (``optimise=False`` keeps diffusers' defaults, for the bench)."""
    pipe.set_progress_bar_config(disable=True)
    if optimise:
        for name in ("unet", "vae"):
            module = getattr(pipe, name, None)
            if module is not None:
                module.to(memory_format=torch.channels_last)
    if device.type == "cuda":
        if torch.cuda.get_device_properties(device).total_memory < OFFLOAD_BELOW_BYTES[sd_family(pipe)]:
            pipe.enable_model_cpu_offload(device=device)
        else:
            pipe.to(device)
    elif device.type != "cpu":
        pipe.to(device)
    with torch.inference_mode():
        preview = fit_latent_preview(pipe.vae)
    log.info("Loaded %s (%s) on %s in %s", spec.label, type(pipe).__name__, device, dtype)
    return LoadedModel(spec, pipe, pipe.scheduler, preview, device, dtype, f"torch-{DTYPE_NAMES.get(dtype, dtype)}")


def load_on_openvino(spec: sd_models.ModelSpec, ctx: RunContext) -> LoadedModel:
    """``spec`` loaded in fp32 with its networks moved to OpenVINO (converted the first time); a
    part OpenVINO cannot take stays on torch (genart_core.openvino_backend.attach)."""
    from genart_core.openvino_backend import attach, runtime

    loaded = load_model(spec, torch.device("cpu"), torch.float32)
    loaded.backend = attach.attach(loaded.base, spec, runtime.best_precision(), ctx.report, ctx.cancel).label
    return loaded


def fast_decoder(loaded: LoadedModel, ctx: RunContext):
    """The tiny autoencoder (TAESD) for ``loaded``'s family, downloaded the first time (progress
    reported, Cancel honoured) and then kept in the cache, shared by the models of that family."""
    if loaded.base.vae.config.latent_channels != 4:
        raise GenArtError(f"The fast decoder only suits Stable Diffusion 1.x, 2.x and XL models: {sd_models.UNTICK_FAST_DECODER}.")

    def on_progress(done: int, total: int, _: str) -> None:
        ctx.report(done // 1000, total // 1000, "Downloading TAESD (kB)")

    folder = sd_models.fast_decoder_folder(sd_family(loaded.base), on_progress, ctx.cancel)

    def load():
        decoder = sd_models.load_fast_decoder(folder, loaded.dtype)
        if loaded.backend.startswith("openvino"):  # where the model's networks went, TAESD's go too
            from genart_core.openvino_backend import attach

            attach.attach_fast_decoder(decoder, folder, loaded.backend.removeprefix("openvino-"), ctx.report, ctx.cancel)
        decoder.to(memory_format=torch.channels_last)  # as prepare() sets the model's own VAE
        if loaded.device.type != "cpu":
            # On the GPU even where the model is offloaded: it is small, and the offload hooks
            # diffusers adds at the end of a call only know the components of that moment.
            decoder.to(loaded.device)
        return decoder

    return ctx.cache.get_or_load(("taesd", str(folder), str(loaded.device), loaded.dtype), load)


@contextmanager
def _vae_for_call(pipe, vae):
    """``vae`` stands in for ``pipe``'s own for one call. Only this pipeline object changes: its
    img2img/inpaint siblings (from_pipe) share the VAE module but each holds its own reference,
    and the cached pipeline gets its VAE back even when the call fails or is cancelled."""
    own = pipe.vae
    pipe.vae = vae
    try:
        yield
    finally:
        pipe.vae = own


@contextmanager
def _safety_checker_for_call(pipe, enabled: bool):
    """Without its safety checker for one call when the request turns it off; the cached
    pipeline gets it back even when the call fails or is cancelled."""
    own = getattr(pipe, "safety_checker", None)
    if enabled or own is None:
        yield
        return
    pipe.safety_checker = None  # diffusers then skips the check and reports nothing flagged
    try:
        yield
    finally:
        pipe.safety_checker = own


SAFETY_FLAGGED = "flagged: returned black"


def safety_note(flagged: int, count: int) -> str:
    images = "the image" if count == 1 else f"{flagged} of {count} images"
    return (
        f"The model's safety checker flagged {images} and returned {'it' if flagged == 1 else 'them'} black. "
        "Untick “Safety checker” in the Prompt panel to turn it off."
    )


def make_scheduler(choice: Scheduler, default: Any):
    """A fresh scheduler for one run (schedulers keep per-run state), built on the model's own settings."""
    from diffusers import (
        DDIMScheduler,
        DPMSolverMultistepScheduler,
        EulerAncestralDiscreteScheduler,
        LCMScheduler,
    )

    config = default.config

    if choice == Scheduler.EULER_A:
        return EulerAncestralDiscreteScheduler.from_config(config)
    if choice == Scheduler.DPMPP_2M_KARRAS:
        return DPMSolverMultistepScheduler.from_config(config, algorithm_type="dpmsolver++", solver_order=2, use_karras_sigmas=True)
    if choice == Scheduler.DDIM:
        return DDIMScheduler.from_config(config)
    if choice == Scheduler.LCM:
        return LCMScheduler.from_config(config)
    return type(default).from_config(config)


def working_size(request: TextToImageRequest) -> tuple[int, int]:
    """(width, height) multiples of 8 within [MIN_SIDE, MAX_SIDE]; img2img keeps the image's shape."""
    if request.mode != "txt2img":
        image = init_image(request)
        height, width = fit_within(image, max(request.width, request.height)).shape[:2]
    else:
        width, height = request.width, request.height
    return _snap(width), _snap(height)


def _snap(side: int) -> int:
    return max(MIN_SIDE, min(MAX_SIDE, side // 8 * 8))


def init_image(request: TextToImageRequest) -> np.ndarray:
    image = getattr(request, "init_image", None)
    if image is None or not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.size == 0:
        raise GenArtError("Image-to-image needs a starting image: open or paint one on the canvas first.")
    return to_rgb(image)


def inpaint_mask(request: InpaintRequest) -> np.ndarray:
    """The request's mask as booleans (True: repaint), or a GenArtError saying what is wrong with it."""
    mask = request.mask
    if mask is None or not isinstance(mask, np.ndarray) or mask.ndim != 2:
        raise GenArtError("Inpainting needs a mask: paint over the part of the picture to change.")
    if mask.shape != init_image(request).shape[:2]:
        raise GenArtError(f"The mask ({mask.shape[1]}×{mask.shape[0]}) does not match the image size.")
    if not mask.any():
        raise GenArtError("The inpainting mask is empty: paint over the part of the picture to change.")
    return mask > 0


def _mask_image(request: InpaintRequest, width: int, height: int):
    return to_pil(np.where(inpaint_mask(request), 255, 0).astype(np.uint8)).resize((width, height))


def check_request(request: TextToImageRequest) -> None:
    if request.steps < 1 or request.steps > 500:
        raise GenArtError("Steps must be between 1 and 500.")
    if request.count < 1 or request.count > 64:
        raise GenArtError("Make between 1 and 64 images at a time.")
    if isinstance(request, ImageToImageRequest) and not 0.0 < request.strength <= 1.0:
        raise GenArtError("Strength must be above 0 and at most 1.")
    if isinstance(request, InpaintRequest) and not 0 <= request.mask_padding <= MAX_MASK_PADDING:
        raise GenArtError(f"The masked area's padding must be between 0 and {MAX_MASK_PADDING} pixels.")


def run(request: TextToImageRequest, ctx: RunContext) -> Result:
    check_request(request)
    spec = sd_models.resolve(request.model)
    if request.hires:
        from genart_core.pipelines import hires_fix

        hires_fix.check_request(request, spec.is_offline)
    if spec.is_offline:
        from genart_core.pipelines import tiny_diffusion

        return tiny_diffusion.run_request(request, spec, ctx)
    device = devices.choose_device()
    backend = cpu_backend.choose(device)
    ctx.report(0, 1, f"Loading {spec.label}")
    if backend == cpu_backend.OPENVINO:
        loaded = ctx.cache.get_or_load(("sd", spec.key, str(device), backend), lambda: load_on_openvino(spec, ctx))
    else:
        dtype = default_dtype(device)
        loaded = ctx.cache.get_or_load(("sd", spec.key, str(device), dtype), lambda: load_model(spec, device, dtype))
    if request.hires:
        return hires_fix.generate(loaded, request, ctx)
    if request.mode == "img2img":
        from genart_core.pipelines import tiled_img2img

        if len(tiled_img2img.plan(loaded, *working_size(request))) > 1:
            return tiled_img2img.generate(loaded, request, ctx)
    if request.mode == "inpaint":
        from genart_core.pipelines import inpaint_region

        if inpaint_region.applies(loaded, request):
            return inpaint_region.generate(loaded, request, ctx)
        return inpaint_region.keep_outside_mask(generate(loaded, request, ctx), request)
    return generate(loaded, request, ctx)


def generate(loaded: LoadedModel, request: TextToImageRequest, ctx: RunContext) -> Result:
    """Make request.count images, one at a time with seeds seed, seed+1, …, reporting previews."""
    pipe = loaded.for_mode(request.mode)
    width, height = working_size(request)
    pipe.scheduler = make_scheduler(request.scheduler, loaded.default_scheduler)
    estimate = _DenoisedEstimate(pipe.scheduler)
    steps = request.steps
    if request.mode != "txt2img":
        # diffusers runs int(steps × strength) steps; at least one must remain (SD-Turbo: 1-2 steps).
        steps = max(steps, math.ceil(1 / request.strength - 1e-9))
    call: dict[str, Any] = {
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt or None,
        "num_inference_steps": steps,
        "guidance_scale": request.guidance,
        "output_type": "np",
        "callback_on_step_end_tensor_inputs": ["latents"],
    }
    if request.mode == "txt2img":
        call.update(width=width, height=height)
    else:
        call.update(image=to_pil(resize(init_image(request), width, height)), strength=request.strength)
    if request.mode == "inpaint":
        call.update(mask_image=_mask_image(request, width, height), width=width, height=height)
    # Previews keep the map fitted to the model's VAE, which TAESD was trained to imitate.
    # Image-to-image encodes the starting picture with TAESD's encoder too (as quick as its decoder).
    vae = fast_decoder(loaded, ctx) if request.fast_decoder else pipe.vae
    if width * height > TILED_VAE_ABOVE:
        vae.enable_tiling()
    else:
        vae.disable_tiling()
    sampler = request.scheduler.label if request.scheduler != Scheduler.DEFAULT else type(pipe.scheduler).__name__
    batch = Batch(ctx, request.count, request.seed)
    for index, seed in batch:
        callback = _StepReporter(ctx, loaded.preview, request, index, estimate)
        generator = devices.seeded_generator(seed, "cpu")
        try:
            with torch.inference_mode(), _vae_for_call(pipe, vae), _safety_checker_for_call(pipe, request.safety_checker):
                output = pipe(**call, generator=generator, callback_on_step_end=callback)
        finally:
            pipe._interrupt = False  # diffusers clears it when a call starts too; the cached pipeline should not keep it
        image = (np.clip(output.images[0], 0, 1) * 255).round().astype(np.uint8)
        if request.mode != "txt2img":
            original = init_image(request)
            image = resize(image, original.shape[1], original.shape[0])  # back to the region it came from
        batch.images.append(image)
        extra = {"Mode": request.mode, "Scheduler": sampler, "Backend": loaded.backend}
        if request.mode != "txt2img":
            extra["Denoising strength"] = request.strength
        if request.fast_decoder:
            extra["VAE"] = sd_models.fast_decoder_name(sd_family(loaded.base)).upper()
        nsfw = getattr(output, "nsfw_content_detected", None)  # None when there is no checker
        if nsfw and nsfw[0]:
            extra["Safety checker"] = SAFETY_FLAGGED
        batch.infos.append(
            GenerationInfo(
                prompt=request.prompt,
                negative_prompt=request.negative_prompt,
                steps=steps,
                sampler=sampler,
                cfg_scale=request.guidance,
                seed=seed,
                width=image.shape[1],
                height=image.shape[0],
                model=loaded.spec.label,
                extra=extra,
                request=request.to_dict(),
            )
        )
        if callback.stopped_at:
            batch.stop_at(index, callback.stopped_at)
            break
    return batch_result(loaded, batch)


def batch_result(loaded: LoadedModel, batch: Batch) -> Result:
    """The Result of a finished (or stopped) batch, with a note when the safety checker blacked out images."""
    infos = batch.infos
    flagged = sum(info.extra.get("Safety checker") == SAFETY_FLAGGED for info in infos)
    notes = [safety_note(flagged, len(infos))] if flagged else []
    return Result(images=batch.images, infos=infos, extras={"dtype": str(loaded.dtype).replace("torch.", "")}, stopped=batch.stopped, notes=notes)


class _DenoisedEstimate:
    """Remembers the scheduler's latest estimate of the finished latents (x0), for Stop and keep.

    Mid-run latents are still noisy (for sigma-scaled schedulers such as Euler, far outside the
    range the VAE expects), so a stopped image is decoded from this estimate, as A1111's Interrupt
    does. It costs nothing: the scheduler computes it anyway, and step() only returns it. Where a
    scheduler does not expose one (PNDM), it stays None and the current latents are decoded.
    """

    def __init__(self, scheduler) -> None:
        self.latest: torch.Tensor | None = None
        self._scheduler = scheduler
        self._step = scheduler.step
        scheduler.step = self._step_and_remember  # a fresh scheduler per run, so the wrapper never stacks

    def _step_and_remember(self, *args, return_dict: bool = True, **kwargs):
        output = self._step(*args, return_dict=True, **kwargs)
        x0 = getattr(output, "pred_original_sample", None)  # DDIM, DDPM, Euler, Euler a
        if x0 is None:
            x0 = getattr(output, "denoised", None)  # LCM
        if x0 is None and getattr(self._scheduler.config, "algorithm_type", "") == "dpmsolver++":
            x0 = self._scheduler.model_outputs[-1]  # DPM++ keeps its x0 predictions for the multistep update
        self.latest = x0
        return output if return_dict else output.to_tuple()


class _StepReporter:
    """diffusers' callback_on_step_end: progress, a preview every few steps, Cancel and Stop and keep."""

    def __init__(self, ctx: RunContext, preview: LatentPreview, request: TextToImageRequest, index: int, estimate: _DenoisedEstimate) -> None:
        self.ctx, self.preview, self.request, self.index, self.estimate = ctx, preview, request, index, estimate
        self.stopped_at = ""  # "k/N" once Stop and keep ended this image after step k of N

    def __call__(self, pipe, step: int, timestep, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        total = int(getattr(pipe, "num_timesteps", 0) or self.request.steps)
        done = step + 1
        # Cancel raises here, so the pipeline stops before decoding anything. A stop at the last
        # step changes nothing: the image is finished (generate then makes no more).
        if self.ctx.stop_requested() and done < total:
            return self._stop(pipe, done, total, tensors["latents"])
        every = self.request.preview_every
        picture = self.preview(tensors["latents"]) if every and (done % every == 0 or done == total) else None
        count = self.request.count
        phase = "Denoising" if count == 1 else f"Denoising image {self.index + 1}/{count}"
        self.ctx.report(self.index * total + done, count * total, phase, picture)
        return {}

    def _stop(self, pipe, done: int, total: int, latents: torch.Tensor) -> dict[str, torch.Tensor]:
        if not hasattr(pipe, "interrupt"):
            raise Cancelled()  # a pipeline whose loop cannot be interrupted has nothing early to keep
        # diffusers' loop skips its remaining steps once interrupt is set, then decodes the latents
        # this callback returns, as after a full run.
        pipe._interrupt = True
        self.stopped_at = f"{done}/{total}"
        log.info("Stopped at step %s; decoding the current estimate", self.stopped_at)
        if self.estimate.latest is None:
            return {}
        return {"latents": self.estimate.latest.to(latents.dtype)}  # Euler's estimate is fp32
