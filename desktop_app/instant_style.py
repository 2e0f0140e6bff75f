"""Instant style in the window: a click on a style repaints the canvas at once.

Wires the style picker, the Style Transfer panel's styles and mix, and the instant panel to the
instant worker (desktop_app/instant_worker.py). The result is shown as the canvas preview until
Apply keeps it as an undoable layer (with its FastStyleRequest, so Save, History and Reproduce
know how it was made). Live mode restyles the canvas as soon as a stroke ends (the mouse release),
and while a stroke goes on, whenever it pauses for LIVE_DELAY_MS; such an update restyles only
around what changed, and once the strokes pause for SETTLE_MS the whole picture is restyled once
more (genart_core/fast_style/live_update.py). Refine and
Learn this style are ordinary jobs of the window's job controller (progress, Cancel, Stop & Keep).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer, Slot

from desktop_app.instant_panel import InstantStylePanel
from desktop_app.instant_worker import InstantStyleRunner
from desktop_app.jobs import Job
from desktop_app.qimage import to_qimage
from desktop_app.widget_values import set_number
from genart_core.api import GenArtError, GenerationInfo, Progress, Result
from genart_core.requests.fast_style import FastStyleRequest, LearnStyleRequest, RefineRequest, StyleVectorSource

if TYPE_CHECKING:
    from desktop_app.main_window import MainWindow

log = logging.getLogger(__name__)

PREVIEW_SIDE = 1024  # longest side of previews: live at a glance; Apply makes the full size
# While a stroke is still moving: restyle once it has paused this long, so a moving brush does not
# send a request per mouse move (each would be replaced before it ran), yet a held pause shows the result.
LIVE_DELAY_MS = 80
# After a Live update that restyled a crop, with no stroke since: the same request again, which the
# pipeline answers with a full pass (fresh normalisation statistics for the whole picture). Long
# enough that quick strokes in a row are not kept waiting behind it.
SETTLE_MS = 500


class InstantStyle(QObject):
    def __init__(self, window: "MainWindow", panel: InstantStylePanel, runner: InstantStyleRunner | None = None) -> None:
        super().__init__(window)
        self._window = window
        self._canvas = window.canvas
        self._picker = window.style_picker
        self._styles_panel = window.stylize_panel
        self.panel = panel
        self.runner = runner or InstantStyleRunner(self)
        self._shown: tuple[FastStyleRequest, Result] | None = None  # the preview on the canvas
        # The canvas's paint_serial when each preview request took its picture: in Live mode the
        # strokes painted after it stay drawn over its result.
        self._made_at: dict[int, int] = {}
        self._apply_ids: set[int] = set()
        self._learn_job: Job | None = None
        # Name -> (path, kind) of styles restored by Reproduce: their stored vector source wins
        # over the gallery's current one (a style learned since would make another picture).
        self._restored_sources: dict[str, tuple[str, str]] = {}
        # The styles of a restored result made before the network's grid was removed: while they
        # stay selected, it is remade with the grid, as it was made (_on_selection empties it as
        # soon as the selection differs).
        self._grid_kept_for: frozenset[str] = frozenset()
        # Each style's vector source, looked up once per selection: the lookup reads every learned
        # style file (~3 ms each), too slow to repeat on the GUI thread at each Live update.
        self._source_cache: dict[tuple[str, float], StyleVectorSource] = {}
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(LIVE_DELAY_MS)
        self._live_timer.timeout.connect(self.preview)
        self._settle_timer = QTimer(self)
        self._settle_timer.setSingleShot(True)
        self._settle_timer.setInterval(SETTLE_MS)
        self._settle_timer.timeout.connect(self._settle)
        self._canvas.stroke_moved.connect(self._on_stroke_moved)

        self.runner.result_ready.connect(self._on_result)
        self.runner.failed.connect(self._on_failed)
        self.runner.warmed.connect(self._on_warmed)
        self._picker.selection_changed.connect(self._on_selection)
        self._styles_panel.blend.valueChanged.connect(self._on_value_changed)
        self._styles_panel.seed.valueChanged.connect(self._on_value_changed)
        panel.changed.connect(self._on_value_changed)
        panel.apply_requested.connect(self.apply)
        panel.discard_requested.connect(self.discard)
        panel.live_toggled.connect(self._on_live_toggled)
        panel.refine_requested.connect(self.refine)
        panel.learn_requested.connect(self.learn)
        self._canvas.image_changed.connect(self._on_canvas_changed)

    # -- requests ------------------------------------------------------------------------------
    def sources(self) -> tuple[StyleVectorSource, ...]:
        """The selected styles with their mix weights; a learned vector where the style has one."""
        from genart_core.fast_style.sources import source_for

        chosen = []
        for style in self._styles_panel.style_sources():
            restored = self._restored_sources.get(style.name)
            if restored is not None:
                chosen.append(StyleVectorSource(style.name, restored[0], style.weight, restored[1]))
                continue
            key = (style.path, style.weight)
            if key not in self._source_cache:
                self._source_cache[key] = source_for(style.path, style.weight)
            chosen.append(self._source_cache[key])
        return tuple(chosen)

    def request(self, full_size: bool = False) -> FastStyleRequest:
        content = self._canvas.image_array()
        longest = max(content.shape[:2])
        return FastStyleRequest(
            content=content,
            styles=self.sources(),
            strength=self.panel.strength_value(),
            size=None if full_size or longest <= PREVIEW_SIDE else PREVIEW_SIDE,
            seed=self._styles_panel.seed.value(),
            preserve_colors=self.panel.colour_mode(),
            network_side=self.panel.network_side(),
            remove_grid=not self._grid_kept_for,
            live=self.panel.live.isChecked() and not full_size,
        )

    def _ready(self) -> bool:
        return self._canvas.has_image and bool(self._styles_panel.style_sources())

    # -- preview ---------------------------------------------------------------------------------
    @Slot()
    def preview(self) -> None:
        """Restyle the canvas in the background; the newest request's result replaces the preview."""
        self._settle_timer.stop()  # this request's result decides whether one is due
        if not self._ready():
            return
        try:
            self._made_at[self.runner.submit(self.request())] = self._canvas.paint_serial
        except GenArtError as exc:
            self._window.show_error(str(exc))

    @Slot()
    def _on_selection(self) -> None:
        names = {style.name for style in self._picker.selected_styles()}
        self._source_cache.clear()  # a style learned or re-learned since is found again
        self._restored_sources = {name: source for name, source in self._restored_sources.items() if name in names}
        if names != self._grid_kept_for:
            self._grid_kept_for = frozenset()
        if not names and self._shown is not None:
            self.discard()  # no style chosen: no stylised picture over the canvas
        elif self.panel.enabled.isChecked():
            self.preview()

    @Slot()
    def _on_value_changed(self) -> None:
        if self._shown is not None or self.panel.live.isChecked():
            self.preview()

    @Slot()
    def _on_canvas_changed(self) -> None:
        """An edit is complete (a stroke's release, a fill, an undo, another photo): restyle at once,
        in Live mode and under a shown preview alike, so the preview never shows a picture that is
        no longer there. A newer request replaces an older one still waiting on the worker."""
        if self.panel.live.isChecked() or self._shown is not None:
            self._live_timer.stop()
            self.preview()

    @Slot()
    def _on_stroke_moved(self) -> None:
        """Live: a stroke still moving is restyled once it pauses (each move restarts the wait)."""
        if self.panel.live.isChecked():
            self._settle_timer.stop()
            self._live_timer.start()

    @Slot()
    def _settle(self) -> None:
        """The strokes paused after a Live update of a crop: restyle the whole picture afresh."""
        if self.panel.live.isChecked():
            self.preview()

    @Slot(bool)
    def _on_live_toggled(self, live: bool) -> None:
        if live:
            self.preview()
        elif self._shown is not None:
            self._show(*self._shown)  # painting is blocked again under a plain preview

    def _show(self, request: FastStyleRequest, result: Result, made_at: int | None = None) -> None:
        self._shown = (request, result)
        self._canvas.set_preview(to_qimage(result.images[0]), lets_paint=self.panel.live.isChecked(), made_at=made_at)

    @Slot(int, object, object)
    def _on_result(self, request_id: int, request: FastStyleRequest, result: Result) -> None:
        if request_id in self._apply_ids:
            self._apply_ids.discard(request_id)
            self._keep(result)
            return
        made_at = self._made_at.pop(request_id, None)
        # Requests before this one were replaced while waiting: they are never answered.
        self._made_at = {newer: serial for newer, serial in self._made_at.items() if newer > request_id}
        if self._canvas.has_image:
            self._show(request, result, made_at)
            if result.extras.get("crop"):
                self._settle_timer.start()
            self._window.show_status(f"Instant style: {', '.join(s.name for s in request.styles)} in {self.runner.last_seconds:.2f} s")

    @Slot(int, str)
    def _on_failed(self, request_id: int, message: str) -> None:
        self._apply_ids.discard(request_id)
        self._window.show_error(message)

    @Slot(str)
    def _on_warmed(self, problem: str) -> None:
        if problem:
            self._window.show_status(f"Instant style unavailable — {problem.splitlines()[0][:160]}")

    @Slot()
    def discard(self) -> None:
        self.runner.forget()
        self._live_timer.stop()
        self._settle_timer.stop()
        self.panel.live.setChecked(False)
        self._shown = None
        self._canvas.set_preview(None)

    # -- apply -----------------------------------------------------------------------------------
    @Slot()
    def apply(self) -> None:
        """Keep the instant style as a layer at the canvas's full size (reusing the preview when it is)."""
        if not self._ready():
            self._window.show_error("Open or drop a photo on the canvas and click a style first.")
            return
        self.panel.live.setChecked(False)  # the new layer must not restyle itself
        wanted = self.request(full_size=True)
        shown = self._shown
        if shown is not None and shown[0] == wanted and np.array_equal(shown[0].content, wanted.content):
            self._keep(shown[1])  # the preview is already this picture at full size
            return
        self._apply_ids.add(self.runner.submit(wanted, kept=True))

    def _keep(self, result: Result) -> None:
        image = result.images[0]
        info = result.infos[0] if result.infos else None
        name = _layer_name(info)
        self.runner.forget()
        self._shown = None
        self._canvas.set_preview(None)
        self._canvas.add_result(image, info, name, None, True)
        self._window.history_panel.record(image, info, name)
        self._window.show_status(f"Applied {name} as a layer (undo to remove it)")

    # -- reproduce ---------------------------------------------------------------------------------
    def apply_info(self, info: GenerationInfo) -> list[str]:
        """Restore an instant result's styles (with their stored vector sources), mix, strength,
        colours, seed and whether the network's grid was removed, then preview it. Values come from
        a file: each is checked."""
        stored = info.request if isinstance(info.request, dict) else {}
        try:
            request = FastStyleRequest.from_dict({**stored, "content": np.zeros((1, 1, 3), np.uint8)})
        except GenArtError as exc:
            return [str(exc)]
        names = [source.name for source in request.styles]
        missing = self._picker.select_styles(names)
        # Saved files keep file names only (privacy): such a source falls back to the gallery's.
        self._restored_sources = {s.name: (s.path, s.kind) for s in request.styles if s.name not in missing and Path(s.path).is_file()}
        self._grid_kept_for = frozenset() if request.remove_grid else frozenset(names) - set(missing)
        self._styles_panel.apply_weights({source.name: source.weight for source in request.styles})
        self.panel.apply_request_values(request)
        set_number(self._styles_panel.seed, request.seed)
        self.preview()
        return [f"the style “{name[:60]}” is not in the gallery" for name in missing]

    # -- refine and learn (jobs of the window's controller) -----------------------------------------
    @Slot()
    def refine(self) -> None:
        if not self._ready():
            self._window.show_error("Open or drop a photo on the canvas and click a style first.")
            return
        instant = self.request(full_size=True)
        self.discard()
        self._window.submit(RefineRequest(instant=instant, iterations=self.panel.iterations.value(), weights=self._styles_panel.weights_source))

    @Slot()
    def learn(self) -> None:
        styles = self._picker.selected_styles()
        if len(styles) != 1:
            self._window.show_error("Select one style in the gallery to learn it.")
            return
        style = styles[0]
        canvas = self._canvas.image_array() if self._canvas.has_image else None
        if canvas is None and self.panel.learning_canvas_share() >= 1.0:
            self._window.show_error("Put a picture on the canvas to learn the style for it only, or learn it for this picture and others.")
            return
        request = LearnStyleRequest(
            style_name=style.name,
            style_path=str(style.path),
            steps=self.panel.learn_steps.value(),
            canvas=canvas,
            canvas_share=self.panel.learning_canvas_share(),
            weights=self._styles_panel.weights_source,
        )
        self.discard()
        self._learn_job = job = self._window.submit(request, to_canvas=False)
        job.progress.connect(self._on_learn_progress)
        job.finished.connect(self._on_learned)
        job.failed.connect(self._on_learn_ended)
        job.cancelled.connect(self._on_learn_ended)

    @Slot(object, object)
    def _on_learn_progress(self, _job: Job, progress: Progress) -> None:
        if progress.preview is not None:
            self._canvas.set_preview(to_qimage(progress.preview))

    @Slot(object, object)
    def _on_learned(self, job: Job, result: Result) -> None:
        self._on_learn_ended(job)
        name = job.request.style_name
        self._source_cache.clear()  # the style now has a learned vector
        self._picker.reload()
        self._picker.select_styles([name])
        self._window.show_status(f"Learned “{name}” — it now applies instantly" + (f" (stopped {result.stopped})" if result.stopped else ""))

    @Slot(object)
    def _on_learn_ended(self, job: Job, *_message: object) -> None:
        """The learning previews leave the canvas (unless an instant preview replaced them)."""
        if job is self._learn_job:
            self._learn_job = None
            if job.last_progress is not None and self._shown is None:
                self._canvas.set_preview(None)

    @property
    def learn_job(self) -> Job | None:
        return self._learn_job

    def shutdown(self) -> None:
        self._live_timer.stop()
        self._settle_timer.stop()
        self.runner.shutdown()


def _layer_name(info: GenerationInfo | None) -> str:
    styles = info.extra.get("Styles", "") if info is not None and isinstance(info.extra, dict) else ""
    names = ", ".join(part.rsplit(" (", 1)[0] for part in styles.split(", ") if part)
    text = f"Instant: {names}" if names else "Instant style"
    return text if len(text) <= 40 else text[:39] + "…"
