"""Style transfer speed and quality on this machine.

Prints:
* seconds to the first preview and to the finished result, per preset, at --size, with the
  engine warmed up as the app does it (the first job still loads VGG-19);
* the losses of the last and of the best image a plain single-scale Gatys run makes (fp32,
  L-BFGS, --gatys-evals evaluations, content init, at full size), and how much sooner our
  pipeline reaches each, every loss measured on the same full-size fp32 objective;
* Adam against L-BFGS under bf16, and bf16 against fp32 (loss and mean pixel difference);
* whether torchvision's VGG-19 weights could be had, and if so which weights give the better
  result (Balanced with each, both results scored on both networks, and the images side by side).

The Gatys run takes many minutes on a small CPU; its numbers are saved to --out and reused with
--reuse-gatys. Example:

    OMP_NUM_THREADS=2 python bench/style_transfer.py --size 512 --out /tmp/genart_bench
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import skimage.data
import torch

from genart_core import device as device_mod
from genart_core.api import Progress
from genart_core.engine import Engine, warm_up
from genart_core.imaging import from_tensor, load_image, to_pil, to_tensor
from genart_core.pipelines import style_images as si
from genart_core.pipelines import style_objective as so
from genart_core.requests.style import Preset, StyleSource, StyleTransferRequest
from genart_core.styles import builtin_styles_dir
from genart_core.vgg_weights import ModelError, load_vgg, torchvision_cache_path

CHECKPOINT_EVERY = 10


class Recorder:
    """Collects (seconds since start, preview) pairs from a run."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.frames: list[tuple[float, np.ndarray]] = []

    def __call__(self, progress: Progress) -> None:
        if progress.preview is not None:
            self.frames.append((time.perf_counter() - self.start, progress.preview))


def full_objective(weights: str, content: np.ndarray, style: np.ndarray, side: int) -> so.Objective:
    """The fp32 objective at full size that every result is scored on."""
    features = load_vgg(weights).to(memory_format=torch.channels_last)
    content_t = si.resize_long_side(to_tensor(content), side)
    style_t = si.resize_long_side(to_tensor(style), side)
    grams = so.style_grams(features, torch.float32, [(style_t, 1.0)])
    return so.Objective(features, torch.float32, content_t, grams, so.LossWeights(), strength=1.0)


def score(objective: so.Objective, image: np.ndarray) -> float:
    tensor = si.resize_to(to_tensor(image), objective.image_size)
    with torch.no_grad():
        return objective(tensor)[1]["total"]


def gatys(objective: so.Objective, content: np.ndarray, evals: int) -> dict:
    """Plain Gatys: one scale, fp32, L-BFGS from the content image.

    Records the loss of every evaluation, and every CHECKPOINT_EVERY evaluations the loss of the
    image it would hand a user at that point (clamped to [0, 1], 8-bit): L-BFGS evaluates trial
    points with pixels outside [0, 1], so its raw losses are lower than any picture it can show.
    Scoring is not counted in the times.
    """
    start = to_tensor(content)
    losses, times, checkpoints = [], [], []
    began = time.perf_counter()
    scoring = 0.0

    def on_step(step: int, pixels: torch.Tensor, parts: dict[str, float]) -> None:
        nonlocal scoring
        losses.append(parts["total"])
        times.append(time.perf_counter() - began - scoring)
        if step % CHECKPOINT_EVERY == 0:
            scored = time.perf_counter()
            checkpoints.append((step, score(objective, from_tensor(pixels))))
            scoring += time.perf_counter() - scored
            print(f"  gatys eval {step}: loss {parts['total']:.4f}, as an image {checkpoints[-1][1]:.4f}, {times[-1]:.0f} s", flush=True)

    result = so.optimise(start, objective, evals, "lbfgs", 1.0, on_step)
    final = score(objective, from_tensor(result))
    checkpoints.append((evals, final))
    return {
        "losses": losses, "times": times, "checkpoints": checkpoints, "final_loss": final,
        "seconds": times[-1], "image": from_tensor(result).tolist(),
    }


