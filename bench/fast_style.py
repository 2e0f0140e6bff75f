"""Instant style transfer on this machine: speed of each runtime, the cost of the first result,
and the quality of untuned, learned, Balanced and instant + Refine results.

Prints:
* seconds per image at each --sizes (median of --repeats after a warm-up, --threads threads) for
  onnxruntime on our float graph, our torch module in fp32 and in bf16 (both channels_last), and for
  sizes above the network side what the instant path does there (paint at that side, enlarge with
  the photo's detail) on onnxruntime and bf16;
* mean |difference| (0–1 scale) at 384² of our torch module against onnxruntime on the float graph
  and against the original int8 graph;
* seconds to import onnxruntime and torch, and from a fresh Python process to the first instant
  result (the derived graphs cached, as after the first launch);
* Balanced (optimisation) on the same 512² input, timed in the same run, and its ratio to the
  instant path;
* with --quality: for each built-in style and three photos that the shipped learned styles were not
  trained on, the style/content/total loss (the project's VGG-19 objective in fp32, strength 1) of
  the untuned instant result, the shipped learned one, the one learned for this photo (Learn this
  style with the photo on the canvas, as the app does, default settings; its seconds include the
  learning), Balanced and instant + Refine, and each one's seconds.

    OMP_NUM_THREADS=2 python bench/fast_style.py [--sizes 512 1024] [--quality] [--out /tmp/fast_bench]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from genart_core.engine import Engine
from genart_core.fast_style import network_files
from genart_core.fast_style.content_photos import EVALUATION_PHOTOS, shipped_photo
from genart_core.fast_style.learned_styles import learned_for
from genart_core.fast_style.network_grid import without_grid
from genart_core.fast_style.onnx_runtime import CONTENT_INPUT, STYLE_INPUT, OnnxStyleNetworks, session
from genart_core.fast_style.pictures import paint_at_network_side, style_square, to_nhwc
from genart_core.fast_style.torch_runtime import TorchStyleNetworks
from genart_core.imaging import fit_within, load_image, resize, to_pil, to_tensor
from genart_core.pipelines import style_images as si
from genart_core.pipelines import style_objective as so
from genart_core.requests.fast_style import FastStyleRequest, LearnStyleRequest, RefineRequest, StyleVectorSource
from genart_core.requests.style import Preset, StyleSource, StyleTransferRequest
from genart_core.styles import find_style, list_styles
from genart_core.vgg_weights import load_vgg


def median_seconds(run, repeats: int) -> float:
    run()  # warm-up: first-call allocations and kernel selection
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def speed(args: argparse.Namespace, vector: np.ndarray) -> dict[int, float]:
    onnx = OnnxStyleNetworks(args.threads)
    fp32 = TorchStyleNetworks(args.threads, torch.float32, "cpu")
    bf16 = TorchStyleNetworks(args.threads, torch.bfloat16, "cpu")
    side = FastStyleRequest.network_side
    print(f"\nSeconds per image (median of {args.repeats} after a warm-up, {args.threads} threads); the network at each size, "
          f"then the removal of the network's grid from its picture, then as the instant path makes a larger picture: painted at {side} px, "
          f"its grid removed and enlarged with the photo's detail:")
    print(f"{'size':>6} {'onnxruntime':>12} {'torch fp32':>11} {'torch bf16':>11} {'grid removal':>13} {'painted, onnx':>14} {'painted, bf16':>14}")
    instant = {}
    for size in args.sizes:
        content = resize(shipped_photo("skimage:astronaut"), size, size)
        row = [median_seconds(lambda n=n: n.stylize(content, vector), args.repeats) for n in (onnx, fp32, bf16)]
        painting = onnx.stylize(content, vector)
        grid = median_seconds(lambda: without_grid(painting), args.repeats)
        instant[size] = row[0] + grid  # what the instant path spends on the CPU: onnxruntime, then the grid
        painted = ""
        if size > side:
            painted = "".join(f" {median_seconds(lambda n=n: paint_at_network_side(lambda picture: without_grid(n.stylize(picture, vector)), content, side), args.repeats):>14.3f}"
                              for n in (onnx, bf16))
        print(f"{size:>6} {row[0]:>12.3f} {row[1]:>11.3f} {row[2]:>11.3f} {grid:>13.3f}{painted}")
    return instant


def differences(vector: np.ndarray) -> None:
    content = resize(shipped_photo("skimage:astronaut"), 384, 384)
    feeds = {CONTENT_INPUT: to_nhwc(content), STYLE_INPUT: vector.reshape(1, 1, 1, 100)}
    from genart_core.fast_style.onnx_runtime import float_graph_bytes, norm_offset_feeds

    float_out = session(float_graph_bytes(network_files.TRANSFORMER), 2).run(None, {**feeds, **norm_offset_feeds({})})[0][0]
    int8_out = session(network_files.read_checked(network_files.TRANSFORMER), 2).run(None, feeds)[0][0]
    model = TorchStyleNetworks(2, torch.float32, "cpu").model
    with torch.inference_mode():
        ours = model(torch.from_numpy(feeds[CONTENT_INPUT]).permute(0, 3, 1, 2), torch.from_numpy(vector)[None])[0].permute(1, 2, 0).numpy()
    print(f"\nAt 384², mean |Δ| of our torch module: {np.abs(ours - float_out).mean():.2e} against onnxruntime on the float graph, "
          f"{np.abs(ours - int8_out).mean():.4f} against the original int8 graph")


def import_and_first_result(folder: Path) -> None:
    photo = folder / "astronaut.png"
    to_pil(shipped_photo("skimage:astronaut")).save(photo)

    def seconds(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        return time.perf_counter() - started

    bare = seconds("pass")
    first = (
        "import numpy as np\nfrom genart_core.engine import Engine\n"
        "from genart_core.requests.fast_style import FastStyleRequest, StyleVectorSource\n"
        "from genart_core.styles import find_style\n"
        "s = find_style('mosaic')\n"
        f"Engine().run(FastStyleRequest(content={str(photo)!r}, styles=(StyleVectorSource(s.name, str(s.path)),), size=512))\n"
    )
    seconds(first)  # caches the derived graphs, as the first launch does
    print(f"\nFrom a fresh Python process (its own start-up, {bare:.2f} s, subtracted): import onnxruntime "
          f"{seconds('import onnxruntime') - bare:.2f} s, import torch {seconds('import torch') - bare:.2f} s, "
          f"first 512² instant result {seconds(first) - bare:.2f} s (style predicted, photo loaded, stylised)")


def balanced_ratio(engine: Engine, instant_512: float | None) -> None:
    style = find_style("mosaic")
    request = StyleTransferRequest(content=shipped_photo("skimage:astronaut"), styles=(StyleSource(style.name, str(style.path)),), size=512)
    engine.run(StyleTransferRequest(content=request.content, styles=request.styles, size=64))  # loads VGG-19
    started = time.perf_counter()
    engine.run(request)
    balanced = time.perf_counter() - started
    ratio = f", {balanced / instant_512:.0f}× the instant path's {instant_512:.3f} s (onnxruntime and grid removal)" if instant_512 else ""
    print(f"\nBalanced at 512² (same photo and style, same run): {balanced:.1f} s{ratio}")


# -- quality ------------------------------------------------------------------------------------
class Scorer:
    """The project's objective in fp32 at one size, for any result on one photo and style."""

    def __init__(self, content: np.ndarray, style_path: Path, side: int) -> None:
        self.features = _vgg()
        content_t = to_tensor(content)
        style_t = si.resize_long_side(to_tensor(load_image(style_path)), side)
        grams = so.style_grams(self.features, torch.float32, [(style_t, 1.0)])
        self.objective = so.Objective(self.features, torch.float32, content_t, grams, so.LossWeights(), strength=1.0)
        self.shape = content.shape

    def __call__(self, image: np.ndarray) -> dict[str, float]:
        with torch.no_grad():
            return self.objective(to_tensor(self._sized(image)))[1]

    def layers(self, image: np.ndarray) -> dict[str, float]:
        """Each style layer's loss, relu1_1 (fine texture) to relu5_1 (the largest forms)."""
        return self.objective.style_layer_losses(to_tensor(self._sized(image)))

    def _sized(self, image: np.ndarray) -> np.ndarray:
        return image if image.shape == self.shape else resize(image, self.shape[1], self.shape[0])


