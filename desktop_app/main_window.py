"""The main window: canvas in the middle, docks around it, menus and the status bar. No logic of its own
beyond wiring widgets to the InferenceController."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QWidget,
)

from desktop_app import settings
from desktop_app.about import show_about
from desktop_app.autosave import Autosaver, remove_leftovers_in_background
from desktop_app.canvas import Canvas
from desktop_app.canvas.clipboard import copy_picture, paste_picture
from desktop_app.canvas.placement import crop_to_region
from desktop_app.canvas_upscale import CanvasUpscale
from desktop_app.compute_switch import ComputeSwitch
from desktop_app.document_files import DocumentFiles
from desktop_app.generate_panel import GeneratePanel
from desktop_app.history_panel import HistoryPanel
from desktop_app.inference import InferenceController
from desktop_app.instant_panel import InstantStylePanel
from desktop_app.instant_style import InstantStyle
from desktop_app.job_names import describe_job
from desktop_app.jobs import Destination, Job
from desktop_app.layers_panel import LayersPanel
from desktop_app.prompt_models import connect_diffusion
from desktop_app.prompt_panel import PromptPanel, PromptSettings
from desktop_app.queue_panel import QueuePanel
from desktop_app.qimage import to_qimage
from desktop_app.readback_notice import show_readback_notice
from desktop_app.recent_files import RecentFilesMenu
from desktop_app.reproduce import SettingsRestorers
from desktop_app.shortcuts import redo_shortcuts
from desktop_app.style_picker import StylePicker
from desktop_app.stylize_panel import StyleSettings, StylizePanel, stacked
from desktop_app.tools_panel import ToolsPanel
from genart_core import paths
from genart_core.api import GenArtError, GenerationInfo, Progress, Request, Result
from genart_core.history import HistoryEntry
from genart_core.requests import generative
from genart_core.requests.fast_style import FastStyleRequest
from genart_core.requests.diffusion import ImageToImageRequest, InpaintRequest, TextToImageRequest
from genart_core.requests.selftest import SelfTestRequest
from genart_core.requests.style import StyleTransferRequest

log = logging.getLogger(__name__)


def _selftest_request(choice: PromptSettings) -> Request:
    return SelfTestRequest(width=choice.width, height=choice.height, steps=choice.steps, seed=choice.seed)


def _result_name(info: GenerationInfo | None) -> str:
    """A name for a result's layer and history entry that says what it shows: its prompt (or the
    style names), else the model."""
    if info is None:
        return "Result"
    text = " ".join(info.prompt.split()) or info.model or "Result"
    return text if len(text) <= 40 else text[:39] + "…"


def _bring_forward(dock: QDockWidget) -> None:
    dock.show()
    dock.raise_()


def _made_from_canvas(info: GenerationInfo | None, region: tuple[int, int, int, int] | None) -> bool:
    """Whether a result was made from the canvas picture (its request held an image: image-to-image,
    inpainting, style transfer), so it already holds the strokes it was made from."""
    request = info.request if info is not None and isinstance(info.request, dict) else {}
    return region is not None or any(request.get(name) is not None for name in ("init_image", "content"))


class MainWindow(QMainWindow):
    def __init__(self, controller: InferenceController | None = None) -> None:
        super().__init__()
        self.setWindowTitle("GenArt Studio")
        self.setObjectName("MainWindow")
        icon = paths.resources_dir() / "icons" / "genart-studio.svg"
        self.setWindowIcon(QIcon(str(icon)))
        self.controller = controller or InferenceController(self)

        self.canvas = Canvas()
        self.canvas.load_failed.connect(self.show_error)
        self.canvas.notice.connect(self.show_status)
        self.setCentralWidget(self.canvas)

        self.style_picker = StylePicker()
        self.style_picker.add_failed.connect(self.show_error)
        self.style_picker.notice.connect(self.show_status)
        self.prompt_panel = PromptPanel()
        # Model choice -> how its settings become a request. Each pipeline family adds its entries.
        self.request_builders: dict[str, Callable[[PromptSettings], Request]] = {}
        self.add_prompt_model("Plasma pattern (diagnostic, no model)", "selftest", _selftest_request)
        connect_diffusion(self)
        self.prompt_panel.generate_requested.connect(self._generate)
        self.style_dock = self._add_dock("Styles", "StylesDock", self.style_picker, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.prompt_dock = self._add_dock("Prompt", "PromptDock", self.prompt_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.stylize_panel = StylizePanel(self.style_picker)
        self.stylize_panel.stylize_requested.connect(self._stylize)
        self.instant_panel = InstantStylePanel()
        self.stylize_dock = self._add_dock("Style Transfer", "StylizeDock", stacked(self.instant_panel, self.stylize_panel), Qt.DockWidgetArea.LeftDockWidgetArea)
        self._add_painting_docks()
        self.instant_style = InstantStyle(self, self.instant_panel)
        self.generate_panel = GeneratePanel(self)
        self.generate_dock = self._add_dock("Generate (GAN / VAE)", "GenerateDock", self.generate_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.prompt_dock, self.generate_dock)
        self.prompt_dock.raise_()
        self.queue_panel = QueuePanel(self.controller)
        self.queue_dock = self._add_dock("Queue", "QueueDock", self.queue_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.tabifyDockWidget(self.history_dock, self.queue_dock)
        self._register_restorers()
        self.canvas_upscale = CanvasUpscale(self)

        self._build_status_bar()
        self._build_menus()
        self._connect_controller()
        if not settings.restore_window(self):
            self.resize(1280, 800)
            # At first start the gallery is in front: the Style Transfer panel below asks to pick a
            # style in it. Qt only honours raising a tabbed dock once the tabs exist (after show).
            QTimer.singleShot(0, self.style_dock.raise_)
        self._error_box: QMessageBox | None = None
        self._idle_message = "Ready"  # what the status bar says between jobs, once an error is dismissed
        self._shown_job: Job | None = None  # the running job the status bar speaks of
        self._job_text = ""  # what the status bar says of it, before "(n waiting)"
        self._update_title()
        # Damaged history entries or remembered models were set aside while the panels loaded: say so once.
        self.readback_notice = show_readback_notice(self, self.history_panel.store)

    # -- construction -----------------------------------------------------------------------
    def _add_dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # restoreState() matches docks by object name
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _add_painting_docks(self) -> None:
        """Tools, layers and the history of results; Save/Open; autosave. Parameters found in an
        opened file or chosen in the history are handed to every panel that can use them."""
        self.files = DocumentFiles(self, self.canvas)
        self.files.failed.connect(self.show_error)
        self.files.saved.connect(self._on_saved)
        self.files.target.changed.connect(self._update_title)  # also names the file across undo
        self.tools_panel = ToolsPanel(self.canvas)
        self.layers_panel = LayersPanel(self.canvas)
        self.history_panel = HistoryPanel()
        self.history_panel.failed.connect(self.show_error)
        self.history_panel.open_requested.connect(self._open_history_entry)
        self.history_panel.reproduce_requested.connect(self.apply_info)
        self.canvas.parameters_found.connect(self.apply_info)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.tools_panel)
        self.layers_dock = self._add_dock("Layers", "LayersDock", self.layers_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.history_dock = self._add_dock("History", "HistoryDock", self.history_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        # Tabbed with the styles, so the window still fits a small screen (800×600).
        self.tabifyDockWidget(self.style_dock, self.layers_dock)
        self.tabifyDockWidget(self.layers_dock, self.history_dock)
        self.autosaver = Autosaver(self.canvas, parent=self)
        self.autosaver.failed.connect(self.show_error)
        self.leftovers_removal = remove_leftovers_in_background()

    def _register_restorers(self) -> None:
        """Each family's panel restores its own requests ("Reproduce", an opened artwork's parameters);
        parameters from other programs (no request type) are Stable Diffusion settings."""
        self.restorers = SettingsRestorers()
        diffusion = (TextToImageRequest, ImageToImageRequest, InpaintRequest, SelfTestRequest)
        self.restorers.register(diffusion, "Prompt", self.prompt_panel.apply_info, lambda: _bring_forward(self.prompt_dock), untyped=True)
        self.restorers.register((StyleTransferRequest,), "Style Transfer", self.stylize_panel.apply_info, lambda: _bring_forward(self.stylize_dock))
        self.restorers.register((FastStyleRequest,), "Style Transfer (instant)", self.instant_style.apply_info, lambda: _bring_forward(self.stylize_dock))
        gan_vae = [getattr(generative, f"{kind}{job}Request") for kind in ("Gan", "Vae") for job in ("Sample", "Decode", "Interpolate")]
        self.restorers.register(gan_vae, "Generate (GAN / VAE)", self.generate_panel.apply_info, lambda: _bring_forward(self.generate_dock))

    @Slot(object)
    def apply_info(self, info: GenerationInfo) -> None:
        self.status_label.setText(self.restorers.restore(info))

    def add_prompt_model(self, label: str, key: str, builder: Callable[[PromptSettings], Request]) -> None:
        self.request_builders[key] = builder
        self.prompt_panel.add_model(label, key)

    def _build_status_bar(self) -> None:
        self.status_label = QLabel("Loading the compute engine…")
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(240)
        self.progress_bar.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Cancel the running job only (Esc); waiting jobs stay in the queue (Queue panel, Ctrl+J)")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.controller.cancel_current)
        # Only while a job runs that can end early with a usable picture (diffusion, style transfer).
        self.stop_button = QPushButton("Stop && Keep")
        self.stop_button.setToolTip("Stop the running job now and keep the picture so far (Shift+Esc)")
        self.stop_button.setVisible(False)
        self.stop_button.clicked.connect(self.stop_and_keep)
        bar = self.statusBar()
        bar.addWidget(self.status_label, 1)
        bar.addPermanentWidget(self.progress_bar)
        bar.addPermanentWidget(self.stop_button)
        bar.addPermanentWidget(self.cancel_button)

    def _action(self, text: str, slot, shortcut: QKeySequence | str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        menu_bar = self.menuBar()
        file_menu = menu_bar.addMenu("&File")
        self.new_action = self._action("&New…", self.files.new_document, QKeySequence.StandardKey.New)
        self.open_action = self._action("&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = RecentFilesMenu(self)
        self.recent_menu.open_requested.connect(self.files.open_path)
        self.save_action = self._action("&Save", self.files.save, QKeySequence.StandardKey.Save)
        self.save_as_action = self._action("Save &As…", self.save_as_dialog, QKeySequence.StandardKey.SaveAs)
        self.export_action = self._action("&Export…", self.files.export, "Ctrl+E")
        file_menu.addActions([self.new_action, self.open_action])
        file_menu.addMenu(self.recent_menu)
        file_menu.addActions([self.save_action, self.save_as_action, self.export_action])
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))

        edit_menu = menu_bar.addMenu("&Edit")
        undo = self.canvas.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.canvas.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action = redo
        redo.setShortcuts(redo_shortcuts())
        edit_menu.addActions([undo, redo])
        edit_menu.addSeparator()
        edit_menu.addAction(self._action("&Copy", lambda: copy_picture(self.canvas), QKeySequence.StandardKey.Copy))
        edit_menu.addAction(self._action("&Paste", lambda: paste_picture(self.canvas), QKeySequence.StandardKey.Paste))
        edit_menu.addAction(self._action("Select &All", self.canvas.select_all, QKeySequence.StandardKey.SelectAll))
        edit_menu.addAction(self._action("&Deselect", self.canvas.clear_selection, "Ctrl+Shift+A"))
        edit_menu.addAction(self._action("Clear Inpainting &Mask", self.canvas.clear_mask))

        image_menu = menu_bar.addMenu("&Image")
        self.upscale_action = self._action("&Upscale…", self.canvas_upscale.open, "Ctrl+Shift+U")
        image_menu.addAction(self.upscale_action)

        view_menu = menu_bar.addMenu("&View")
        view_menu.addAction(self._action("Zoom to &Fit", self.canvas.zoom_to_fit, "Ctrl+0"))
        view_menu.addAction(self._action("&Actual Size", self.canvas.zoom_actual_size, "Ctrl+1"))
        view_menu.addAction(self._action("Zoom &In", lambda: self.canvas.zoom_by(1.25), QKeySequence.StandardKey.ZoomIn))
        view_menu.addAction(self._action("Zoom &Out", lambda: self.canvas.zoom_by(0.8), QKeySequence.StandardKey.ZoomOut))
        view_menu.addSeparator()
        self.view_menu = view_menu
        for dock in (self.style_dock, self.prompt_dock, self.tools_panel, self.layers_dock, self.history_dock, self.stylize_dock, self.generate_dock, self.queue_dock):
            view_menu.addAction(dock.toggleViewAction())
        self.show_queue_action = self._action("Show the &Queue", lambda: _bring_forward(self.queue_dock), "Ctrl+J")
        view_menu.addAction(self.show_queue_action)

        self.cancel_action = self._action("Cancel Running Job", self.controller.cancel_current, "Esc")
        self.cancel_action.setToolTip("Cancel the running job only; waiting jobs stay in the queue")
        self.addAction(self.cancel_action)
        self.cancel_all_action = self._action("Cancel &All Jobs", self.controller.cancel_all)
        self.stop_action = self._action("Stop and &Keep", self.stop_and_keep, "Shift+Esc")
        self.stop_action.setEnabled(False)
        edit_menu.addSeparator()
        edit_menu.addActions([self.cancel_action, self.cancel_all_action, self.stop_action])

        self.compute = ComputeSwitch(self, menu_bar.addMenu("&Settings"))

        help_menu = menu_bar.addMenu("&Help")
        help_menu.addAction(self._action("Run &Self-Test Job", self.run_self_test))
        help_menu.addAction(self._action("&About GenArt Studio", lambda: show_about(self)))

    def _connect_controller(self) -> None:
        self.controller.engine_ready.connect(self._on_engine_ready)
        self.controller.job_started.connect(self._on_job_started)
        self.controller.progress.connect(self._on_progress)
        self.controller.finished.connect(self._on_finished)
        self.controller.failed.connect(self._on_failed)
        self.controller.cancelled.connect(self._on_cancelled)
        self.controller.busy_changed.connect(self._on_busy_changed)
        self.controller.queue_changed.connect(self._show_job_text)

    # -- files ------------------------------------------------------------------------------
    @Slot()
    def open_dialog(self) -> None:
        self.files.open_dialog()

    @Slot()
    def save_as_dialog(self) -> None:
        self.files.save_as()

    def save_to(self, path: str | Path) -> bool:
        """Save the document to ``path`` (.ora keeps layers; .png/.jpg/.webp flatten, with parameters)."""
        return self.files.save_to(path)

    @Slot(str)
    def _on_saved(self, path: str) -> None:
        self.status_label.setText(f"Saved {Path(path).name}")
        self._update_title()

    @Slot(object, object)
    def _open_history_entry(self, image, entry: HistoryEntry) -> None:
        if not self.files.confirm_discard(f"opening “{entry.name}”"):
            return
        self.canvas.set_image(image, f"Open {entry.name}", entry.info)
        self.canvas.document_path = None

    # -- jobs -------------------------------------------------------------------------------
    @Slot(object)
    def _generate(self, choice: PromptSettings) -> None:
        builder = self.request_builders.get(choice.model_key)
        if builder is None:
            self.show_error("Choose a model first.")
            return
        try:
            built = builder(choice)
        except GenArtError as exc:
            self.show_error(str(exc))
            return
        # A builder may return (request, canvas region) when its result belongs in a region.
        request, region = built if isinstance(built, tuple) else (built, None)
        self.prompt_panel.jobs.add(self.submit(request, region))

    def submit(self, request: Request, region: tuple[int, int, int, int] | None = None, to_canvas: bool = True, replaces: str | None = None) -> Job:
        """Queue ``request``; it runs after the jobs before it, and its first image lands on the canvas
        (in ``region``). With ``to_canvas=False`` the result, and its previews, stay off the canvas and
        the history: the panel that holds the Job shows them. ``replaces``: see InferenceController.submit."""
        return self.controller.submit(
            request,
            name=describe_job(request, self.prompt_panel.model_label),
            destination=Destination.CANVAS if to_canvas else Destination.PANEL,
            region=region,
            replaces=replaces,
        )

    @Slot(object)
    def _stylize(self, choice: StyleSettings) -> None:
        """Style transfer of the canvas (or its selection); the result goes back to the same place."""
        if not self.canvas.has_image:
            self.show_error("Open or drop a photo on the canvas first, then choose a style and Stylise.")
            return
        region = self.canvas.selection_rect()
        self.stylize_panel.jobs.add(self.submit(choice.request(crop_to_region(self.canvas.image_array(), region)), region=region))

    @Slot()
    def run_self_test(self) -> None:
        self.submit(SelfTestRequest(width=512, height=512, steps=24, work_size=512))

    @Slot()
    def stop_and_keep(self) -> None:
        """The job ends at its next step; what it has made arrives as a result, as usual."""
        self.controller.stop_and_keep()
        self.status_label.setText("Stopping — keeping the picture so far…")

    def _show_stop_and_keep(self, shown: bool) -> None:
        self.stop_button.setVisible(shown)
        self.stop_action.setEnabled(shown)

    @Slot(str)
    def _on_engine_ready(self, message: str) -> None:
        self._idle_message = message
        if not self.controller.busy:
            self.status_label.setText(message)

    @Slot(object)
    def _on_job_started(self, job: Job) -> None:
        if self._error_box is not None:
            self._error_box.close()  # an old error is not about this job
        self._shown_job = job
        self._show_job_text(job.name)
        self.progress_bar.setRange(0, 0)  # busy until the first progress report
        self._show_stop_and_keep(job.request.supports_stop_and_keep)

    @Slot()
    def _show_job_text(self, text: str | None = None) -> None:
        """The running job's words (``text``, else the last ones), and how many jobs wait after it."""
        if text is not None:
            self._job_text = text
        if self.controller.current_job is None:
            return
        waiting = len(self.controller.waiting_jobs)
        self.status_label.setText(self._job_text + (f" ({waiting} waiting)" if waiting else ""))

    @Slot(object, object)
    def _on_progress(self, job: Job, progress: Progress) -> None:
        self.progress_bar.setRange(0, max(1, progress.total))
        self.progress_bar.setValue(progress.step)
        self._show_job_text(f"{progress.phase} — {progress.step}/{progress.total}")
        if progress.preview is not None and job.destination is Destination.CANVAS:
            self.canvas.set_preview(to_qimage(progress.preview))

    def _end_job(self, job: Job) -> bool:
        """A job ended, however it ended: a canvas job's preview leaves the canvas. False for a
        waiting job taken out of the queue: the status bar goes on speaking of the running one."""
        if job is not self._shown_job:
            return False
        self._shown_job, self._job_text = None, ""
        if job.destination is Destination.CANVAS:
            self.canvas.set_preview(None)
        return True

    @Slot(object, object)
    def _on_finished(self, job: Job, result: Result) -> None:
        self._end_job(job)
        ended = f"Stopped {result.stopped} — kept" if result.stopped else "Done"
        if job.destination is not Destination.CANVAS:
            self.status_label.setText(ended)
            return
        for index, image in enumerate(result.images):  # every image of every job goes to the history
            image_info = result.infos[index] if index < len(result.infos) else None
            if index == 0:  # the first one also goes on the canvas
                self.canvas.add_result(image, image_info, _result_name(image_info), job.region, _made_from_canvas(image_info, job.region))
            self.history_panel.record(image, image_info, _result_name(image_info))
        self.status_label.setText(" — ".join([ended, *result.notes]))

    def put_on_canvas(self, image, info: GenerationInfo | None, name: str) -> None:
        """A result a panel kept to itself (a GAN/VAE sample) goes on the canvas and, like every
        result on the canvas, into the history."""
        self.canvas.add_result(image, info, name, made_from_canvas=False)
        self.history_panel.record(image, info, name)

    @Slot(object, str)
    def _on_failed(self, job: Job, message: str) -> None:
        self._end_job(job)
        self.status_label.setText("Failed")
        if not self.compute.offer_local_run(job, message):
            self.show_error(message)

    @Slot(object)
    def _on_cancelled(self, job: Job) -> None:
        if self._end_job(job):
            self.status_label.setText("Cancelled")

    @Slot(bool)
    def _on_busy_changed(self, busy: bool) -> None:
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if not busy:
            self._show_stop_and_keep(False)

    # -- messages and lifetime --------------------------------------------------------------
    @Slot(str)
    def show_status(self, message: str) -> None:
        self.status_label.setText(message)

    @Slot(str)
    def show_error(self, message: str) -> None:
        """A non-blocking message box: the app keeps running while it is shown."""
        log.warning("%s", message)
        if self._error_box is not None:
            previous, self._error_box = self._error_box, None
            previous.close()
        self.status_label.setText(message.splitlines()[0][:120])
        self._error_box = QMessageBox(QMessageBox.Icon.Warning, "GenArt Studio", message, parent=self)
        self._error_box.finished.connect(self._error_dismissed)
        self._error_box.open()

    @Slot()
    def _error_dismissed(self) -> None:
        """Once its box is closed, an error no longer stands in the status bar."""
        if self.sender() is self._error_box:
            self._error_box = None
            if not self.controller.busy:
                self.status_label.setText(self._idle_message)

    @property
    def last_error_box(self) -> QMessageBox | None:
        return self._error_box

    @Slot()
    def _update_title(self) -> None:
        path = self.canvas.document_path
        name = path.name if path is not None else ("Untitled" if self.canvas.has_image else "")
        modified = "*" if self.canvas.is_modified else ""
        self.setWindowTitle(f"{name}{modified} — GenArt Studio" if name else "GenArt Studio")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.files.confirm_close(event):
            return
        settings.save_window(self)
        self.prompt_panel.remember_choices()
        self.controller.shutdown()
        self.instant_style.shutdown()
        self.history_panel.shutdown()
        self.autosaver.shutdown()
        super().closeEvent(event)
