"""Learn this style: tune the instant network's 100-number style vector for one painting, and
(``tune_norms``) the biases of its γ/β maps, against the project's Gatys objective (VGG-19 Gram
style loss, content loss, TV; style_objective.py) on a few content photos. The convolutions stay
fixed; the result is a small file (KBs): the vector and the biases' offsets.

Starts from the vector the predictor reads from the painting. The photos and the painting are
scaled to the learning side (``learning_side``: the train size, or a smaller canvas's own side),
the scale the style is judged at, as Balanced's last scale sees it at that size, and the size the
instant path then shows it at: the network's strokes are fixed in pixels, so a style learned at
256 px and shown at 512 px loses most of what it learned (``LearnStyleRequest.train_size``). Each
step tunes on a seeded random ``crop_size`` square of one photo: a quarter of the pixels costs a
quarter of the time and memory, and the crops vary. A crop's content target is cut from its whole
photo's VGG features, and the network runs in the fast dtype (bf16 on this CPU) as the instant
path runs it: a step took 0.355 s instead of 0.44 s (median of 30, 2 threads), and the losses on
the 18 bench pairs ended level (lower total on 11). A crop's style is judged against the painting's
crops of its size (``painting_windows``), whose Gram matrices VGG's zero padding shapes as it shapes
the crop's. Whole-photo steps fit the training photos better but not the photos learning never saw.
The learning rates decay along a cosine.

What the tuned numbers learn is specific to the photos they are tuned on: tuned on the astronaut
alone, Brush strokes' style loss there goes 85 % of the way from the untuned result to Balanced's;
tuned on astronaut and cat, the flower it never saw gets 17 %. So the canvas, the picture the user
will stylise, gets ``canvas_share`` of the steps (Brush strokes at 256 px, 300 steps at half:
68–88 % of the way on the canvas, against 30–49 % as one photo among four).

Stop & Keep keeps what is learned so far; a result whose loss over the whole photos (weighted by
their share of the steps) ends above the predicted vector's is not kept (the predicted one is saved
instead).
"""

from __future__ import annotations

import copy
import hashlib
import logging
import math
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from genart_core.api import GenArtError, GenerationInfo, Result
from genart_core.device import choose_device, fast_dtype
from genart_core.engine import RunContext
from genart_core.fast_style import learned_styles
from genart_core.fast_style.content_photos import training_photos
from genart_core.fast_style.network_grid import without_grid_tensor
from genart_core.fast_style.onnx_runtime import OnnxStyleNetworks
from genart_core.fast_style.pictures import painting_square
from genart_core.fast_style.torch_transformer import load_transformer
from genart_core.imaging import from_tensor, load_image, to_tensor
from genart_core.models.style_transformer import StyleTransformer, norm_bias_names
from genart_core.pipelines.style_images import NETWORK_MIN_SIDE, fit_for_network, resize_long_side
from genart_core.pipelines.style_objective import ADAM_MOMENTUM, CONTENT_STRIDE, LossWeights, Objective, style_grams
from genart_core.requests.fast_style import NETWORK, LearnStyleRequest
from genart_core.vgg_weights import load_vgg

log = logging.getLogger(__name__)

LEARNING_RATE = 0.1  # the vector's entries are of order 1
# γ/β biases, at the start of the cosine decay.
NORM_LEARNING_RATE = 0.1
PREVIEW_EVERY = 5


