"""The main window: canvas in the middle, docks around it, menus and the status bar. No logic of its own
beyond wiring widgets to the InferenceController."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QWidget,
)

from desktop_app import settings
from desktop_app.about import show_about
from desktop_app.canvas import Canvas
from desktop_app.inference import InferenceController
from desktop_app.prompt_panel import PromptPanel, PromptSettings
from desktop_app.qimage import to_qimage
from desktop_app.style_picker import IMAGE_FILTER, StylePicker
from genart_core import paths
from genart_core.api import GenArtError, Progress, Request, Result
from genart_core.artwork import save_artwork
from genart_core.requests.selftest import SelfTestRequest

log = logging.getLogger(__name__)

SAVE_FILTER = "PNG image (*.png);;JPEG image (*.jpg *.jpeg);;WebP image (*.webp)"


def _selftest_request(choice: PromptSettings) -> Request:
    return SelfTestRequest(width=choice.width, height=choice.height, steps=choice.steps, seed=choice.seed)


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
        self.canvas.image_changed.connect(self._update_title)
        self.setCentralWidget(self.canvas)

        self.style_picker = StylePicker()
        self.style_picker.add_failed.connect(self.show_error)
        self.prompt_panel = PromptPanel()
        # Model choice -> how its settings become a request. Each pipeline family adds its entries.
        self.request_builders: dict[str, Callable[[PromptSettings], Request]] = {}
        self.add_prompt_model("Plasma pattern (diagnostic, no model)", "selftest", _selftest_request)
        self.prompt_panel.generate_requested.connect(self._generate)
        self.prompt_panel.cancel_requested.connect(self.controller.cancel)
        self.style_dock = self._add_dock("Styles", "StylesDock", self.style_picker, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.prompt_dock = self._add_dock("Prompt", "PromptDock", self.prompt_panel, Qt.DockWidgetArea.RightDockWidgetArea)

        self._build_status_bar()
        self._build_menus()
        self._connect_controller()
        if not settings.restore_window(self):
            self.resize(1280, 800)
        self._error_box: QMessageBox | None = None
        # Jobs that work on a canvas region remember it, so the result goes back there.
        self._job_regions: dict[int, tuple[int, int, int, int] | None] = {}
        self._update_title()

    # -- construction -----------------------------------------------------------------------
    def _add_dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # restoreState() matches docks by object name
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def add_prompt_model(self, label: str, key: str, builder: Callable[[PromptSettings], Request]) -> None:
        self.request_builders[key] = builder
        self.prompt_panel.add_model(label, key)

    def _build_status_bar(self) -> None:
        self.status_label = QLabel("Loading the compute engine…")
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(240)
        self.progress_bar.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Cancel the running job (Esc)")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.controller.cancel)
        bar = self.statusBar()
        bar.addWidget(self.status_label, 1)
        bar.addPermanentWidget(self.progress_bar)
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
        self.open_action = self._action("&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.save_as_action = self._action("Save &As…", self.save_as_dialog, QKeySequence.StandardKey.SaveAs)
        file_menu.addActions([self.open_action, self.save_as_action])
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))

        edit_menu = menu_bar.addMenu("&Edit")
        undo = self.canvas.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.canvas.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.StandardKey.Redo])
        edit_menu.addActions([undo, redo])

        view_menu = menu_bar.addMenu("&View")
        view_menu.addAction(self._action("Zoom to &Fit", self.canvas.zoom_to_fit, "Ctrl+0"))
        view_menu.addAction(self._action("&Actual Size", self.canvas.zoom_actual_size, "Ctrl+1"))
        view_menu.addAction(self._action("Zoom &In", lambda: self.canvas.zoom_by(1.25), QKeySequence.StandardKey.ZoomIn))
        view_menu.addAction(self._action("Zoom &Out", lambda: self.canvas.zoom_by(0.8), QKeySequence.StandardKey.ZoomOut))
        view_menu.addSeparator()
        self.view_menu = view_menu
        for dock in (self.style_dock, self.prompt_dock):
            view_menu.addAction(dock.toggleViewAction())

        self.cancel_action = self._action("Cancel Job", self.controller.cancel, "Esc")
        self.addAction(self.cancel_action)

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

    # -- files ------------------------------------------------------------------------------
    @Slot()
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", settings.last_folder("open"), IMAGE_FILTER)
        if path:
            settings.remember_folder("open", path)
            self.canvas.open_file(path)

    @Slot()
    def save_as_dialog(self) -> None:
        if not self.canvas.has_image:
            self.show_error("There is nothing to save yet: open, paint or generate an image first.")
            return
        path, chosen = QFileDialog.getSaveFileName(self, "Save image as", settings.last_folder("save"), SAVE_FILTER)
        if path:
            if not Path(path).suffix:
                path += {"JPEG": ".jpg", "WebP": ".webp"}.get(chosen.split(" ")[0], ".png")
            settings.remember_folder("save", path)
            self.save_to(path)

    def save_to(self, path: str | Path) -> bool:
        try:
            save_artwork(path, self.canvas.image_array(), self.canvas.generation_info)
        except GenArtError as exc:
            self.show_error(str(exc))
            return False
        self.status_label.setText(f"Saved {Path(path).name}")
        return True

    # -- jobs -------------------------------------------------------------------------------
    @Slot(object)
    def _generate(self, choice: PromptSettings) -> None:
        builder = self.request_builders.get(choice.model_key)
        if builder is None:
            self.show_error("Choose a model first.")
            return
        try:
            request = builder(choice)
        except GenArtError as exc:
            self.show_error(str(exc))
            return
        self.submit(request)

    def submit(self, request: Request, region: tuple[int, int, int, int] | None = None) -> int:
        """Run ``request`` in the background; its first image lands on the canvas (in ``region``)."""
        job_id = self.controller.submit(request)
        self._job_regions[job_id] = region
        return job_id

    @Slot()
    def run_self_test(self) -> None:
        self.submit(SelfTestRequest(width=512, height=512, steps=24, work_size=512))

    @Slot(str)
    def _on_engine_ready(self, message: str) -> None:
        if not self.controller.busy:
            self.status_label.setText(message)

    @Slot(int, object)
    def _on_job_started(self, job_id: int, request: Request) -> None:
        self.status_label.setText(f"Starting {type(request).__name__.removesuffix('Request')}…")
        self.progress_bar.setRange(0, 0)  # busy until the first progress report

    @Slot(int, object)
    def _on_progress(self, job_id: int, progress: Progress) -> None:
        self.progress_bar.setRange(0, max(1, progress.total))
        self.progress_bar.setValue(progress.step)
        self.status_label.setText(f"{progress.phase} — {progress.step}/{progress.total}")
        if progress.preview is not None:
            self.canvas.set_preview(to_qimage(progress.preview))

    @Slot(int, object)
    def _on_finished(self, job_id: int, result: Result) -> None:
        self.canvas.set_preview(None)
        region = self._job_regions.pop(job_id, None)
        if result.images:
            info = result.infos[0] if result.infos else None
            name = (info.model or "Result") if info else "Result"
            self.canvas.add_result(result.images[0], info, name, region)
        self.status_label.setText("Done")

    @Slot(int, str)
    def _on_failed(self, job_id: int, message: str) -> None:
        self._job_regions.pop(job_id, None)
        self.canvas.set_preview(None)
        self.status_label.setText("Failed")
        self.show_error(message)

    @Slot(int)
    def _on_cancelled(self, job_id: int) -> None:
        self._job_regions.pop(job_id, None)
        self.canvas.set_preview(None)
        self.status_label.setText("Cancelled")

    @Slot(bool)
    def _on_busy_changed(self, busy: bool) -> None:
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.prompt_panel.set_busy(busy)

    # -- messages and lifetime --------------------------------------------------------------
    @Slot(str)
    def show_error(self, message: str) -> None:
        """A non-blocking message box: the app keeps running while it is shown."""
        log.warning("%s", message)
        self.status_label.setText(message.splitlines()[0][:120])
        if self._error_box is not None:
            self._error_box.close()
        self._error_box = QMessageBox(QMessageBox.Icon.Warning, "GenArt Studio", message, parent=self)
        self._error_box.open()

    @property
    def last_error_box(self) -> QMessageBox | None:
        return self._error_box

    @Slot()
    def _update_title(self) -> None:
        self.setWindowTitle("GenArt Studio")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        settings.save_window(self)
        self.controller.shutdown()
        super().closeEvent(event)