def seconds_per_evaluation(objective: so.Objective, content: np.ndarray, repeats: int = 5) -> float:
    """Median time of one fp32 loss evaluation (forward + backward) at full size, measured now.

    The CPU is shared, so the Gatys run's wall time depends on what else ran then; 300 × this
    figure, measured right before our runs, compares both under the same load.
    """
    pixels = to_tensor(content).requires_grad_(True)
    times = []
    for _ in range(repeats + 1):
        began = time.perf_counter()
        objective(pixels)[0].backward()
        times.append(time.perf_counter() - began)
    return float(np.median(times[1:]))


def run_ours(request: StyleTransferRequest) -> tuple[Recorder, np.ndarray, float]:
    engine = Engine()
    recorder = Recorder()
    result = engine.run(request, recorder)
    return recorder, result.images[0], time.perf_counter() - recorder.start


def scored_frames(objective: so.Objective, recorder: Recorder) -> list[tuple[float, float]]:
    """(seconds since start, full-size loss) of every preview."""
    return [(seconds, score(objective, frame)) for seconds, frame in recorder.frames]


def time_to_reach(frames: list[tuple[float, float]], target: float) -> float | None:
    """Seconds until a preview's loss is at or below ``target`` (None if none is)."""
    return next((seconds for seconds, loss in frames if loss <= target), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--style", default="brush_strokes.jpg")
    parser.add_argument("--gatys-evals", type=int, default=300)
    parser.add_argument("--reuse-gatys", action="store_true", help="use the Gatys numbers saved in --out")
    parser.add_argument("--skip-variants", action="store_true", help="only the three presets, no L-BFGS / fp32 variants")
    parser.add_argument("--out", type=Path, default=Path("/tmp/genart_bench"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    device_mod.configure_threads()
    warm_up()

    content = skimage.data.astronaut()
    style_path = builtin_styles_dir() / args.style
    style = load_image(style_path)
    content_small = from_tensor(si.resize_long_side(to_tensor(content), args.size))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fast dtype {device_mod.fast_dtype(torch.device('cpu'))}")
    print(f"content astronaut {content_small.shape[1]}×{content_small.shape[0]}, style {args.style}")
    objective = full_objective("oxford", content_small, style, args.size)

    saved = args.out / f"gatys_{args.size}_{args.gatys_evals}.json"
    if args.reuse_gatys and saved.exists():
        baseline = json.loads(saved.read_text())
        print(f"Gatys baseline reused from {saved}")
    else:
        print(f"Gatys baseline: fp32, L-BFGS, {args.gatys_evals} evaluations at {args.size} px, content init …", flush=True)
        baseline = gatys(objective, content_small, args.gatys_evals)
        saved.write_text(json.dumps(baseline))
    to_pil(np.asarray(baseline["image"], np.uint8)).save(args.out / "gatys.png")
    # Two targets, two readings of "the loss Gatys reaches":
    # * its final picture after all its evaluations, against the time of all of them (the goal's wording);
    # * the best picture it had at any checkpoint, against the time to get there (stricter: the line
    #   search and the [0, 1] clamp make L-BFGS's path uneven, so the best often comes early).
    best_evals, best_loss = min(baseline["checkpoints"], key=lambda c: c[1])
    print(
        f"Gatys: last image loss {baseline['final_loss']:.4f} after {args.gatys_evals} evaluations; best image loss "
        f"{best_loss:.4f} at evaluation {best_evals} (lowest raw trial-point loss {min(baseline['losses']):.4f}); "
        f"{baseline['seconds']:.0f} s as run ({baseline['seconds'] / args.gatys_evals:.2f} s per evaluation)"
    )
    per_eval_before = seconds_per_evaluation(objective, content_small)

    base = dict(content=content_small, styles=(StyleSource(args.style, str(style_path)),), size=args.size, seed=0)
    runs = [
        ("preview bf16", dict(preset=Preset.PREVIEW)),
        ("balanced bf16", dict(preset=Preset.BALANCED)),
        ("best bf16", dict(preset=Preset.BEST)),
    ]
    if not args.skip_variants:
        runs += [
            ("balanced bf16 lbfgs", dict(preset=Preset.BALANCED, optimizer="lbfgs")),
            ("balanced fp32", dict(preset=Preset.BALANCED, precision="fp32")),
        ]
    images, rows = {}, []
    for name, options in runs:
        print(f"running {name} …", flush=True)
        recorder, image, seconds = run_ours(StyleTransferRequest(**base, **options))
        images[name] = image
        to_pil(image).save(args.out / f"{name.replace(' ', '_')}.png")
        first = recorder.frames[0][0] if recorder.frames else float("nan")
        rows.append((name, first, seconds, score(objective, image), scored_frames(objective, recorder)))

    # This CPU is a shared virtual machine whose speed drifts by ±20 %: the fp32 evaluation is timed
    # before and after our runs and the faster figure is used, which favours Gatys.
    per_eval = min(per_eval_before, seconds_per_evaluation(objective, content_small))
    targets = {
        "final": (baseline["final_loss"], per_eval * args.gatys_evals),
        "best": (best_loss, per_eval * best_evals),
    }
    print(
        f"fp32 evaluation now: {per_eval:.2f} s (the faster of before and after our runs) -> at this speed Gatys "
        f"takes ≈ {targets['final'][1]:.0f} s to its last image and ≈ {targets['best'][1]:.0f} s to its best"
    )
    print(f"\n{'run':<22} {'first preview':>13} {'total':>8} {'final loss':>10}   reaches Gatys' last image / best image")
    for name, first, seconds, final, frames in rows:
        reached = []
        for loss, gatys_seconds in targets.values():
            seconds_to_target = time_to_reach(frames, loss)
            reached.append(f"{seconds_to_target:.1f} s ({gatys_seconds / seconds_to_target:.1f}×)" if seconds_to_target else "not reached")
        print(f"{name:<22} {first:>11.2f} s {seconds:>6.1f} s {final:>10.4f}   {' / '.join(reached)}", flush=True)
    if "balanced fp32" in images:
        diff = np.abs(images["balanced bf16"].astype(float) - images["balanced fp32"].astype(float)).mean()
        print(f"\nbf16 vs fp32 (Balanced): mean absolute pixel difference {diff:.1f} / 255")

    try:
        cached = torchvision_cache_path().is_file()
        load_vgg("torchvision")
    except ModelError as exc:
        print(f"\ntorchvision VGG19_Weights.IMAGENET1K_V1: not available here ({exc})")
        return
    print(f"\ntorchvision VGG19_Weights.IMAGENET1K_V1: available ({'cached' if cached else 'downloaded'})")
    compare_weights(base, images["balanced bf16"], objective, content_small, style, args)


def compare_weights(
    base: dict, oxford_image: np.ndarray, oxford_objective: so.Objective, content: np.ndarray, style: np.ndarray, args: argparse.Namespace
) -> None:
    """Which VGG-19 weights give the better result: Balanced with each, both results scored on both
    networks' objectives. Each network favours the image fitted to it, so a result wins clearly only
    if it scores better even on the network the other was fitted to; otherwise the losses cannot
    tell, and the images saved side by side are for the eye, which decides in the end."""
    _, torchvision_image, seconds = run_ours(StyleTransferRequest(**base, preset=Preset.BALANCED, weights="torchvision"))
    results = {"oxford": oxford_image, "torchvision": torchvision_image}
    objectives = {"oxford": oxford_objective, "torchvision": full_objective("torchvision", content, style, args.size)}
    # losses[(fitted to, scored on)]
    losses = {(fitted, scored): score(objectives[scored], image) for fitted, image in results.items() for scored in objectives}
    print(f"balanced with torchvision weights: {seconds:.1f} s")
    print(f"{'optimised with':<16} {'oxford loss':>12} {'torchvision loss':>17}")
    for source in results:
        print(f"{source:<16} {losses[source, 'oxford']:>12.4f} {losses[source, 'torchvision']:>17.4f}")
    oxford_wins = losses["oxford", "torchvision"] < losses["torchvision", "torchvision"]
    torchvision_wins = losses["torchvision", "oxford"] < losses["oxford", "oxford"]
    if oxford_wins != torchvision_wins:
        winner, other = ("oxford", "torchvision") if oxford_wins else ("torchvision", "oxford")
        print(f"the {winner} result scores better even on the {other} network, which the other result was fitted to")
    else:
        print("neither result scores better on the network the other was fitted to: no winner by loss")
    side_by_side = np.concatenate(list(results.values()), axis=1)
    to_pil(side_by_side).save(args.out / "balanced_oxford_vs_torchvision.png")
    print(f"images side by side (oxford | torchvision): {args.out / 'balanced_oxford_vs_torchvision.png'}")

if __name__ == "__main__":
    main()
