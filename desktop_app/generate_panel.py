"""The Generate dock: sample a GAN or VAE, pick a sample, move it with latent sliders, interpolate.

Every job goes through MainWindow.submit(..., to_canvas=False), so results come back here rather
than onto the canvas; a sample reaches the canvas (enlarged, undoable) only when asked. Slider
moves are debounced and each new decode replaces the previous one (and only that one: its
``replaces`` key); so does each new interpolation strip. Jobs wait their turn in the queue, so
sampling during a training run simply runs after it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.canvas.mime import image_source_from_mime
from desktop_app.image_loading import decode_off_gui_thread
from desktop_app.jobs import Job
from desktop_app.qimage import show_in_label, to_qimage
from desktop_app.sample_display import SampleEnlarger
from desktop_app.seed_field import SeedField
from desktop_app.training_dialog import TrainingDialog
from desktop_app.widget_values import number_from_text, set_number
from genart_core.api import GenArtError, GenerationInfo, Result
from genart_core.artwork import save_artwork
from genart_core.imaging import load_image
from genart_core.latents import enlarge
from genart_core.requests import generative as requests
from genart_core.requests.upscale import DEFAULT_UPSCALER
from genart_core.sharp_enlarge import sample_upscaler
from genart_core.weights import ModelEntry, available_models

if TYPE_CHECKING:
    from desktop_app.main_window import MainWindow

ICON = 56  # pixels of a sample in the grid
SLIDER_STEPS = 30  # each slider runs from -3 to +3 standard deviations in steps of 0.1
CANVAS_SIDE = 512  # samples are enlarged to about this size on the canvas
WAITING_NOTE = " — waiting in the queue"
REQUESTS = {
    "gan": (requests.GanSampleRequest, requests.GanDecodeRequest, requests.GanInterpolateRequest),
    "vae": (requests.VaeSampleRequest, requests.VaeDecodeRequest, requests.VaeInterpolateRequest),
}


class ImageDropLabel(QLabel):
    """A small well that takes a dropped image file (a VAE interpolation end)."""

    dropped = Signal(object)  # uint8 H×W×C
    failed = Signal(str)

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFixedSize(72, 72)
        self.setStyleSheet("border: 1px dashed #888;")
        self.image: np.ndarray | None = None

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        source = image_source_from_mime(event.mimeData())
        if source is None:
            return
        try:
            self.image = decode_off_gui_thread(self, load_image, source)
        except GenArtError as exc:
            self.failed.emit(str(exc))
            return
        show_in_label(self, self.image)
        event.acceptProposedAction()
        self.dropped.emit(self.image)


class GeneratePanel(QScrollArea):
    """Scrolls up and down, so the dock never forces the window taller than a small screen; never
    sideways: the controls are laid out to fit the dock's width (no button hides behind a scrollbar)."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__()
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._window = window
        self._jobs: dict[str, Job] = {}  # what a result is for ("sample", "slider", "strip") -> the newest job for it
        self._samples: list[np.ndarray] = []
        self._sample_infos: list = []
        self._grid: np.ndarray | None = None
        self._latents = np.zeros((0, 0), np.float32)
        self._axes: dict[str, np.ndarray] = {}
        self._base: np.ndarray | None = None  # code of the picked sample; sliders move away from it
        self._current: tuple[np.ndarray, object] | None = None  # the image the sliders made, and its info
        self._ends: list[np.ndarray | None] = [None, None]
        self._pick_after_sampling: int | None = None  # a reproduced sample's place in its grid
        self.training_dialog: TrainingDialog | None = None
        self._enlarger = SampleEnlarger()  # sharp enlargements of the 28 px samples
        self._sample_upscalers: dict[tuple[str, str], str] = {}  # model key -> the upscaler for its samples

        self.model_combo = QComboBox()
        self.model_combo.currentIndexChanged.connect(self._use_model_upscaler)
        refresh = QPushButton("↻")
        refresh.setToolTip("Look for new models")
        refresh.clicked.connect(lambda: self.refresh_models())
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_combo, 1)
        model_row.addWidget(refresh)
        self.seed_field = SeedField()
        self.count_spin = QSpinBox()
        self.count_spin.setRange(1, 256)
        self.count_spin.setValue(64)
        self.sample_button = QPushButton("Sample")
        self.sample_button.clicked.connect(self.sample)
        form = QFormLayout()
        form.addRow("Model", model_row)
        form.addRow("Seed", self.seed_field)
        form.addRow("Samples", self.count_spin)

        self.grid_view = QListWidget()
        self.grid_view.setViewMode(QListView.ViewMode.IconMode)
        self.grid_view.setIconSize(QSize(ICON, ICON))
        self.grid_view.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid_view.setMovement(QListView.Movement.Static)
        self.grid_view.setSpacing(1)
        self.grid_view.setMinimumHeight(4 * (ICON + 6))
        self.grid_view.currentRowChanged.connect(self._pick)
        self.grid_view.itemDoubleClicked.connect(self.put_on_canvas)
        self.to_canvas_button = QPushButton("Put on canvas")
        self.to_canvas_button.clicked.connect(self.put_on_canvas)
        self.save_button = QPushButton("Save grid…")
        self.save_button.clicked.connect(self._save_grid)
        row = QHBoxLayout()
        row.addWidget(self.sample_button)
        row.addWidget(self.to_canvas_button)
        row.addWidget(self.save_button)

        self.preview = QLabel()
        self.preview.setFixedSize(112, 112)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sliders: list[QSlider] = []
        self._slider_box = QGroupBox("Latent directions")
        self._slider_box.setToolTip("Each slider moves the picked sample along one direction of the latent space, −3 to +3 standard deviations")
        self._slider_layout = QFormLayout(self._slider_box)
        self.slider_labels: list[QLabel] = []
        self._debounce = QTimer(self, singleShot=True, interval=60)
        self._debounce.timeout.connect(self._decode_sliders)
        reset = QPushButton("Reset")
        reset.clicked.connect(self._reset_sliders)
        slider_row = QHBoxLayout()
        slider_row.addWidget(self.preview)
        slider_row.addWidget(self._slider_box, 1)

        strip_box = QGroupBox("Interpolation (slerp)")
        self.end_wells = [ImageDropLabel("A\n(drop)"), ImageDropLabel("B\n(drop)")]
        for index, well in enumerate(self.end_wells):
            well.setToolTip("Pick a sample and press Set, or (VAE) drop an image here")
            well.failed.connect(window.show_error)
            well.dropped.connect(lambda _image, end=index: self._clear_end(end))
        set_a, set_b = QPushButton("Set A"), QPushButton("Set B")
        set_a.clicked.connect(lambda: self.set_end(0))
        set_b.clicked.connect(lambda: self.set_end(1))
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(2, 32)
        self.steps_spin.setValue(8)
        self.interpolate_button = QPushButton("Interpolate")
        self.interpolate_button.clicked.connect(self.interpolate)
        self.strip_label = QLabel()
        self.strip_label.setMinimumHeight(40)
        self.steps_spin.setToolTip("Pictures in the strip")
        # Each Set button under its well, the steps and Interpolate beside them: narrow enough for the dock.
        strip_layout = QGridLayout(strip_box)
        strip_layout.addWidget(self.end_wells[0], 0, 0)
        strip_layout.addWidget(self.end_wells[1], 0, 1)
        strip_layout.addWidget(set_a, 1, 0)
        strip_layout.addWidget(set_b, 1, 1)
        strip_layout.addWidget(self.steps_spin, 0, 2, Qt.AlignmentFlag.AlignBottom)
        strip_layout.addWidget(self.interpolate_button, 1, 2)
        strip_layout.addWidget(self.strip_label, 2, 0, 1, 3)

        self.train_button = QPushButton("Train on folder…")
        self.train_button.clicked.connect(self.open_training)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addLayout(form)
        layout.addWidget(self.grid_view, 1)
        layout.addLayout(row)
        layout.addLayout(slider_row)
        layout.addWidget(reset)
        layout.addWidget(strip_box)
        layout.addWidget(self.train_button)
        layout.addWidget(self.status_label)
        self.setWidget(body)

        # Where the listed models come from: this computer's folders, or a server's list (the
        # jobs run there, so its models are the ones a request may name).
        self._model_source: Callable[[], list[ModelEntry]] = available_models
        self.refresh_models()

    # -- models -----------------------------------------------------------------------------
    def use_model_source(self, source: Callable[[], list[ModelEntry]] | None) -> None:
        """List the models ``source`` gives from now on (None: this computer's), and list them now."""
        self._model_source = source or available_models
        self.refresh_models()

    def refresh_models(self, select: str | None = None) -> None:
        chosen = select or self.model_combo.currentData()
        self.model_combo.clear()
        entries = self._model_source()  # one scan of the model folders, or the server's list
        self._sample_upscalers = {}
        for entry in [e for e in entries if e.kind == "gan"] + [e for e in entries if e.kind == "vae"]:
            key = (entry.kind, entry.location)
            self._sample_upscalers[key] = sample_upscaler(entry.card)
            self.model_combo.addItem(f"{entry.kind.upper()} · {entry.name} ({entry.status})", key)
            if chosen and (chosen == key or chosen == entry.name):
                self.model_combo.setCurrentIndex(self.model_combo.count() - 1)

    @Slot()
    def _use_model_upscaler(self) -> None:
        """Samples of this model are enlarged by the upscaler made for its kind of picture."""
        self._enlarger.upscaler = self._sample_upscalers.get(self.model_combo.currentData(), DEFAULT_UPSCALER)

    def _model(self) -> tuple[str, str] | None:
        key = self.model_combo.currentData()
        if key is None:
            self.status_label.setText("No GAN or VAE model is installed; use Train on folder… to make one.")
        return key

    # -- jobs -------------------------------------------------------------------------------
    def _submit(self, request, purpose: str) -> None:
        # A slider position or strip is out of date once the next is asked for; a sample grid is
        # a result of its own, so it is never replaced.
        replaces = None if purpose == "sample" else f"generate-panel-{purpose}"
        self._watch(self._window.submit(request, to_canvas=False, replaces=replaces), purpose)

    def _watch(self, job: Job, purpose: str) -> None:
        """Show ``job``'s result when it comes, and follow its rerun on this computer if its server is lost."""
        self._jobs[purpose] = job
        job.follow_rerun = lambda rerun: self._watch(rerun, purpose)
        job.finished.connect({"sample": self._show_samples, "slider": self._show_slider, "strip": self._show_strip}[purpose])
        job.finished.connect(self._forget)
        job.failed.connect(self._forget)  # the main window shows the message
        job.cancelled.connect(self._forget)
        if self._window.controller.current_job is not job:
            self.status_label.setText(f"{job.name}{WAITING_NOTE}")
            job.started.connect(self._clear_waiting_note)

    @Slot(object)
    def _clear_waiting_note(self, _job: Job) -> None:
        if self.status_label.text().endswith(WAITING_NOTE):
            self.status_label.clear()

    @Slot()
    def sample(self) -> None:
        model = self._model()
        if model:
            kind, location = model
            self._submit(REQUESTS[kind][0](model=location, count=self.count_spin.value(), seed=self.seed_field.value()), "sample")

    @Slot(object)
    def _forget(self, job: Job, *_outcome: object) -> None:
        for purpose, held in list(self._jobs.items()):
            if held is job:
                del self._jobs[purpose]

    @property
    def jobs(self) -> dict[str, Job]:
        """The newest job for each purpose that has not ended yet."""
        return dict(self._jobs)

    @Slot(object, object)
    def _show_slider(self, job: Job, result: Result) -> None:
        if self._jobs.get("slider") is job:  # an older position that ended anyway is not shown
            self._current = (result.images[0], result.infos[0])
            show_in_label(self.preview, self._enlarger.to_fit(result.images[0], self.preview.width()))

    @Slot(object, object)
    def _show_strip(self, job: Job, result: Result) -> None:
        if self._jobs.get("strip") is job:
            strip = result.extras["strip"]
            scale = max(1, min(3, 360 // strip.shape[1] + 1))
            self.strip_label.setPixmap(QPixmap.fromImage(to_qimage(self._enlarger.by(strip, scale))))

    @Slot(object, object)
    def _show_samples(self, _job: Job, result: Result) -> None:
        self._samples, self._sample_infos = result.images, result.infos
        self._grid = result.extras["grid"]
        self._latents = np.asarray(result.extras["latents"], np.float32)
        self._axes = {k: np.asarray(result.extras[k], np.float32) for k in ("directions", "scales")}
        self.grid_view.clear()
        for image in self._samples:
            pixmap = QPixmap.fromImage(to_qimage(image)).scaled(ICON, ICON, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)
            self.grid_view.addItem(QListWidgetItem(QIcon(pixmap), ""))
        self._build_sliders(len(self._axes["scales"]))
        pick, self._pick_after_sampling = self._pick_after_sampling, None
        if pick is not None and 0 <= pick < len(self._samples):
            self.grid_view.setCurrentRow(pick)
        self.status_label.setText(f"{len(self._samples)} samples from {result.infos[0].model}, seed {result.infos[0].seed}. Click one to pick it.")

    def _build_sliders(self, count: int) -> None:
        if len(self.sliders) == count:
            return
        while self._slider_layout.rowCount():
            self._slider_layout.removeRow(0)  # deletes the old sliders and their labels
        self.sliders, self.slider_labels = [], []
        for index in range(count):
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(-SLIDER_STEPS, SLIDER_STEPS)
            slider.setMinimumWidth(48)
            slider.setToolTip(f"Direction {index + 1}: −3 to +3 standard deviations")
            slider.valueChanged.connect(self._debounce.start)
            label = QLabel(f"Dir. {index + 1}")
            self._slider_layout.addRow(label, slider)
            self.sliders.append(slider)
            self.slider_labels.append(label)

    # -- picking and sliders ----------------------------------------------------------------------
    @Slot(int)
    def _pick(self, row: int) -> None:
        if not 0 <= row < len(self._samples):
            return
        self._base = self._latents[row]
        self._current = (self._samples[row], self._sample_infos[row])
        show_in_label(self.preview, self._enlarger.to_fit(self._samples[row], self.preview.width()))
        for slider in self.sliders:
            slider.blockSignals(True)
            slider.setValue(0)
            slider.blockSignals(False)

    def slider_code(self) -> np.ndarray | None:
        if self._base is None:
            return None
        if not self.sliders or len(self._axes.get("scales", ())) != len(self.sliders):
            return self._base  # a restored code, before any sample set up the sliders' axes
        offsets = np.array([s.value() / (SLIDER_STEPS / 3) for s in self.sliders], np.float32)
        return self._base + (offsets * self._axes["scales"]) @ self._axes["directions"]

    @Slot()
    def _decode_sliders(self) -> None:
        code, model = self.slider_code(), self.model_combo.currentData()
        if code is not None and model:
            kind, location = model
            self._submit(REQUESTS[kind][1](model=location, latents=requests.as_latents(code)), "slider")

    @Slot()
    def _reset_sliders(self) -> None:
        for slider in self.sliders:
            slider.setValue(0)

    @Slot()
    def put_on_canvas(self, *_: object) -> None:
        """The picked (and slider-moved) sample, enlarged, as a new undoable layer."""
        if self._current is None:
            self.status_label.setText("Pick a sample first.")
            return
        image, info = self._current
        self._window.put_on_canvas(self._enlarger.by(image, max(1, CANVAS_SIDE // image.shape[0])), info, info.model or "Sample")

    @Slot()
    def _save_grid(self) -> None:
        if self._grid is None:
            self.status_label.setText("Sample first, then save the grid.")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save sample grid", "samples.png", "PNG (*.png)")
        if path:
            save_artwork(path, enlarge(self._grid, 4), self._sample_infos[0] if self._sample_infos else None)

    # -- reproduce -------------------------------------------------------------------------------
    def apply_info(self, info: GenerationInfo) -> list[str]:
        """Restore a GAN/VAE result's settings: the model, seed and sample count; a sample is drawn
        again and picked, a decoded code becomes the picked sample again (decoded to show it); an
        interpolation's ends become A and B.
        The values come from a file, so each is checked; returns what could not be restored."""
        request = info.request if isinstance(info.request, dict) else {}
        type_name = str(request.get("type", ""))
        extra = info.extra if isinstance(info.extra, dict) else {}
        kind = "vae" if type_name.startswith("Vae") or extra.get("kind") == "vae" else "gan"
        notes: list[str] = []
        if not self._select_model(kind, request.get("model"), info.model):
            notes.append(f"the {kind.upper()} “{str(info.model or request.get('model'))[:60]}” is not installed")
        set_number(self.seed_field, request.get("seed", info.seed))  # text-only parameters keep the seed in the info
        set_number(self.count_spin, request.get("count"))
        set_number(self.steps_spin, request.get("steps"))
        latents = request.get("latents")
        code = _stored_code(latents[0]) if isinstance(latents, list) and latents else None
        if code is not None:
            self._base, self._current = code, None
            self._reset_sliders()
            if not notes:
                self._decode_sliders()  # shows the restored sample, ready for Put on canvas
        ends = [_stored_code(request.get(end)) for end in ("start", "end")]
        if all(end is not None for end in ends):
            self._ends = ends
            for well in self.end_wells:
                well.image = None
                well.setText("code\n(restored)")
        elif request.get("start_image") is not None:
            notes.append("the interpolation's end pictures (drop them on A and B again)")
        index = number_from_text(extra.get("index"))  # which sample of its grid it was
        if index is not None and code is None and not notes:
            self._pick_after_sampling = int(index)
            self.sample()
        return notes

    def _select_model(self, kind: str, location: object, name: str | None) -> bool:
        for index in range(self.model_combo.count()):
            entry_kind, entry_location = self.model_combo.itemData(index)
            label = self.model_combo.itemText(index)
            if entry_kind == kind and (entry_location == location or (name and f" {name} (" in label)):
                self.model_combo.setCurrentIndex(index)
                return True
        return False

    # -- interpolation ---------------------------------------------------------------------------
    def set_end(self, index: int) -> None:
        code = self.slider_code()
        if code is None:
            self.status_label.setText("Pick a sample first, then Set A or Set B.")
            return
        self._ends[index] = code
        self.end_wells[index].image = None
        show_in_label(self.end_wells[index], self._enlarger.to_fit(self._current[0], self.end_wells[index].width()))

    def _clear_end(self, index: int) -> None:
        self._ends[index] = None  # a dropped image replaces a picked code

    @Slot()
    def interpolate(self) -> None:
        model = self._model()
        if not model:
            return
        kind, location = model
        images = [well.image for well in self.end_wells]
        if kind == "vae" and all(image is not None for image in images):
            request = requests.VaeInterpolateRequest(model=location, start_image=images[0], end_image=images[1], steps=self.steps_spin.value())
        elif all(code is not None for code in self._ends):
            start, end = (tuple(map(float, code)) for code in self._ends)
            request = REQUESTS[kind][2](model=location, start=start, end=end, steps=self.steps_spin.value())
        else:
            self.status_label.setText("Set both ends: pick samples and press Set A / Set B" + (", or drop two images (VAE)." if kind == "vae" else "."))
            return
        self._submit(request, "strip")

    # -- training ----------------------------------------------------------------------------
    @Slot()
    def open_training(self) -> None:
        if self.training_dialog is None:
            self.training_dialog = TrainingDialog(self._window)
            self.training_dialog.model_saved.connect(self.refresh_models)
        self.training_dialog.show()
        self.training_dialog.raise_()



MAX_STORED_CODE = 4096  # numbers in one stored latent code; far above any model here


def _stored_code(stored: object) -> np.ndarray | None:
    """A latent code from a stored request (a list of finite numbers); None when it is malformed."""
    if not isinstance(stored, (list, tuple)) or not 0 < len(stored) <= MAX_STORED_CODE:
        return None
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in stored):
        return None
    code = np.asarray(stored, np.float32)
    return code if np.isfinite(code).all() else None
