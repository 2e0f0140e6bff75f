"""Figures for detail and resolution (issue 14), one section per remedy; each runs alone.

    PYTHONPATH=. python bench/detail.py upscaler                     # quality, speed, memory, crops
    PYTHONPATH=. python bench/detail.py upscaler --crops /work/notes/upscale
    PYTHONPATH=. python bench/detail.py upscaler --before resources/models/genart-sr   # + a column: the 2× network alone
    PYTHONPATH=. python bench/detail.py upscaler --model 4x-Model.safetensors --parts speed
    PYTHONPATH=. python bench/detail.py hires [--quick]                 # see bench/detail_hires.py
    PYTHONPATH=. python bench/detail.py enlarge [--crops DIR]            # see bench/detail_enlarge.py

upscaler: on the held-out photos (genart_core.sr_data.HELD_OUT_PHOTOS, never seen in training),
each reduced 2× and 4× cleanly (bicubic) and with the fixed degradation (blur, noise, JPEG),
then enlarged back by bicubic, Lanczos and the upscaler: PSNR against the original (dB, higher is
closer) and a VGG feature distance (lower is closer; Oxford VGG-19 relu1_2…relu4_4, each layer's
features unit-normalised per pixel as LPIPS does but without its learned weights, on the centre
256×256 of the picture). Then the wall time of 512→1024 and 512→2048, each in a fresh process, with
its resident memory before the enlargement and its peak (the peak can be an earlier moment, such as
the imports, when the enlargement needs less), and with --crops, side-by-side crops (input, bicubic,
Lanczos, the --before upscaler if given, the upscaler). --model genart-sr runs genart-sr at 2× and
genart-sr-4x at 4×; --before resources/models/genart-sr (a folder keeps its own scale) is the 2×
network alone, run twice for 4× as the app did before genart-sr-4x.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from genart_core.imaging import resize
from genart_core.pipelines.upscale import upscale_array
from genart_core.requests.upscale import DEFAULT_UPSCALER
from genart_core.sr_data import HELD_OUT_PHOTOS, degrade_fixed, even_crop, photos, psnr, shrink

from detail_enlarge import enlarge  # bench/ is on the path when this script runs
from detail_hires import hires

VGG_LAYERS = ("relu1_2", "relu2_2", "relu3_4", "relu4_4")
CENTRE = 256


def bicubic(small: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.asarray(Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC))


class FeatureDistance:
    """Mean squared difference of unit-normalised VGG-19 features, averaged over layers."""

    def __init__(self) -> None:
        from genart_core.vgg_weights import load_vgg

        self.vgg = load_vgg("oxford").eval()

    @torch.inference_mode()
    def __call__(self, a: np.ndarray, b: np.ndarray) -> float:
        def features(picture: np.ndarray) -> dict[str, torch.Tensor]:
            top, left = (picture.shape[0] - CENTRE) // 2, (picture.shape[1] - CENTRE) // 2
            crop = picture[top:top + CENTRE, left:left + CENTRE]
            return self.vgg(torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1)[None].float() / 255, VGG_LAYERS)

        fa, fb = features(a), features(b)
        distances = []
        for layer in VGG_LAYERS:
            na = fa[layer] / (fa[layer].norm(dim=1, keepdim=True) + 1e-10)
            nb = fb[layer] / (fb[layer].norm(dim=1, keepdim=True) + 1e-10)
            distances.append(float(((na - nb) ** 2).sum(dim=1).mean()))
        return float(np.mean(distances))


def upscaler_quality(model: str, before: str | None) -> None:
    distance = FeatureDistance()
    models = [before, model] if before else [model]
    print(f"\nHeld-out photos, PSNR dB (higher is closer) / VGG feature distance (lower is closer); upscaler: {model}"
          + (f"; before: {before}" if before else ""))
    print(f"{'photo':<20} {'scale':>5} {'input':<9} {'bicubic':>15} {'lanczos':>15}" + (f" {'before':>15}" if before else "") + f" {'upscaler':>15}")
    totals: dict[tuple[int, str], list[np.ndarray]] = {}
    for name, picture in zip(HELD_OUT_PHOTOS, photos(HELD_OUT_PHOTOS)):
        for scale in (2, 4):
            sharp = even_crop(picture, scale)
            height, width = sharp.shape[:2]
            for condition, small in (("clean", shrink(sharp, scale)), ("degraded", degrade_fixed(sharp, scale))):
                results = [bicubic(small, width, height), resize(small, width, height)] + [upscale_array(small, scale, m) for m in models]
                figures = np.array([[psnr(r, sharp), distance(r, sharp)] for r in results])
                totals.setdefault((scale, condition), []).append(figures)
                cells = " ".join(f"{p:>7.2f} / {d:.3f}" for p, d in figures)
                print(f"{name:<20} {scale:>4}× {condition:<9} {cells}")
    print("mean over the photos:")
    for (scale, condition), rows in sorted(totals.items()):
        mean = np.mean(rows, axis=0)
        print(f"{'':<20} {scale:>4}× {condition:<9} " + " ".join(f"{p:>7.2f} / {d:.3f}" for p, d in mean))


def _timed_upscale(model: str, scale: int, threads: int, answer) -> None:
    torch.set_num_threads(threads)
    image = photos(HELD_OUT_PHOTOS[:1])[0][:512, :512]
    upscale_array(image[:64, :64], 2, model)  # warm-up: loading, and oneDNN choosing kernels
    resident = int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20
    started = time.perf_counter()
    result = upscale_array(image, scale, model)
    seconds = time.perf_counter() - started
    answer.send((seconds, result.shape, resident, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def upscaler_speed(model: str, threads: int) -> None:
    print(f"\nSpeed on this CPU ({threads} thread(s)), each in a fresh process:")
    context = multiprocessing.get_context("spawn")
    for scale in (2, 4):
        ours, theirs = context.Pipe()
        process = context.Process(target=_timed_upscale, args=(model, scale, threads, theirs))
        process.start()
        while not ours.poll(1.0):
            if not process.is_alive():
                raise SystemExit(f"the timing process for {scale}× ended without an answer (exit code {process.exitcode})")
        seconds, shape, before_mb, peak_mb = ours.recv()
        process.join()
        started = time.perf_counter()
        resize(photos(HELD_OUT_PHOTOS[:1])[0][:512, :512], 512 * scale, 512 * scale)
        lanczos = time.perf_counter() - started
        print(
            f"  512→{shape[1]}: {seconds:6.2f} s (Lanczos {lanczos:.3f} s); resident memory {before_mb:,.0f} MB before "
            f"(imports, photo, loaded network), peak {peak_mb:,.0f} MB"
        )


def _side_by_side(small: np.ndarray, scale: int, models: list[str], crop: tuple[int, int, int], label_path: Path) -> None:
    """Input (nearest, to show its pixels), bicubic, Lanczos and each upscaler, the same region side by side."""
    top, left, side = crop
    height, width = small.shape[0] * scale, small.shape[1] * scale
    panels = [
        np.asarray(Image.fromarray(small).resize((width, height), Image.Resampling.NEAREST)),
        bicubic(small, width, height),
        resize(small, width, height),
    ] + [upscale_array(small, scale, model) for model in models]
    gap = np.full((side, 4, 3), 128, np.uint8)
    crops = [p[top:top + side, left:left + side] for p in panels]
    row = np.concatenate([part for c in crops for part in (c, gap)][:-1], axis=1)
    Image.fromarray(row).save(label_path)
    print(f"  {label_path} (input | bicubic | Lanczos | {' | '.join(models)})")


def _generated_pictures() -> dict[str, np.ndarray]:
    from genart_core.engine import Engine
    from genart_core.requests.diffusion import TextToImageRequest
    from genart_core.requests.generative import GanSampleRequest, VaeSampleRequest

    engine = Engine()
    pictures = {
        "gan-digit": engine.run(GanSampleRequest(count=1, seed=3)).images[0],
        "vae-digit": engine.run(VaeSampleRequest(count=1, seed=3)).images[0],
    }
    for prompt in ("digit 7", "brick"):
        request = TextToImageRequest(prompt=prompt, model="offline:tiny-diffusion", width=32, height=32, steps=25, guidance=3.0, seed=1)
        pictures[f"offline-{prompt.replace(' ', '')}"] = engine.run(request).images[0]
    return pictures


def upscaler_crops(models: list[str], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nSide-by-side crops in {folder}:")
    for name, picture in zip(HELD_OUT_PHOTOS, photos(HELD_OUT_PHOTOS)):
        sharp = even_crop(picture, 4)
        small = degrade_fixed(sharp, 2)
        top, left = sharp.shape[0] // 3, sharp.shape[1] // 3
        _side_by_side(small, 2, models, (top, left, 192), folder / f"{name.split(':')[1]}-x2-degraded.png")
        _side_by_side(shrink(sharp, 4), 4, models, (top, left, 192), folder / f"{name.split(':')[1]}-x4-clean.png")
    for name, picture in _generated_pictures().items():
        side = picture.shape[0] * 4
        _side_by_side(picture, 4, models, (0, 0, side), folder / f"{name}-x4.png")


def upscaler(args: argparse.Namespace) -> None:
    if "quality" in args.parts:
        upscaler_quality(args.model, args.before)
    if "speed" in args.parts:
        upscaler_speed(args.model, args.threads)
    if args.crops and "crops" in args.parts:
        upscaler_crops([args.before, args.model] if args.before else [args.model], args.crops)


SECTIONS = {"upscaler": upscaler, "hires": hires, "enlarge": enlarge}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=f"which of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--model", default=DEFAULT_UPSCALER, help="upscaler for the upscaler section")
    parser.add_argument("--before", default=None, help="upscaler section: another upscaler to compare with (a column and a crop panel)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--crops", type=Path, default=None, help="write side-by-side crops into this folder")
    parser.add_argument("--quick", action="store_true", help="hires: the narrow pipeline only")
    parser.add_argument("--parts", nargs="+", default=["quality", "speed", "crops"], help="of the upscaler and enlarge sections (default: all)")
    args = parser.parse_args()
    unknown = [name for name in args.sections if name not in SECTIONS]
    if unknown:
        parser.error(f"no section {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    for name in args.sections or SECTIONS:
        print(f"== {name}", flush=True)
        SECTIONS[name](args)


if __name__ == "__main__":
    main()
