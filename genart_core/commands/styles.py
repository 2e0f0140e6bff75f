"""``genart styles list [--fast]`` and ``genart styles learn STYLE [--steps N] [--content-dir DIR] [--photo PHOTO [--photo-only]]``."""

from __future__ import annotations

import argparse
import sys

from genart_core.requests.fast_style import LearnStyleRequest


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("styles", help="list the style gallery, or learn a style for instant style transfer")
    actions = parser.add_subparsers(dest="styles_command", metavar="ACTION")
    listing = actions.add_parser("list", help="one style a line, name first")
    listing.add_argument("--fast", action="store_true", help="only styles with an instant path (all of them), saying which are learned")
    listing.set_defaults(handler=list_styles)
    learn = actions.add_parser(
        "learn",
        help="tune the instant network to one style (about a minute or two on a CPU)",
        description="Tune the instant network's style vector so its results match STYLE's VGG-19 Gram statistics "
        "on a few content photos. The result is a small file in your style folder; --fast uses it from then on.",
    )
    learn.add_argument("style", help="a style name from the gallery or an image file")
    # None: the request's own default, so the CLI, the app and the script learn alike.
    learn.add_argument("--steps", type=int, default=None, help="optimisation steps (default: LearnStyleRequest's)")
    learn.add_argument("--content-dir", default="", help="folder of content photos (default: photos shipped with scikit-image)")
    # "%%": argparse fills help texts in with the % operator.
    learn.add_argument("--photo", default="", help="the photo you will stylise: it joins the content photos, as the app's canvas does, "
                       f"and {LearnStyleRequest.canvas_share * 100:.0f} %% of the steps train on it, at its size (up to {LearnStyleRequest.train_size} px), "
                       "so the style fits it best")
    learn.add_argument("--photo-only", action="store_true", help="every step trains on --photo: the style fits that photo closer "
                       "and other pictures less well")
    learn.set_defaults(handler=learn_style)
    parser.set_defaults(handler=list_styles, fast=False)


def list_styles(args: argparse.Namespace) -> int:
    from genart_core.fast_style.learned_styles import list_learned, style_key
    from genart_core.styles import list_styles as gallery

    learned = {style_key(style.name): style for style in list_learned()}
    for style in gallery():
        origin = "built-in" if style.builtin else "yours"
        match = learned.pop(style_key(style.name), None)
        if args.fast:
            instant = f"learned ({match.path})" if match else "predicted"
            sys.stdout.write(f"{style.name}\t{origin}\t{instant}\n")
        else:
            sys.stdout.write(f"{style.name}\t{origin}\t{style.path}\n")
    for style in learned.values():  # learned from a file that is not in the gallery
        sys.stdout.write(f"{style.name}\tlearned\t{style.path}\n")
    return 0


def learn_style(args: argparse.Namespace) -> int:
    from genart_core.api import GenArtError
    from genart_core.imaging import load_image
    from genart_core.styles import find_style
    from genart_core.terminal import run_in_terminal

    if args.steps is not None and args.steps < 1:
        raise GenArtError("--steps must be at least 1.")
    style = find_style(args.style)
    if args.photo_only and not args.photo:
        raise GenArtError("--photo-only needs --photo: the photo to learn the style for.")
    steps = LearnStyleRequest.steps if args.steps is None else args.steps
    photo = load_image(args.photo) if args.photo else None
    share = 1.0 if args.photo_only else LearnStyleRequest.canvas_share
    result = run_in_terminal(LearnStyleRequest(style_name=style.name, style_path=str(style.path), steps=steps, content_dir=args.content_dir,
                                               canvas=photo, canvas_share=share))
    card = result.extras["card"]
    sys.stdout.write(
        f"Learned {style.name} in {card['seconds']:.0f} s ({card['steps']} steps{', stopped early' if result.stopped else ''}): "
        f"style loss {card['style_loss_before']:.3f} → {card['style_loss_after']:.3f}; saved {result.extras['path']}\n"
    )
    return 0
