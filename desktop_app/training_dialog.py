"""Train on folder…: choose data, method, epochs and a name; watch samples, losses and diversity live.

For a VAE, two terms against its blur can be added: a perceptual (VGG-19 feature) reconstruction
term and an adversarial patch term (a VAE-GAN); both are 0 (off) unless chosen.

The model is written to paths.models_dir()/<name> at every checkpoint, so it is saved as it
trains; Cancel stops and keeps the last checkpoint, and Train again with the same choices resumes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from desktop_app.jobs import Job
from desktop_app.loss_plot import LossPlot
from desktop_app.qimage import show_in_label
from desktop_app.seed_field import SeedField
from genart_core import paths
from genart_core.api import Progress, Result
from genart_core.requests.generative import BUNDLED_DATA, TrainRequest

if TYPE_CHECKING:
    from desktop_app.main_window import MainWindow

METHODS = (("GAN (tutorial BCE loss)", "gan"), ("WGAN-GP", "wgan-gp"), ("VAE", "vae"))


class TrainingDialog(QDialog):
    model_saved = Signal(str)  # the trained model's name, once training has finished

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.setWindowTitle("Train a GAN or VAE")
        self.setObjectName("TrainingDialog")
        self._window = window
        self._job: Job | None = None

        self.data_edit = QLineEdit(BUNDLED_DATA[0])
        self.data_edit.setToolTip("A folder of images, or bundled:digits, bundled:sklearn-digits, bundled:faces")
        browse = QPushButton("Folder…")
        browse.clicked.connect(self._browse)
        data_row = QHBoxLayout()
        data_row.addWidget(self.data_edit, 1)
        data_row.addWidget(browse)
        self.method_combo = QComboBox()
        for label, method in METHODS:
            self.method_combo.addItem(label, method)
        self.size_combo = QComboBox()
        for size in (28, 32, 64):
            self.size_combo.addItem(f"{size}×{size}", size)
        self.colour_combo = QComboBox()
        self.colour_combo.addItem("Greyscale", 1)
        self.colour_combo.addItem("Colour", 3)
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 1000)
        self.epochs_spin.setValue(5)
        self.seed_field = SeedField()
        self.perceptual_spin = _weight_spin(
            "Weight of a VGG-19 feature (perceptual) reconstruction term: sharper strokes than the pixel loss alone. "
            "Slower to train. 0 = off; 1 is about as strong as the pixel loss."
        )
        self.adversarial_spin = _weight_spin(
            "Weight of an adversarial patch term (a small PatchGAN judges a 7×7 grid of overlapping 18-pixel patches), making a VAE-GAN: crisper samples, "
            "less stable training. 0 = off; try 0.05–0.2."
        )
        self.method_combo.currentIndexChanged.connect(self._method_changed)
        self._method_changed()
        self.name_edit = QLineEdit("my-model")
        form = QFormLayout()
        form.addRow("Images", data_row)
        form.addRow("Method", self.method_combo)
        form.addRow("Size", self.size_combo)
        form.addRow("Colour", self.colour_combo)
        form.addRow("Epochs", self.epochs_spin)
        form.addRow("Seed", self.seed_field)
        form.addRow("Perceptual weight", self.perceptual_spin)
        form.addRow("Adversarial weight", self.adversarial_spin)
        form.addRow("Save as", self.name_edit)

        self.samples_label = QLabel("Samples appear here while training")
        self.samples_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.samples_label.setMinimumSize(240, 240)
        self.plot = LossPlot()
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.diversity_label = QLabel("")
        self.diversity_label.setToolTip(
            "Mode-collapse signal: spread of the samples relative to the data (≈1 good, near 0 collapsed); classes reached "
            "where the data has labels. Sharpness: the samples' edge energy relative to the data's (≈1 as crisp, lower blurrier)"
        )
        self.train_button = QPushButton("Train")
        self.train_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.cancel_button)

        live = QHBoxLayout()
        live.addWidget(self.samples_label)
        right = QVBoxLayout()
        right.addWidget(self.plot, 1)
        right.addWidget(self.diversity_label)
        live.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(live, 1)
        layout.addWidget(self.status_label)
        layout.addLayout(buttons)

    @property
    def running(self) -> bool:
        return self._job is not None

    def request(self) -> TrainRequest:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", self.name_edit.text().strip()).strip("-.") or "my-model"
        return TrainRequest(
            data=self.data_edit.text().strip(), out=str(paths.models_dir() / name), method=self.method_combo.currentData(),
            name=name, epochs=self.epochs_spin.value(), image_size=self.size_combo.currentData(),
            channels=self.colour_combo.currentData(), seed=self.seed_field.value(),
            **self._sharpening_weights(),
        )

    def _sharpening_weights(self) -> dict[str, float]:
        if self.method_combo.currentData() != "vae":
            return {}
        return {"perceptual_weight": self.perceptual_spin.value(), "adversarial_weight": self.adversarial_spin.value()}

    @Slot()
    def _method_changed(self) -> None:
        is_vae = self.method_combo.currentData() == "vae"
        self.perceptual_spin.setEnabled(is_vae)
        self.adversarial_spin.setEnabled(is_vae)

    @Slot()
    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of training images")
        if folder:
            self.data_edit.setText(folder)

    @Slot()
    def start(self) -> None:
        self._watch(self._window.submit(self.request(), to_canvas=False))

    def _watch(self, job: Job) -> None:
        """Follow ``job`` (and, if its server is lost, its rerun on this computer) in the dialog."""
        self.plot.clear()
        self.diversity_label.setText("")
        self._job = job
        job.follow_rerun = self._watch
        job.progress.connect(self._on_progress)
        job.finished.connect(self._on_finished)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(self._on_cancelled)
        request = job.request
        waits = "" if job is self._window.controller.current_job else " It starts when the jobs before it in the queue have ended."
        self.status_label.setText(f"Training {request.name} — it is saved to {request.out} as it goes.{waits}")
        self.train_button.setEnabled(False)
        self.cancel_button.setEnabled(True)

    @Slot()
    def cancel(self) -> None:
        """Cancel this training run (and nothing else), whether it runs or still waits."""
        if self._job is not None:
            self._job.cancel()

    def _end(self, message: str) -> None:
        self._job = None
        self.status_label.setText(message)
        self.train_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    @Slot(object, object)
    def _on_progress(self, _job: Job, progress: Progress) -> None:
        losses = progress.extras.get("losses")
        if losses:
            self.plot.add(progress.step, losses)
            shown = ", ".join(f"{k} {v:.3g}" for k, v in losses.items())
            self.status_label.setText(f"Step {progress.step}/{progress.total}, epoch {progress.extras.get('epoch', 0):.1f} — {shown}")
        else:
            self.status_label.setText(progress.phase)
        figures = progress.extras.get("diversity")
        if figures:
            text = f"Diversity {figures['diversity']:.2f}"
            if "classes_seen" in figures:
                text += f" · classes {figures['classes_seen']} ({figures['class_coverage']:.0%})"
            if "sharpness" in figures:
                text += f" · sharpness {figures['sharpness']:.2f}"
            self.diversity_label.setText(text)
        if progress.preview is not None:
            show_in_label(self.samples_label, progress.preview)

    @Slot(object, object)
    def _on_finished(self, _job: Job, result: Result) -> None:
        card = result.extras["card"]
        self._end(f"Saved “{card['name']}”: {card['steps']} steps in {card['wall_time_s']:.0f} s. Choose it in the Generate panel.")
        self.model_saved.emit(card["name"])

    @Slot(object, str)
    def _on_failed(self, _job: Job, message: str) -> None:
        self._end(f"Training failed: {message}")

    @Slot(object)
    def _on_cancelled(self, _job: Job) -> None:
        self._end("Cancelled — the last checkpoint is kept; Train again with the same choices to resume.")
        self.model_saved.emit(self.request().name)


def _weight_spin(tooltip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0.0, 100.0)
    spin.setDecimals(2)
    spin.setSingleStep(0.05)
    spin.setSpecialValueText("Off")  # shown at 0
    spin.setToolTip(tooltip)
    return spin
