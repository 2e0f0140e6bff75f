"""Learn the six built-in styles for instant style transfer and ship the results in resources/.

For each style in resources/styles (or those named with --only) this runs Learn this style
(genart_core/pipelines/learn_style.py) on the training photos that ship with scikit-image and
scikit-learn and writes resources/styles/learned/<style>.safetensors (a 100-number style vector
and the offsets of the transformer's normalisation biases, its card in the metadata). CARD.md is
then rebuilt from the cards of every learned file in the folder, so learning one style keeps the
others' rows: data, settings, time and losses before and after.

    python scripts/learn_builtin_styles.py [--steps N] [--train-size 512] [--crop-size 256] [--style-weight 4]
        [--only "Brush strokes"] [--threads N]
"""

from __future__ import annotations

import argparse
import logging
import platform
from pathlib import Path

import torch

from genart_core.device import configure_threads
from genart_core.engine import Engine
from genart_core.fast_style.learned_styles import LearnedStyleError, read_learned
from genart_core.pipelines.style_objective import ADAM_MOMENTUM
from genart_core.requests.fast_style import LearnStyleRequest
from genart_core.styles import list_styles

log = logging.getLogger("learn_builtin_styles")


# What learning did before its cards recorded it (until 89d3ddd): VGG ran on every crop, the network in fp32.
OLDER_CONTENT_TARGET = "the crop's own VGG pass"
OLDER_NETWORK_DTYPE = "float32"
OLDER_NETWORK_GRID = "kept"
# Until crops were judged against the painting's crops of their size, every step was judged against the whole painting.
OLDER_CROP_STYLE_TARGET = "the whole painting"


def card_table(cards: list[dict], machine_note: str) -> str:
    lines = [
        "# Learned built-in styles",
        "",
        "Made by `python scripts/learn_builtin_styles.py`: Magenta's arbitrary-style network (Ghiasi et al. 2017,",
        "Apache-2.0), its style vector (and, where the table says so, the biases of its normalisation γ/β maps)",
        f"tuned with Adam (momentum {ADAM_MOMENTUM:g}) against the project's VGG-19 objective (Oxford weights; content 1, TV 2, and the style weight",
        "in the table: Balanced uses 4, and so does learning by default), with the learning rates decaying along a cosine,",
        "one training photo per step. The photos and the painting are scaled to the train size (longer side);",
        "each step trains on a seeded random square crop of that side (the whole photo where the crop is as large).",
        "The table says, per file, where a crop's content target came from, what a crop's style was judged against,",
        "the dtype the network ran in and whether learning saw the network's pictures with its 4-pixel grid removed,",
        "as the instant path shows them (files made before this was recorded: "
        f"{OLDER_CONTENT_TARGET}, {OLDER_CROP_STYLE_TARGET}, {OLDER_NETWORK_DTYPE}, {OLDER_NETWORK_GRID}).",
        "The convolutions' weights are not changed. Losses are the mean over the whole training photos at the train size;",
        "the total is the one learning minimised (its own style weight).",
        "",
        f"Data: {cards[0]['data'] if cards else ''}. {machine_note}",
        "",
        "| style | tuned | style weight | steps | train size / crop | crop's content target | crop's style target | network | network's grid "
        "| seconds | style loss before → after | content loss before → after | total before → after |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for card in cards:
        crop = card.get("crop_size", card["train_size"])
        method = (f"{card.get('content_target', OLDER_CONTENT_TARGET)} | {card.get('crop_style_target', OLDER_CROP_STYLE_TARGET)} "
                  f"| {card.get('network_dtype', OLDER_NETWORK_DTYPE)} "
                  f"| {card.get('network_grid', OLDER_NETWORK_GRID)}")
        lines.append(
            f"| {card['style']} | {card['tuned']} | {card.get('style_weight', 4.0):g} | {card['steps']} | {card['train_size']} / {crop} | {method} | {card['seconds']:.0f} "
            f"| {card['style_loss_before']:.3f} → {card['style_loss_after']:.3f} "
            f"| {card['content_loss_before']:.3f} → {card['content_loss_after']:.3f} "
            f"| {card['total_loss_before']:.3f} → {card['total_loss_after']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def folder_cards(folder: Path) -> list[dict]:
    """The cards of the learned files in ``folder``, by style name; damaged files are left out with a warning."""
    cards = []
    for path in sorted(folder.glob("*.safetensors")):
        try:
            cards.append(read_learned(path, builtin=True).card)
        except LearnedStyleError as exc:
            log.warning("%s", exc)
    return sorted(cards, key=lambda card: card["style"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=LearnStyleRequest.steps)
    # The size bench/fast_style.py scores at: the style's Gram matrices are taken at the scale they are judged at.
    parser.add_argument("--train-size", type=int, default=LearnStyleRequest.train_size)
    parser.add_argument("--crop-size", type=int, default=LearnStyleRequest.crop_size)
    parser.add_argument("--style-weight", type=float, default=LearnStyleRequest.style_weight)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "resources" / "styles" / "learned")
    parser.add_argument("--only", nargs="*", help="style names to learn (default: all built-in ones)")
    parser.add_argument("--machine-note", default="Times are on a 2-core x86_64 CPU that other jobs shared while this ran (a quiet one is several times faster).",
                        help="what CARD.md says about the machine the times come from")
    # On a machine shared with other jobs, one thread wastes less time waiting for its partner.
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: every core)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    configure_threads()
    if args.threads:
        torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    engine = Engine()  # keeps VGG and the transformer loaded from one style to the next
    for style in (s for s in list_styles() if s.builtin):
        if args.only and style.name not in args.only:
            continue
        request = LearnStyleRequest(style_name=style.name, style_path=str(style.path), steps=args.steps,
                                   train_size=args.train_size, crop_size=args.crop_size, style_weight=args.style_weight,
                                   output=str(args.out))
        card = engine.run(request).extras["card"]
        log.info("%s: %.0f s, style loss %.3f -> %.3f", style.name, card["seconds"], card["style_loss_before"], card["style_loss_after"])
    (args.out / "CARD.md").write_text(card_table(folder_cards(args.out), f"Machine: {platform.machine()}. {args.machine_note}"), encoding="utf-8")


if __name__ == "__main__":
    main()
