"""Learn the six built-in styles for instant style transfer and ship the results in resources/.

For each style in resources/styles this runs Learn this style (genart_core/pipelines/learn_style.py)
on the training photos that ship with scikit-image and scikit-learn, writes
resources/styles/learned/<style>.safetensors (a 100-number style vector and the offsets of the
transformer's normalisation biases, its card in the metadata)
and a CARD.md table with the data, steps, time and losses before and after.

    python scripts/learn_builtin_styles.py [--steps 72] [--train-size 256] [--out resources/styles/learned]
"""

from __future__ import annotations

import argparse
import logging
import platform
from pathlib import Path

from genart_core.device import configure_threads
from genart_core.engine import Engine
from genart_core.requests.fast_style import LearnStyleRequest
from genart_core.styles import list_styles

log = logging.getLogger("learn_builtin_styles")


def card_table(cards: list[dict]) -> str:
    first = cards[0] if cards else {}
    lines = [
        "# Learned built-in styles",
        "",
        "Made by `python scripts/learn_builtin_styles.py`: Magenta's arbitrary-style network (Ghiasi et al. 2017,",
        f"Apache-2.0), its {first.get('tuned', 'style vector')} tuned against the project's VGG-19 objective",
        "(Oxford weights, style weight 4, content 1, TV 2), one training photo per Adam step,",
        f"{first.get('train_size')}×{first.get('train_size')} centred crops. The convolutions' weights are not changed.",
        "Losses are the mean over the training photos.",
        "",
        f"Data: {cards[0]['data'] if cards else ''}. Machine: {platform.processor() or platform.machine()}, shared with other jobs while this ran.",
        "",
        "| style | steps | seconds | style loss before → after | content loss before → after | total before → after |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for card in cards:
        lines.append(
            f"| {card['style']} | {card['steps']} | {card['seconds']:.0f} "
            f"| {card['style_loss_before']:.3f} → {card['style_loss_after']:.3f} "
            f"| {card['content_loss_before']:.3f} → {card['content_loss_after']:.3f} "
            f"| {card['total_loss_before']:.3f} → {card['total_loss_after']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=72)
    # The size bench/fast_style.py scores at: the style's Gram matrices are taken at the scale they are judged at.
    parser.add_argument("--train-size", type=int, default=256)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "resources" / "styles" / "learned")
    parser.add_argument("--only", nargs="*", help="style names to learn (default: all built-in ones)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    configure_threads()
    args.out.mkdir(parents=True, exist_ok=True)
    engine = Engine()  # keeps VGG and the transformer loaded from one style to the next
    cards = []
    for style in (s for s in list_styles() if s.builtin):
        if args.only and style.name not in args.only:
            continue
        request = LearnStyleRequest(style_name=style.name, style_path=str(style.path), steps=args.steps,
                                   train_size=args.train_size, output=str(args.out))
        result = engine.run(request)
        card = result.extras["card"]
        log.info("%s: %.0f s, style loss %.3f -> %.3f", style.name, card["seconds"], card["style_loss_before"], card["style_loss_after"])
        cards.append(card)
    (args.out / "CARD.md").write_text(card_table(cards), encoding="utf-8")


if __name__ == "__main__":
    main()
