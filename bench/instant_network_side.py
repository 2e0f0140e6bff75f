"""Instant style on pictures larger than the network side: painted at the picture's own size, or at
the network side (512 px) and enlarged with the photo's detail, as the instant path does.

For each style (default: the six built-in ones) and two 1024-px pictures (the astronaut enlarged from
512 px, and the Hubble deep field, both shipped with scikit-image), prints the style and total loss
of both, untuned and learned, judged at the picture's size with the painting at that size (the
project's objective in fp32, as bench/fast_style.py scores Balanced), and each one's seconds. With
--out, saves the learned results side by side (own size left, network side right) for each style.

    python bench/instant_network_side.py [--styles Mosaic "Ink wash"] [--threads 2] [--out /tmp/sides]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np
import torch
from skimage import data

from fast_style import Scorer  # bench/ is on the path when this script runs
from genart_core.engine import Engine
from genart_core.fast_style.learned_styles import learned_for
from genart_core.imaging import fit_within, resize, to_pil
from genart_core.requests.fast_style import FastStyleRequest, StyleVectorSource
from genart_core.styles import list_styles

SIDE = 1024


def pictures() -> dict[str, np.ndarray]:
    return {"astronaut (enlarged)": resize(data.astronaut(), SIDE, SIDE), "hubble": fit_within(data.hubble_deep_field(), SIDE)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles", nargs="*", help="style names (default: the built-in ones)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, help="folder for the side-by-side pictures")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    engine = Engine()
    # The first run loads the network: warm it so the seconds are the painting's.
    engine.run(FastStyleRequest(content=resize(data.astronaut(), 64, 64), styles=(StyleVectorSource("warm-up", str(list_styles()[0].path)),)))
    styles = [style for style in list_styles() if not args.styles or style.name in args.styles]
    side = FastStyleRequest.network_side
    print(f"Losses at {SIDE} px (style ×4 + content + TV ×2 = total), painted at the picture's size or at {side} px and enlarged:")
    print(f"{'style':<14} {'picture':<21} {'vector':<8} {'own size: style':>15} {'total':>6} {'s':>5}   {f'at {side}: style':>14} {'total':>6} {'s':>5}")
    lower = cases = 0
    for style in styles:
        learned = learned_for(style.name)
        sources = {"untuned": StyleVectorSource(style.name, str(style.path))}
        if learned is not None:
            sources["learned"] = StyleVectorSource(style.name, str(learned.path), 1.0, "learned")
        for name, picture in pictures().items():
            scorer = Scorer(picture, style.path, max(picture.shape[:2]))
            for kind, source in sources.items():
                request = FastStyleRequest(content=picture, styles=(source,), size=None)
                results = {}
                for label, network_side in (("own", None), ("side", side)):
                    started = time.perf_counter()
                    image = engine.run(dataclasses.replace(request, network_side=network_side)).images[0]
                    seconds = time.perf_counter() - started
                    results[label] = (image, scorer(image), seconds)
                own, at_side = results["own"][1], results["side"][1]
                cases += 1
                lower += at_side["style"] < own["style"] and at_side["total"] < own["total"]
                print(f"{style.name:<14} {name:<21} {kind:<8} {own['style']:>15.3f} {own['total']:>6.3f} {results['own'][2]:>5.2f}   "
                      f"{at_side['style']:>14.3f} {at_side['total']:>6.3f} {results['side'][2]:>5.2f}")
                if args.out and kind == "learned" and name.startswith("astronaut"):
                    args.out.mkdir(parents=True, exist_ok=True)
                    pair = np.concatenate([results["own"][0], results["side"][0]], axis=1)
                    to_pil(pair).save(args.out / f"{style.name.replace(' ', '_').lower()}.png")
    print(f"Painted at {side} px: lower style and total loss in {lower} of {cases} cases")


if __name__ == "__main__":
    main()
