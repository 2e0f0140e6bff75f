"""The app's side of remote compute: Settings ▸ Compute…, the "Compute: …" status bar label, the
prompt panel's and the Generate panel's model lists (the server's models when a server is chosen), and the offer to run a
job on this computer when its server failed it or went away."""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSignalBlocker, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenu, QMessageBox

from desktop_app.compute import ComputeChoice, remember_choice, server_gan_vae_models, server_models, stored_choice
from desktop_app.compute_dialog import ComputeDialog
from desktop_app.prompt_panel import DiffusionRequestBuilder
from desktop_app.server_info import ask_server_info, call_when_done
from desktop_app.jobs import Destination, Job
from genart_core.api import GenArtError

if TYPE_CHECKING:
    from desktop_app.main_window import MainWindow

log = logging.getLogger(__name__)


class ComputeSwitch(QObject):
    def __init__(self, window: "MainWindow", menu: QMenu) -> None:
        super().__init__(window)
        self._window = window
        self.choice = stored_choice()
        self.status = QLabel(self.choice.describe())
        self.status.setToolTip("Where jobs run; change it in Settings ▸ Compute…")
        window.statusBar().addPermanentWidget(self.status)
        self.action = QAction("&Compute…", window)
        self.action.triggered.connect(self.open_dialog)
        menu.addAction(self.action)
        self.dialog: ComputeDialog | None = None
        self.fallback_box: QMessageBox | None = None
        self._use(self.choice, at_start=True)

    # -- choosing ------------------------------------------------------------------------------
    @Slot()
    def open_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()  # an earlier one, closed; its unfinished Test is dropped with it
        self.dialog = ComputeDialog(self.choice, self._window)
        self.dialog.accepted.connect(self._on_dialog_accepted)
        self.dialog.open()

    @Slot()
    def _on_dialog_accepted(self) -> None:
        choice = self.dialog.choice()  # the dialog accepts only a valid choice
        remember_choice(choice)
        if choice != self.choice:
            self._use(choice)

    def _use(self, choice: ComputeChoice, at_start: bool = False) -> None:
        self.choice = choice
        self._window.controller.use_compute(choice)
        if not at_start:  # at start the app warms the engine up once the window is shown
            self._window.controller.warm_up()
        self.status.setText(choice.describe())
        # Adding a model names a file or a download on this computer, which a server cannot use.
        self._window.prompt_panel.add_model_button.setEnabled(not choice.on_server)
        if choice.on_server:
            # No need to wait for the prompt panel's late scan of this computer's Hugging Face
            # cache: what it finds while a server is chosen is not added (prompt_models).
            self._ask_for_models(choice)
        elif not at_start:  # at start the panels list this computer's models themselves
            self._list_local_models()
            self._window.generate_panel.use_model_source(None)

    # -- the prompt panel's models ---------------------------------------------------------------
    def _ask_for_models(self, choice: ComputeChoice) -> None:
        if choice == self.choice:
            call_when_done(ask_server_info(choice), self, lambda answer: self._list_server_models(choice, answer))

    def _list_server_models(self, asked: ComputeChoice, answer: Future) -> None:
        if asked != self.choice:
            return  # the user chose again meanwhile
        try:
            info = answer.result()
        except GenArtError as exc:
            self._window.show_status(f"Could not list the server's models: {exc}")
            return
        self._list_models([(model["label"], model["key"]) for model in server_models(info)])
        gan_vae = server_gan_vae_models(info)
        self._window.generate_panel.use_model_source(lambda: gan_vae)

    def _list_local_models(self) -> None:
        from genart_core import sd_models

        specs = {spec.key: spec for spec in sd_models.installed_models()}
        for spec in sd_models.readable_cached_hub_models():
            specs.setdefault(spec.key, spec)
        self._list_models([(spec.label, spec.key) for spec in specs.values()])

    def _list_models(self, models: list[tuple[str, str]]) -> None:
        """The diffusion models in the prompt panel become ``models``; the other entries (the
        diagnostic pattern) stay, and so does the chosen model when it is still listed."""
        window, panel = self._window, self._window.prompt_panel
        chosen = panel.model.currentData()
        keys = [key for _, key in models]
        # Quietly, so a model that stays chosen keeps the steps and guidance set for it (the
        # panel resets them when the chosen model changes family).
        with QSignalBlocker(panel.model):
            for key, builder in list(window.request_builders.items()):
                if isinstance(builder, DiffusionRequestBuilder):
                    del window.request_builders[key]
                    panel.remove_model(key)
            builder = DiffusionRequestBuilder(window.canvas)
            for label, key in models:
                window.add_prompt_model(label, key, builder)
            if chosen in keys:
                panel.select_model(chosen)
        if chosen not in keys and keys:
            panel.select_model(next((key for key in keys if key.startswith("offline:")), keys[0]))

    # -- a server that failed a job ----------------------------------------------------------------
    def offer_local_run(self, job: Job, message: str) -> bool:
        """For a failed job: when its server could not be reached or went away, ask (without blocking) whether to run the same
        request on this computer, and say True; False for other failures, for the caller to show.
        A panel job (GAN/VAE, training) is offered one when its panel can follow the rerun."""
        followed = job.destination is Destination.CANVAS or job.follow_rerun is not None
        if not (job.server_lost and job.compute.on_server and followed):
            return False
        if self.fallback_box is not None:
            self.fallback_box.close()
        box = QMessageBox(QMessageBox.Icon.Warning, "GenArt Studio",
                          f"{message}\n\nRun the same job on this computer instead? The server stays chosen for later jobs.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self._window)
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.finished.connect(lambda _result: self._on_fallback_answer(box, job))
        self.fallback_box = box
        box.open()
        return True

    def _on_fallback_answer(self, box: QMessageBox, job: Job) -> None:
        if self.fallback_box is box:
            self.fallback_box = None
        if box.clickedButton() is box.button(QMessageBox.StandardButton.Yes):
            self.run_here_once(job)

    def run_here_once(self, failed: Job) -> Job:
        """Run a failed job's request again on this computer; later jobs go where the choice says."""
        job = self._window.controller.submit(
            failed.request, name=failed.name, destination=failed.destination, region=failed.region,
            replaces=failed.replaces, compute=self.choice.locally(),
        )
        if failed.follow_rerun is not None:
            failed.follow_rerun(job)
        self._window.show_status("Running the job on this computer…")
        return job
