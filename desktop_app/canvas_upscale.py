"""Image ▸ Upscale as a job: the dialog's choice becomes an UpscaleRequest run in the background
(progress in the status bar, previews on the canvas, Cancel, Stop & Keep); the result enlarges the
document with the upscaled picture as a new, undoable layer (canvas/enlarge.py), and goes into the
history like every result on the canvas."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Slot

from desktop_app.canvas import pixels as px
from desktop_app.canvas.enlarge import UpscaleTarget, enlarged_stack
from desktop_app.canvas.placement import crop_to_region
from desktop_app.jobs import Job
from desktop_app.qimage import to_qimage
from desktop_app.upscale_dialog import UpscaleChoice, UpscaleDialog
from genart_core.api import GenerationInfo, Progress, Result
from genart_core.image_limits import MAX_PIXELS
from genart_core.imaging import fit_within, resize
from genart_core.requests.upscale import UpscaleRequest
from genart_core.source_parameters import with_source_parameters

if TYPE_CHECKING:
    from desktop_app.main_window import MainWindow

PREVIEW_SIDE = 512  # pixels; the longer side of the picture the previews are shown on


class CanvasUpscale(QObject):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self._window = window
        self.dialog = UpscaleDialog(window)
        self.dialog.upscale_requested.connect(self.start)
        self._job: Job | None = None
        self._target: UpscaleTarget | None = None
        self._size = (0, 0)  # the document's when the job began
        self._source_info: GenerationInfo | None = None  # how the upscaled picture or layer was made
        self._backdrop: _Backdrop | None = None
        # Reproduce of an upscaled picture sets the dialog up again and opens it.
        window.restorers.register((UpscaleRequest,), "Upscale", self.dialog.apply_info, self.open)

    @Slot()
    def open(self) -> None:
        canvas = self._window.canvas
        if not canvas.has_image:
            self._window.show_error("Open or make a picture first, then upscale it.")
            return
        active = canvas.document.active
        self.dialog.prepare(canvas.document.width, canvas.document.height, active.name if active else None, canvas.selection_rect())
        self.dialog.open()

    @Slot(object)
    def start(self, choice: UpscaleChoice) -> None:
        canvas = self._window.canvas
        if not canvas.has_image:
            return
        width, height = canvas.document.width, canvas.document.height
        if width * height * choice.scale**2 > MAX_PIXELS:
            self._window.show_error(f"{width * choice.scale}×{height * choice.scale} pixels is more than a picture may have; choose 2× or a smaller picture.")
            return
        flat = canvas.image_array()
        region = canvas.selection_rect() if choice.source == "selection" else None
        layer = canvas.document.active if choice.source == "layer" else None
        if layer is not None:
            image = px.to_rgba(layer.pixels)  # with its transparency: the upscaler enlarges the alpha too
        else:
            image = crop_to_region(flat, region)
        self._target = UpscaleTarget(choice.source if (region or layer) else "picture", choice.scale, region, layer)
        self._size = (width, height)
        self._source_info = layer.info if layer is not None else canvas.generation_info
        self._backdrop = _Backdrop(flat, region, None if layer is None else image[:, :, 3])
        request = UpscaleRequest(image=np.ascontiguousarray(image), scale=choice.scale, model=choice.model, detail=choice.detail)
        self._job = job = self._window.submit(request, to_canvas=False)
        job.progress.connect(self._on_progress)
        job.finished.connect(self._on_finished)
        job.failed.connect(self._forget)  # the main window shows the message
        job.cancelled.connect(self._forget)

    @Slot(object, object)
    def _on_progress(self, job: Job, progress: Progress) -> None:
        if job is self._job and progress.preview is not None and self._backdrop is not None:
            self._window.canvas.set_preview(to_qimage(self._backdrop.with_preview(progress.preview)))

    @Slot(object, object)
    def _on_finished(self, job: Job, result: Result) -> None:
        if job is not self._job or self._target is None:
            return
        target, size, source_info = self._target, self._size, self._source_info
        self._forget(job)
        image, info = result.images[0], result.infos[0] if result.infos else None
        if info is not None:
            info = with_source_parameters(info, source_info)
        upscaler = info.extra.get("Upscaler") if info else None
        name = f"Upscaled {target.scale}× ({upscaler or 'Lanczos'})"
        self._window.history_panel.record(image[:, :, :3] if image.ndim == 3 else image, info, name)
        canvas = self._window.canvas
        if (canvas.document.width, canvas.document.height) != size:
            self._window.show_status("The picture changed size while it was upscaled; the upscaled picture is in the History panel.")
            return
        canvas.enlarge(enlarged_stack(canvas.document.layers, target, image, info, name), f"Upscale {target.scale}×")

    @Slot(object)
    def _forget(self, job: Job, *_message: str) -> None:
        if job is self._job:
            self._job, self._target, self._backdrop, self._source_info = None, None, None, None
            self._window.canvas.set_preview(None)  # its previews were shown here, not by the main window


class _Backdrop:
    """The picture, small, that an upscale's previews are shown on: a selection's preview in its
    place, a layer's preview through the layer's own transparency."""

    def __init__(self, flat: np.ndarray, region: tuple[int, int, int, int] | None, alpha: np.ndarray | None) -> None:
        self.picture = fit_within(flat, PREVIEW_SIDE)
        self.factor = self.picture.shape[1] / flat.shape[1]
        self.region = region
        self.alpha = None if alpha is None else resize(alpha, self.picture.shape[1], self.picture.shape[0]).astype(np.float32)[:, :, None] / 255

    def with_preview(self, preview: np.ndarray) -> np.ndarray:
        shown = self.picture.copy()
        if self.region is None:
            height, width = shown.shape[:2]
            enlarged = resize(preview[:, :, :3], width, height).astype(np.float32)
            if self.alpha is not None:
                enlarged = enlarged * self.alpha + shown * (1 - self.alpha)
            return np.clip(enlarged + 0.5, 0, 255).astype(np.uint8)
        x, y, width, height = (round(value * self.factor) for value in self.region)
        width, height = max(1, min(width, shown.shape[1] - x)), max(1, min(height, shown.shape[0] - y))
        shown[y : y + height, x : x + width] = resize(preview[:, :, :3], width, height)
        return shown