def random_window(picture: torch.Tensor, side: int, generator: torch.Generator, align: int = 1) -> tuple[slice, slice]:
    """The rows and columns of a seeded random ``side`` square of ``picture`` (narrower where the
    picture is), starting on multiples of ``align``."""
    height, width = picture.shape[-2:]
    crop_h, crop_w = min(side, height), min(side, width)
    top = int(torch.randint(0, (height - crop_h) // align + 1, (1,), generator=generator)) * align
    left = int(torch.randint(0, (width - crop_w) // align + 1, (1,), generator=generator)) * align
    return slice(top, top + crop_h), slice(left, left + crop_w)


def _window_starts(extent: int, side: int, stride: int) -> list[int]:
    last = extent - side
    return sorted(set(range(0, last + 1, stride)) | {last})


def painting_windows(painting: torch.Tensor, side: int) -> list[torch.Tensor]:
    """The painting's ``side`` squares (narrower where it is), a quarter of a side apart and
    reaching every edge: what a crop of a photo is judged against."""
    height, width = painting.shape[-2:]
    crop_h, crop_w = min(side, height), min(side, width)
    stride = max(1, side // 4)
    return [painting[..., top : top + crop_h, left : left + crop_w]
            for top in _window_starts(height, crop_h, stride) for left in _window_starts(width, crop_w, stride)]


def feature_window(rows: slice, cols: slice) -> tuple[slice, slice]:
    """The positions of CONTENT_LAYER's features that a window starting on multiples of
    CONTENT_STRIDE covers: as many as a picture of the window's size has."""
    return (slice(rows.start // CONTENT_STRIDE, rows.stop // CONTENT_STRIDE),
            slice(cols.start // CONTENT_STRIDE, cols.stop // CONTENT_STRIDE))


class StyleLearner:
    """The training photos, their objectives, and the loss of a style vector on them."""

    def __init__(self, transformer: StyleTransformer, make_objective: Callable[[torch.Tensor], Objective], photos: list[torch.Tensor],
                 crop_size: int, seed: int, canvas: int | None = None, canvas_share: float = 0.0, dtype: torch.dtype = torch.float32,
                 crop_style_grams: dict[str, torch.Tensor] | None = None) -> None:
        self.transformer, self.photos, self.crop_size, self.dtype = transformer, photos, crop_size, dtype
        # The index of the canvas among the photos (None: no canvas), and the share of steps it gets.
        self.canvas, self.canvas_share = canvas, canvas_share if canvas is not None else 0.0
        # Whole-photo objectives: the losses before and after, and the content targets crops are cut from.
        self.objectives = [make_objective(photo) for photo in photos]
        # What a crop is judged against: the painting's Gram matrices over crops of its size
        # (painting_windows), else the whole painting's.
        self.crop_objectives = [objective.with_style_grams(crop_style_grams) for objective in self.objectives] if crop_style_grams else self.objectives
        self.generator = torch.Generator().manual_seed(seed)
        parameters = dict(transformer.named_parameters())
        # The γ/β biases being tuned (none when only the vector learns), and their shipped values.
        self.norm_biases = {name: parameters[name] for name in norm_bias_names(transformer) if parameters[name].requires_grad}
        self.shipped_biases = {name: bias.detach().clone() for name, bias in self.norm_biases.items()}

    def norm_offsets(self) -> dict[str, np.ndarray]:
        return {name: (bias.detach() - self.shipped_biases[name]).cpu().numpy() for name, bias in self.norm_biases.items()}

    def restore_shipped_norms(self) -> None:
        with torch.no_grad():
            for name, bias in self.norm_biases.items():
                bias.copy_(self.shipped_biases[name])

    @property
    def canvas_apart(self) -> int | None:
        """The canvas when it has steps of its own; at share 0 it is one photo among the others, in
        turn (None)."""
        return self.canvas if self.canvas_share > 0 else None

    def photo_for_step(self, step: int) -> int:
        """The photo step ``step`` (from 1) trains on: the canvas on ``canvas_share`` of the steps,
        spread evenly; the other photos in turn on the rest."""
        canvas_steps = math.floor(step * self.canvas_share)
        if canvas_steps > math.floor((step - 1) * self.canvas_share):
            return self.canvas
        others = [index for index in range(len(self.photos)) if index != self.canvas_apart]
        return others[(step - canvas_steps) % len(others)]

    def step_loss(self, vector: torch.Tensor, photo: int) -> dict[str, float]:
        """The losses on a random crop of one photo, with the tuned parameters' gradients accumulated.

        The crop's content target is cut from its whole photo's features, not run through VGG again:
        that was a sixth of a step's time, and what the instant path is asked to keep at a crop's
        border is the photo there, not the border's zero padding. (Cropping on CONTENT_STRIDE makes
        the cut line up with the crop's own features.)

        A crop's style is judged against the painting's crops of its size, not the whole painting:
        VGG pads every layer with zeros, and a 256² crop's relu5_1 map is 16×16, most of it near a
        border, so its Gram matrices differ from a whole picture's even where the strokes are the
        same. Against the whole painting's, learning chased that difference. Against the painting's
        crops (their mean Gram matrices), each of the 18 bench pairs learned for its photo came closer
        to Balanced's style loss on 11 (Brush strokes on the flower 34 % -> 43 % of the way), with the
        total loss level (lower on 9, higher on 8); the built-in styles re-learned so came closer on
        14 of 18 pairs of photos they never saw (README)."""
        picture = self.photos[photo]
        rows, cols = random_window(picture, self.crop_size, self.generator, CONTENT_STRIDE)
        whole = self.objectives[photo]
        is_crop = (rows.stop - rows.start, cols.stop - cols.start) != tuple(picture.shape[-2:])
        judge = self.crop_objectives[photo] if is_crop else whole
        feature_rows, feature_cols = feature_window(rows, cols)
        objective = judge.with_content_target(whole.content_target[..., feature_rows, feature_cols])
        total, parts = objective(self.stylised(picture[..., rows, cols], vector))
        total.backward()
        return parts

    def stylised(self, content: torch.Tensor, vector: torch.Tensor) -> torch.Tensor:
        """The network's picture of ``content`` as the instant path shows it: computed in ``dtype`` as
        it runs it (the tuned numbers stay fp32; in bf16 a 256-px crop's forward and backward took
        0.064 s, not 0.088), its grid removed. The grid had stood in for some of a painting's fine
        texture: shown without it, files learned with it went a median 64.2 % of the way to Balanced's
        style loss on photos they never saw, files learned through its removal 65.5 % (README)."""
        with torch.autocast(content.device.type, dtype=self.dtype, enabled=self.dtype != torch.float32):
            painted = self.transformer(content, vector[None]).float()
        return without_grid_tensor(painted)

    @property
    def preview_photo(self) -> torch.Tensor:
        """What previews show: the canvas the user will stylise, else the first photo."""
        return self.photos[0 if self.canvas is None else self.canvas]

    def photo_weights(self) -> list[float]:
        """Each photo's share of the steps: the canvas its ``canvas_share``, the others the rest evenly."""
        others = len(self.photos) - (self.canvas_apart is not None)
        return [self.canvas_share if index == self.canvas_apart else (1 - self.canvas_share) / others for index in range(len(self.photos))]

    def mean_losses(self, vector: torch.Tensor) -> dict[str, float]:
        """Content/style/tv/total over the whole photos, weighted by their share of the steps: the
        objective learning minimised (no gradient)."""
        sums = {"content": 0.0, "style": 0.0, "tv": 0.0, "total": 0.0}
        with torch.no_grad():
            for objective, photo, weight in zip(self.objectives, self.photos, self.photo_weights()):
                _, parts = objective(self.stylised(photo, vector))
                for key in sums:
                    sums[key] += parts[key] * weight
        return sums


def learning_side(request: LearnStyleRequest) -> int:
    """The longer side learning scales the photos and the painting to: the train size, or the
    canvas's own where that is smaller, since the instant path applies the style at the canvas's size."""
    if request.canvas is None:
        return request.train_size
    return max(min(request.train_size, max(request.canvas.shape[:2])), NETWORK_MIN_SIDE)


def build_learner(request: LearnStyleRequest, ctx: RunContext, device: torch.device) -> StyleLearner:
    dtype = fast_dtype(device)
    # The same cache entry as the optimisation pipeline's (style_transfer.get_features): one VGG-19 in memory.
    features = ctx.cache.get_or_load(
        ("vgg19", request.weights, str(device), str(dtype)),
        lambda: load_vgg(request.weights).to(device=device, dtype=dtype, memory_format=torch.channels_last),
    )
    transformer = ctx.cache.get_or_load(("fast-style-torch", str(device)), lambda: load_transformer().to(device))
    if request.tune_norms:
        # A private copy whose γ/β biases learn; the cached module stays the shipped network.
        transformer = copy.deepcopy(transformer)
        parameters = dict(transformer.named_parameters())
        for name in norm_bias_names(transformer):
            parameters[name].requires_grad_(True)
    side = learning_side(request)
    # Thin pictures (a strip of a canvas) are mirrored out to the least VGG can pool, as Stylise does.
    style = fit_for_network(resize_long_side(to_tensor(load_image(request.style_path)), side)).to(device)
    grams = style_grams(features, dtype, [(style, 1.0)])
    photos = [fit_for_network(resize_long_side(to_tensor(photo), side)).to(device) for photo in training_photos(request.content_dir, request.canvas)]
    canvas = len(photos) - 1 if request.canvas is not None else None  # training_photos puts it last

    def make_objective(content: torch.Tensor) -> Objective:
        return Objective(features, dtype, content, grams, LossWeights(style=request.style_weight), 1.0)

    crop = max(request.crop_size, NETWORK_MIN_SIDE) if request.crop_size else side
    windows = painting_windows(style, crop)
    crop_grams = style_grams(features, dtype, [(window, 1.0) for window in windows]) if len(windows) > 1 else None
    return StyleLearner(transformer, make_objective, photos, crop, request.seed, canvas, request.canvas_share, dtype, crop_grams)


def run(request: LearnStyleRequest, ctx: RunContext) -> Result:
    if request.steps < 1:
        raise GenArtError("Learning needs at least one step.")
    if not 0.0 <= request.canvas_share <= 1.0:
        raise GenArtError(f"The canvas's share of the learning steps must be between 0 and 1, not {request.canvas_share}.")
    started = time.perf_counter()
    device = choose_device()
    predicted = OnnxStyleNetworks().predict(painting_square(request.style_path))
    ctx.report(0, request.steps, "Preparing")
    learner = build_learner(request, ctx, device)
    vector = torch.tensor(predicted, device=device, requires_grad=True)
    groups = [{"params": [vector], "lr": LEARNING_RATE}]
    if learner.norm_biases:
        groups.append({"params": list(learner.norm_biases.values()), "lr": NORM_LEARNING_RATE})
    # The optimisation's momentum, not torch's 0.9: learned for each of the 18 style × photo pairs of
    # bench/fast_style.py --quality, the total loss at 512 px ended lower on 16 (and 16 pairs, not 15,
    # got halfway to Balanced's style loss).
    optimiser = torch.optim.Adam(groups, betas=(ADAM_MOMENTUM, 0.999))
    # Large steps first, then ever smaller ones that settle instead of hopping between the photos' optima.
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=request.steps)
    before = learner.mean_losses(vector.detach())
    steps_done, stopped = 0, ""
    for step in range(1, request.steps + 1):
        if ctx.stop_requested():
            stopped = f"at step {steps_done}/{request.steps}"
            break
        optimiser.zero_grad(set_to_none=True)
        # One photo per step: Adam averages the photos out.
        learner.step_loss(vector, learner.photo_for_step(step))
        optimiser.step()
        schedule.step()
        steps_done = step
        preview = _preview(learner, vector) if step % PREVIEW_EVERY == 0 else None
        ctx.report(step, request.steps, "Learning style", preview)
    best_vector = vector.detach().clone()
    after = learner.mean_losses(best_vector)
    norm_offsets = learner.norm_offsets()
    if after["total"] > before["total"]:  # never keep a result worse than the predicted vector
        best_vector, after, norm_offsets = torch.tensor(predicted, device=device), before, {}
        learner.restore_shipped_norms()
    seconds = time.perf_counter() - started
    card = {
        "style": request.style_name,
        "style_image_sha256": hashlib.sha256(Path(request.style_path).read_bytes()).hexdigest(),
        "network": NETWORK,
        "data": "your photos" if request.content_dir else "scikit-image coffee, rocket; scikit-learn china",
        "canvas": request.canvas is not None,
        "canvas_share": learner.canvas_share,
        "steps": steps_done,
        "train_size": learning_side(request),
        "crop_size": learner.crop_size,
        "style_weight": request.style_weight,
        "tuned": "style vector and normalisation biases" if norm_offsets else "style vector",
        # How this code learns, so a card table of files made by different versions says which is which.
        "content_target": "cut from the whole photo's features",
        "crop_style_target": "the painting's crops" if learner.crop_objectives is not learner.objectives else "the whole painting",
        "network_dtype": str(learner.dtype).removeprefix("torch."),
        "network_grid": "removed",
        "seconds": round(seconds, 1),
        "device": str(device),
        **{f"{key}_loss_before": round(value, 5) for key, value in before.items()},
        **{f"{key}_loss_after": round(value, 5) for key, value in after.items()},
    }
    folder = Path(request.output) if request.output else None
    path = learned_styles.save_learned(learned_styles.learned_path_for(request.style_name, folder), best_vector.cpu().numpy(), card, norm_offsets)
    log.info("Learned %s in %.0f s: style loss %.3f -> %.3f", request.style_name, seconds, before["style"], after["style"])
    preview = _preview(learner, best_vector)
    info = GenerationInfo(model=NETWORK, extra={"Learned style": request.style_name}, request=request.to_dict())
    return Result([preview], [info], extras={"path": str(path), "card": card, "seconds": seconds}, stopped=stopped)


def _preview(learner: StyleLearner, vector: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return from_tensor(learner.stylised(learner.preview_photo, vector.detach()))