_VGG = []


def _vgg():
    if not _VGG:
        _VGG.append(load_vgg("auto").to(memory_format=torch.channels_last))
    return _VGG[0]


def timed(engine: Engine, request) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    result = engine.run(request)
    return result.images[0], time.perf_counter() - started


def learned_for_photo(engine: Engine, style, photo: np.ndarray, folder: Path) -> tuple[np.ndarray, float]:
    """Learn this style with ``photo`` on the canvas (the app's defaults), then its instant result;
    the seconds are for both."""
    started = time.perf_counter()
    path = engine.run(LearnStyleRequest(style_name=style.name, style_path=str(style.path), canvas=photo, output=str(folder))).extras["path"]
    image = engine.run(FastStyleRequest(content=photo, styles=(StyleVectorSource(style.name, path, 1.0, "learned"),), size=None)).images[0]
    return image, time.perf_counter() - started


def way_to_balanced(summary: dict[str, list[dict[str, float]]], label: str) -> None:
    """How far ``label``'s style loss goes from the untuned result's to Balanced's, per pair where Balanced's is lower."""
    gained = [
        (u["style"] - r["style"]) / (u["style"] - b["style"])
        for u, r, b in zip(summary["untuned instant"], summary[label], summary["Balanced"])
        if u["style"] > b["style"]
    ]
    if not gained:
        print(f"{label}: Balanced's style loss is above the untuned result's on every pair; no way to measure")
        return
    print(f"{label}: style loss {np.median(gained) * 100:.0f} % of the way from untuned to Balanced (median over {len(gained)} pairs), "
          f"lowest {min(gained) * 100:.0f} %, {sum(g >= 0.5 for g in gained)}/{len(gained)} pairs at least halfway (the goal)")


