"""Prompt, negative prompt, seed, steps, guidance, size, count, scheduler, model and the fast
decoder, with Generate and Cancel, image-to-image ("Use canvas" + strength), the hires fix
(desktop_app.hires_group) and a strip of denoising previews.

The panel only collects choices; ``generate_requested`` carries them as PromptSettings and the
main window turns them into a core request through the builder registered for the chosen model.
desktop_app.prompt_models registers the diffusion models and their request builder.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app import settings
from desktop_app.canvas.placement import crop_to_region
from desktop_app.hires_group import DEFAULT_DENOISE, DEFAULT_SCALE, HiresGroup
from desktop_app.jobs import Job, JobGroup, JobKind
from desktop_app.prompt_edit import PromptEdit
from desktop_app.qimage import to_qimage
from desktop_app.seed_field import SeedField
from desktop_app.widget_values import set_number
from genart_core.api import GenArtError, GenerationInfo, Progress, Request
from genart_core.requests.diffusion import (
    MAX_MASK_PADDING,
    OFFLINE_GUIDANCE,
    OFFLINE_PREFIX,
    ImageToImageRequest,
    InpaintRequest,
    Scheduler,
    TextToImageRequest,
)
from genart_core.requests.upscale import DEFAULT_UPSCALER

if TYPE_CHECKING:
    from desktop_app.canvas import Canvas

PREVIEW_ICON = 64  # pixels; thumbnails in the denoising strip
MAX_PREVIEWS = 60  # the strip keeps the latest ones
# Steps and guidance that suit each family of model.
FAMILY_DEFAULTS = {"offline": (25, OFFLINE_GUIDANCE), "distilled": (2, 0.0), "sd": (20, 7.0)}
_DISTILLED_HINTS = ("turbo", "lcm", "lightning", "hyper")
FAST_DECODER_TIP = (
    "Decode the finished image with TAESD, a tiny stand-in for the model's VAE: about 10× faster "
    "on a CPU, with slightly softer detail. Downloads about 10 MB the first time. "
    "Not used by the built-in offline model."
)
MASK_PADDING_TIP = (
    "Inpainting a picture larger than the model paints in one pass repaints only the part around "
    "the mask: its bounding box grown by this many pixels of context (A1111's “Only masked”). "
    "Everything outside the mask stays exactly as it is."
)
SAFETY_CHECKER_TIP = (
    "Some Stable Diffusion 1.x models ship a safety checker that returns images it flags as "
    "unsafe black (the result then says so). Untick to turn it off, as other tools allow."
)


def model_family(key: str) -> str:
    """"offline" (the built-in model), "distilled" (SD-Turbo, LCM, … judged by name) or "sd"."""
    if key.startswith(OFFLINE_PREFIX):
        return "offline"
    return "distilled" if any(hint in key.lower() for hint in _DISTILLED_HINTS) else "sd"


@dataclass(frozen=True)
class PromptSettings:
    model_key: str
    prompt: str
    negative_prompt: str
    seed: int
    steps: int
    guidance: float
    width: int
    height: int
    count: int
    scheduler: str = Scheduler.DEFAULT.value
    use_canvas: bool = False  # image-to-image from the canvas (or its selection)
    strength: float = 0.6
    mask_padding: int = InpaintRequest.mask_padding  # inpainting a large picture: context around the mask (pixels)
    fast_decoder: bool = False
    safety_checker: bool = True  # the model's own checker, where it has one (kept between sessions)
    hires: bool = False  # hires fix (text-to-image with Stable Diffusion models)
    hires_scale: float = DEFAULT_SCALE
    hires_denoise: float = DEFAULT_DENOISE
    hires_upscaler: str = DEFAULT_UPSCALER


class PromptPanel(QWidget):
    generate_requested = Signal(object)  # PromptSettings
    add_model_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QComboBox()
        self.model.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model.setMinimumContentsLength(10)
        self.add_model_button = QToolButton()
        self.add_model_button.setText("Add model…")
        self.add_model_button.setToolTip("Add a Stable Diffusion model: a Hugging Face id, a folder or a .safetensors file")
        self.add_model_button.clicked.connect(self.add_model_requested)
        self.model.currentIndexChanged.connect(self._model_changed)
        self.model.activated.connect(self._model_chosen_by_user)
        self._family: str | None = None
        self._remembered: dict | None = None  # choices of the last session still waiting for their model
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(self.add_model_button)
        self.prompt = PromptEdit()
        self.prompt.setPlaceholderText("Describe the picture…")
        self.prompt.setFixedHeight(80)
        self.negative = PromptEdit()
        self.negative.setPlaceholderText("What to avoid (negative prompt)")
        self.negative.setFixedHeight(48)
        # Says so when a paste or a restored prompt was cut to the prompt box's limit.
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        for box in (self.prompt, self.negative):
            box.truncated.connect(self._show_notice)
            box.textChanged.connect(self._hide_notice_below_limit)
        self.seed = SeedField(42)
        self.steps = QSpinBox()
        self.steps.setRange(1, 200)
        self.steps.setValue(20)
        self.guidance = QDoubleSpinBox()
        self.guidance.setRange(0.0, 30.0)
        self.guidance.setSingleStep(0.5)
        self.guidance.setValue(7.0)
        self.width_box = QSpinBox()
        self.height_box = QSpinBox()
        for box in (self.width_box, self.height_box):
            box.setRange(64, 2048)
            box.setSingleStep(64)
            box.setValue(512)
        size_row = QHBoxLayout()
        size_row.addWidget(self.width_box)
        size_row.addWidget(self.height_box)
        self.count = QSpinBox()
        self.count.setRange(1, 16)
        self.count.setValue(1)
        self.scheduler = QComboBox()
        for choice in Scheduler:
            self.scheduler.addItem(choice.label, choice.value)
        self.fast_decoder = QCheckBox("Fast decoder (TAESD)")
        self.fast_decoder.setToolTip(FAST_DECODER_TIP)
        self.safety_checker = QCheckBox("Safety checker (models that have one)")
        self.safety_checker.setToolTip(SAFETY_CHECKER_TIP)
        self.safety_checker.setChecked(True)
        self.use_canvas = QCheckBox("Use canvas (image-to-image)")
        self.use_canvas.setToolTip("Start from the canvas picture (or its selection); a painted mask switches to inpainting")
        self.strength = QSlider(Qt.Orientation.Horizontal)
        self.strength.setRange(1, 100)
        self.strength.setValue(60)
        self.strength_label = QLabel()
        self.strength.valueChanged.connect(self._show_strength)
        self.use_canvas.toggled.connect(self._update_strength_enabled)
        self.mask_padding = QSpinBox()
        self.mask_padding.setRange(0, MAX_MASK_PADDING)
        self.mask_padding.setValue(InpaintRequest.mask_padding)
        self.mask_padding.setSuffix(" px")
        self.mask_padding.setToolTip(MASK_PADDING_TIP)
        self.hires = HiresGroup()
        self.use_canvas.toggled.connect(self._update_hires_enabled)
        strength_row = QHBoxLayout()
        strength_row.addWidget(self.strength, 1)
        strength_row.addWidget(self.strength_label)
        self._show_strength(self.strength.value())
        self._update_strength_enabled(False)
        self.generate_button = QPushButton("Generate")
        self.generate_button.setToolTip("Generate (Ctrl+Enter)")
        self.generate_button.clicked.connect(self._emit_generate)
        self.jobs = JobGroup(self)  # what Generate started and has not ended: Cancel here cancels those only
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Cancel the pictures this panel asked for (running or waiting); other jobs go on")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.jobs.cancel_all)
        self.jobs.active_changed.connect(self.cancel_button.setEnabled)
        QShortcut(QKeySequence("Ctrl+Return"), self, self._emit_generate, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.previews = QListWidget()
        self._preview_job: Job | None = None  # the diffusion job whose steps the strip shows
        self.previews.setObjectName("DenoisingPreviews")
        self.previews.setViewMode(QListView.ViewMode.IconMode)
        self.previews.setFlow(QListView.Flow.LeftToRight)
        self.previews.setWrapping(False)
        self.previews.setIconSize(QSize(PREVIEW_ICON, PREVIEW_ICON))
        self.previews.setFixedHeight(PREVIEW_ICON + 44)
        self.previews.setToolTip("The denoising steps of the current image, left to right")

        form = QFormLayout()
        form.addRow("Model", model_row)
        form.addRow("Prompt", self.prompt)
        form.addRow(self.notice)
        form.addRow("Negative", self.negative)
        form.addRow("Seed", self.seed)
        form.addRow("Steps", self.steps)
        form.addRow("Guidance", self.guidance)
        form.addRow("Scheduler", self.scheduler)
        form.addRow("Size", size_row)
        form.addRow("Images", self.count)
        form.addRow(self.fast_decoder)
        form.addRow(self.safety_checker)
        form.addRow(self.use_canvas)
        form.addRow("Strength", strength_row)
        form.addRow("Masked padding", self.mask_padding)
        form.addRow(self.hires)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 1)
        buttons.addWidget(self.cancel_button)
        # The settings scroll, so the window still fits a small screen; the buttons stay in view.
        content = QWidget()
        inner = QVBoxLayout(content)
        inner.addLayout(form)
        inner.addWidget(QLabel("Denoising steps"))
        inner.addWidget(self.previews)
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # fit the dock's width
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)

    def add_model(self, label: str, key: str) -> None:
        if self.model.findData(key) < 0:
            self.model.addItem(label, key)
        if self._remembered and self._remembered.get("model_key") == key:
            self._apply_remembered()  # the last session's model, found late (the hub cache is scanned after start-up)

    def remove_model(self, key: str) -> None:
        index = self.model.findData(key)
        if index >= 0:
            self.model.removeItem(index)

    def select_model(self, key: str) -> None:
        _select_data(self.model, key)

    def model_label(self, key: str) -> str:
        """The listed name of the model ``key`` (the key itself when it is not listed)."""
        index = self.model.findData(key)
        return self.model.itemText(index) if index >= 0 else key

    # -- choices kept between sessions ------------------------------------------------------
    def remember_choices(self, choice: PromptSettings | None = None) -> None:
        """Keep ``choice`` (default: the current choices) for the next start; not "Use canvas",
        which is about today's picture."""
        values = asdict(choice or self.current_settings())
        del values["use_canvas"]
        settings.remember_prompt_choices(values)

    def restore_choices(self) -> None:
        """Put back the choices of the last session. A model that is not listed yet (hub models are
        found after start-up) is chosen when it appears, with its steps and guidance, unless the
        user picks another model first."""
        values = settings.prompt_choices()
        if not values:
            return
        self._remembered = values
        self._apply_remembered()
        self.prompt.set_text(values.get("prompt"))
        self.negative.set_text(values.get("negative_prompt"))
        for widget, name in ((self.seed, "seed"), (self.width_box, "width"), (self.height_box, "height"), (self.count, "count")):
            set_number(widget, values.get(name))
        set_number(self.strength, values.get("strength"), scale=100)
        set_number(self.mask_padding, values.get("mask_padding"))
        for box, name in ((self.fast_decoder, "fast_decoder"), (self.safety_checker, "safety_checker")):
            if isinstance(values.get(name), bool):
                box.setChecked(values[name])
        _select_data(self.scheduler, values.get("scheduler"))
        hires_on = values.get("hires") is True
        self.hires.set_values(values.get("hires_scale") if hires_on else None, values.get("hires_denoise"), values.get("hires_upscaler"))

    def _apply_remembered(self) -> None:
        """The remembered model, then its steps and guidance (choosing a model resets them), once it is listed."""
        values = self._remembered or {}
        key = values.get("model_key")
        if key and (not isinstance(key, str) or self.model.findData(key) < 0):
            return
        self._remembered = None
        if key:
            self.select_model(key)
        set_number(self.steps, values.get("steps"))
        set_number(self.guidance, values.get("guidance"))

    def _model_chosen_by_user(self) -> None:
        self._remembered = None  # a late-found remembered model must not override the user's choice

    def current_settings(self) -> PromptSettings:
        return PromptSettings(
            model_key=str(self.model.currentData() or ""),
            prompt=self.prompt.toPlainText().strip(),
            negative_prompt=self.negative.toPlainText().strip(),
            seed=self.seed.value(),
            steps=self.steps.value(),
            guidance=self.guidance.value(),
            width=self.width_box.value(),
            height=self.height_box.value(),
            count=self.count.value(),
            scheduler=str(self.scheduler.currentData()),
            use_canvas=self.use_canvas.isChecked(),
            strength=self.strength.value() / 100,
            mask_padding=self.mask_padding.value(),
            # The offline model has no VAE to replace; its pictures should not claim TAESD.
            fast_decoder=self.fast_decoder.isEnabled() and self.fast_decoder.isChecked(),
            safety_checker=self.safety_checker.isChecked(),
            # Hires fix only where it applies: text-to-image with a Stable Diffusion model.
            hires=self.hires.isEnabled() and self.hires.isChecked(),
            hires_scale=self.hires.scale.value(),
            hires_denoise=self.hires.denoise.value(),
            hires_upscaler=str(self.hires.upscaler.currentData()),
        )

    def apply_info(self, info: GenerationInfo) -> list[str]:
        """Restore the settings a diffusion artwork was made with ("Reproduce", or a dropped PNG's
        parameters); every value is checked and clamped, since it comes from a file. Returns what
        could not be restored, for the status bar."""
        notes: list[str] = []
        request = info.request if isinstance(info.request, dict) else {}
        # The model first: choosing it resets steps and guidance to its defaults.
        model = request.get("model") or info.model
        if isinstance(model, str) and model and not _select_data(self.model, model):
            index = self.model.findText(model, Qt.MatchFlag.MatchContains)
            if index >= 0:
                self.model.setCurrentIndex(index)
            else:
                notes.append(f"the model “{model[:80]}” is not installed (Add model… adds it)")
        self.prompt.set_text(info.prompt)
        self.negative.set_text(info.negative_prompt)
        set_number(self.seed, info.seed)
        set_number(self.steps, info.steps)
        set_number(self.guidance, info.cfg_scale)
        if info.width and info.height:
            set_number(self.width_box, info.width)
            set_number(self.height_box, info.height)
        set_number(self.strength, request.get("strength"), scale=100)
        self._restore_mask_padding(info, request)
        _select_data(self.scheduler, request.get("scheduler"))
        if isinstance(request.get("fast_decoder"), bool):  # it changes the picture a little, so reproducing needs it
            self.fast_decoder.setChecked(request["fast_decoder"])
        notes += self._restore_hires(info, request)
        return notes

    def _restore_mask_padding(self, info: GenerationInfo, request: dict) -> None:
        """From our request, else from A1111's field (its value is text when read from parameters)."""
        value = request.get("mask_padding")
        if value is None and isinstance(info.extra, dict):
            text = info.extra.get("Masked area padding")
            value = int(text) if isinstance(text, str) and text.strip().isdigit() else text
        set_number(self.mask_padding, value)

    def _restore_hires(self, info: GenerationInfo, request: dict) -> list[str]:
        """From our request, else from A1111's fields (parameters text without a request)."""
        if "type" in request:
            return self.hires.set_values(request.get("hires_scale"), request.get("hires_denoise"), request.get("hires_upscaler"))
        extra = info.extra if isinstance(info.extra, dict) else {}
        return self.hires.set_values(extra.get("Hires upscale"), extra.get("Denoising strength"), extra.get("Hires upscaler"))

    # -- the denoising strip ----------------------------------------------------------------
    @Slot(object)
    def start_previews(self, job: Job) -> None:
        """A job starts: a diffusion job fills the strip afresh; other jobs' previews are not denoising steps."""
        if job.kind is JobKind.DIFFUSION:
            self._preview_job = job
            self.previews.clear()
            job.progress.connect(self.add_preview)

    @Slot(object, object)
    def add_preview(self, job: Job, progress: Progress) -> None:
        if job is not self._preview_job or progress.preview is None:
            return
        pixmap = QPixmap.fromImage(to_qimage(np.ascontiguousarray(progress.preview)))
        item = QListWidgetItem(QIcon(pixmap), str(progress.step))
        item.setToolTip(f"{progress.phase}: step {progress.step} of {progress.total}")
        self.previews.addItem(item)
        while self.previews.count() > MAX_PREVIEWS:
            self.previews.takeItem(0)
        self.previews.scrollToItem(item)

    @Slot(int)
    def _model_changed(self, index: int) -> None:
        """Moving to another family of model (offline, distilled, full SD) sets steps and guidance that suit it."""
        family = model_family(str(self.model.itemData(index) or ""))
        if self._family is not None and family != self._family:
            steps, guidance = FAMILY_DEFAULTS[family]
            self.steps.setValue(steps)
            self.guidance.setValue(guidance)
        self._family = family
        self.fast_decoder.setEnabled(family != "offline")
        self._update_hires_enabled()

    @Slot(str)
    def _show_notice(self, message: str) -> None:
        self.notice.setText(message)
        self.notice.setVisible(True)

    @Slot()
    def _hide_notice_below_limit(self) -> None:
        if all(len(box.toPlainText()) < box.limit for box in (self.prompt, self.negative)):
            self.notice.setVisible(False)

    def _show_strength(self, value: int) -> None:
        self.strength_label.setText(f"{value / 100:.2f}")

    def _update_strength_enabled(self, on: bool) -> None:
        self.strength.setEnabled(on)
        self.strength_label.setEnabled(on)

    def _update_hires_enabled(self) -> None:
        """The hires fix enlarges Stable Diffusion text-to-image results: not the offline model's
        (the upscaler enlarges those), not image-to-image (Image ▸ Upscale does that)."""
        self.hires.setEnabled(self._family != "offline" and not self.use_canvas.isChecked())

    def _emit_generate(self) -> None:
        if self.model.count():
            choice = self.current_settings()
            self.remember_choices(choice)
            self.generate_requested.emit(choice)


