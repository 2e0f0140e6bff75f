"""The prompt panel's diffusion models: those installed, those in the Hugging Face cache (scanned
off the GUI thread after start-up) and those added with Add model…, all with one request builder."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.hires_group import installed_upscalers
from desktop_app.prompt_panel import DiffusionRequestBuilder

if TYPE_CHECKING:
    from desktop_app.main_window import MainWindow

HUB_CACHE_SCAN_DELAY_MS = 1000


class HubCacheScan(QObject):
    """The Hugging Face cache's models, read on a thread of their own: importing huggingface_hub and
    reading the cache took ~90 ms on the GUI thread (quiet 2-core CPU), a stall a brush stroke
    painted just after start-up could feel (bench/instant_gui.py found it in Live mode). ``found``
    is delivered on the GUI thread, where the panel is changed."""

    found = Signal(list)  # list[sd_models.ModelSpec]

    def start(self) -> None:
        threading.Thread(target=self._scan, name="hub-cache-scan", daemon=True).start()

    def _scan(self) -> None:
        from genart_core import sd_models

        self.found.emit(sd_models.readable_cached_hub_models())  # it logs and returns [] for a strange cache


def connect_diffusion(window: "MainWindow") -> None:
    """Register the installed diffusion models with the window, wire Add model… and the preview strip."""
    from genart_core import sd_models

    panel = window.prompt_panel
    builder = DiffusionRequestBuilder(window.canvas)

    panel.hires.set_upscalers(installed_upscalers())
    installed = sd_models.installed_models()
    for spec in installed:
        window.add_prompt_model(spec.label, spec.key, builder)
    offline = next((spec.key for spec in installed if spec.is_offline), None)
    if offline:
        panel.select_model(offline)

    def add_cached_hub_models(specs: list) -> None:
        if window.compute.choice.on_server:  # the panel lists the server's models instead
            return
        for spec in specs:
            window.add_prompt_model(spec.label, spec.key, builder)  # the panel skips models it lists already

    # Start-up does not wait for the scan of the Hugging Face cache.
    panel.restore_choices()
    panel.hub_cache_scan = scan = HubCacheScan(panel)
    scan.found.connect(add_cached_hub_models)
    QTimer.singleShot(HUB_CACHE_SCAN_DELAY_MS, scan.start)
    panel.add_model_requested.connect(lambda: _open_model_dialog(window, builder))
    window.controller.job_started.connect(panel.start_previews)


def _open_model_dialog(window: "MainWindow", builder: DiffusionRequestBuilder) -> None:
    from desktop_app.model_dialog import ModelDialog

    dialog = ModelDialog(window)
    dialog.model_added.connect(lambda key, label: (window.add_prompt_model(label, key, builder), window.prompt_panel.select_model(key)))
    dialog.open()