def quality(engine: Engine, args: argparse.Namespace) -> None:
    side = args.quality_size
    print(f"\nLosses at {side} px (fp32 objective, strength 1; style ×4 + content + TV ×2 = total) and seconds; photos the shipped learned styles did not see:")
    print(f"{'style':<14} {'photo':<18} {'result':<22} {'style':>7} {'content':>8} {'total':>7} {'seconds':>8}")
    summary: dict[str, list[dict[str, float]]] = {}
    mosaic = find_style("mosaic")
    warm = np.zeros((64, 64, 3), np.uint8)
    engine.run(FastStyleRequest(content=warm, styles=(StyleVectorSource(mosaic.name, str(mosaic.path)),)))  # loads the networks
    engine.run(StyleTransferRequest(content=warm, styles=(StyleSource(mosaic.name, str(mosaic.path)),), size=64))  # and VGG-19
    for style in (s for s in list_styles() if s.builtin and (not args.styles or s.name in args.styles)):
        learned = learned_for(style.name)
        for photo_name in EVALUATION_PHOTOS:
            photo = fit_within(shipped_photo(photo_name), side)
            scorer = Scorer(photo, style.path, side)
            untuned = FastStyleRequest(content=photo, styles=(StyleVectorSource(style.name, str(style.path)),), size=None)
            rows = {"untuned instant": timed(engine, untuned)}
            if learned is not None:
                rows["learned instant"] = timed(engine, FastStyleRequest(content=photo, styles=(StyleVectorSource(style.name, str(learned.path), 1.0, "learned"),), size=None))
            if not args.skip_learning:
                rows["learned for this photo"] = learned_for_photo(engine, style, photo, args.out / "learned" / photo_name.split(":")[1])
            rows["Balanced"] = timed(engine, StyleTransferRequest(content=photo, styles=(StyleSource(style.name, str(style.path)),), preset=Preset.BALANCED, size=None))
            # Refine starts from the best instant result there is: the learned one where a style was learned.
            refine_source = untuned.styles if learned is None else (StyleVectorSource(style.name, str(learned.path), 1.0, "learned"),)
            rows["instant + Refine"] = timed(engine, RefineRequest(instant=FastStyleRequest(content=photo, styles=refine_source, size=None), iterations=args.refine_iterations))
            for label, (image, seconds) in rows.items():
                losses = scorer(image)
                summary.setdefault(label, []).append({**losses, "seconds": seconds, "key": (style.name, photo_name)})
                print(f"{style.name:<14} {photo_name:<18} {label:<22} {losses['style']:>7.3f} {losses['content']:>8.3f} {losses['total']:>7.3f} {seconds:>8.2f}")
            sheet = np.concatenate([photo, resize(load_image(style.path)[..., :3], photo.shape[1], photo.shape[0])] + [image for image, _ in rows.values()], axis=1)
            to_pil(sheet).save(args.out / f"{style.path.stem}_{photo_name.split(':')[1]}.png")
    print("\nMeans over styles × photos:")
    for label, rows in summary.items():
        print(f"{label:<22} style {np.mean([r['style'] for r in rows]):.3f}  content {np.mean([r['content'] for r in rows]):.3f}  "
              f"total {np.mean([r['total'] for r in rows]):.3f}  seconds {np.mean([r['seconds'] for r in rows]):.2f}")
    for label in ("learned instant", "learned for this photo"):
        if label in summary:
            way_to_balanced(summary, label)
    reach = [r["total"] <= b["total"] for r, b in zip(summary["instant + Refine"], summary["Balanced"])]
    time_share = np.mean([r["seconds"] / b["seconds"] for r, b in zip(summary["instant + Refine"], summary["Balanced"])])
    print(f"instant + Refine ({args.refine_iterations} iterations) reaches Balanced's total loss in {sum(reach)}/{len(reach)} pairs, "
          f"in {time_share * 100:.0f} % of Balanced's time on average (goal ≤ 60 %)")
    print(f"Side-by-side sheets (photo, style, then the results in the order above): {args.out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[512, 1024])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-balanced", action="store_true", help="no Balanced run for the speed ratio")
    parser.add_argument("--skip-launch", action="store_true", help="no fresh-process import and first-result timings")
    parser.add_argument("--quality", action="store_true", help="also the loss table (about 3 minutes a style and photo on 2 cores: a Balanced run and a learning each)")
    # Balanced's size in the app and the size learning learns at: the network's strokes are fixed in
    # pixels, so losses at another size than the style was learned at say little about what users see.
    parser.add_argument("--quality-size", type=int, default=LearnStyleRequest.train_size)
    parser.add_argument("--skip-learning", action="store_true", help="no \"learned for this photo\" rows (two minutes each): the loss table's other rows")
    parser.add_argument("--styles", nargs="*", help="built-in styles for the loss table (default: all six)")
    parser.add_argument("--refine-iterations", type=int, default=RefineRequest.iterations)
    parser.add_argument("--out", type=Path, default=Path("/tmp/fast_style_bench"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    vector = OnnxStyleNetworks(args.threads).predict(style_square(find_style("mosaic").path))
    differences(vector)
    instant = speed(args, vector) if args.sizes else {}
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.skip_launch:
        import_and_first_result(args.out)
    engine = Engine()
    if not args.skip_balanced:
        balanced_ratio(engine, instant.get(512))
    if args.quality:
        quality(engine, args)


if __name__ == "__main__":
    main()