def _select_data(combo: QComboBox, value) -> bool:
    """Choose the item whose data is ``value`` (a text), if there is one."""
    if not isinstance(value, str):
        return False
    index = combo.findData(value)
    if index >= 0:
        combo.setCurrentIndex(index)
    return index >= 0


# -- diffusion models in the panel -----------------------------------------------------------
class DiffusionRequestBuilder:
    """PromptSettings (+ the canvas) -> a diffusion request and the canvas region it works on."""

    def __init__(self, canvas: "Canvas") -> None:
        self.canvas = canvas

    def __call__(self, choice: PromptSettings) -> tuple[Request, tuple[int, int, int, int] | None]:
        values = dict(
            prompt=choice.prompt, model=choice.model_key, negative_prompt=choice.negative_prompt,
            seed=choice.seed, steps=choice.steps, guidance=choice.guidance, width=choice.width,
            height=choice.height, count=choice.count, scheduler=Scheduler(choice.scheduler),
            fast_decoder=choice.fast_decoder, safety_checker=choice.safety_checker,
        )
        mask = self.canvas.inpaint_mask() if self.canvas.has_image else None
        if not choice.use_canvas and (mask is None or not mask.any()):
            if choice.hires:
                values.update(hires_scale=choice.hires_scale, hires_denoise=choice.hires_denoise, hires_upscaler=choice.hires_upscaler)
            return TextToImageRequest(**values), None
        if not self.canvas.has_image:
            raise GenArtError("“Use canvas” needs a picture on the canvas: open, paint or generate one first.")
        region = self.canvas.selection_rect()
        image = crop_to_region(self.canvas.image_array(), region)
        if mask is not None and mask.any():
            mask = crop_to_region(mask, region)
            if not mask.any():
                raise GenArtError("The inpainting mask lies outside the selection.")
            strength = choice.strength if choice.use_canvas else 1.0
            return InpaintRequest(**values, init_image=image, mask=mask, strength=strength, mask_padding=choice.mask_padding), region
        return ImageToImageRequest(**values, init_image=image, strength=choice.strength), region
