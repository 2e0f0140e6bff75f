"""Add model…: a Hugging Face id (downloaded with progress and Cancel), a folder or a .safetensors file.

The download runs on its own QThread (not the inference worker's, so a generation can go on
meanwhile); Cancel sets the token, the transfer stops, and the partial file resumes next time.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from genart_core.api import Cancelled, CancelToken, GenArtError

log = logging.getLogger(__name__)

SUGGESTION = (
    "A Hugging Face model id such as <b>stabilityai/sd-turbo</b> (a good first model on a CPU: "
    "one step per image, about 2.5 GB), a diffusers model folder, or a <b>.safetensors</b> checkpoint. "
    "Without a network, the built-in offline model still works."
)


class _AddWorker(QObject):
    progress = Signal(int, int, str)  # bytes done, bytes in all, file
    added = Signal(str, str)  # key, label
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, source: str, token: CancelToken) -> None:
        super().__init__()
        self._source, self._token = source, token

    @Slot()
    def run(self) -> None:
        from genart_core import sd_models

        try:
            spec = sd_models.add_model(self._source, self.progress.emit, self._token)
        except Cancelled:
            self.cancelled.emit()
        except GenArtError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # anything else still reaches the user as a message
            log.exception("Adding %s failed", self._source)
            self.failed.emit(f"Could not add the model: {type(exc).__name__}: {exc}")
        else:
            self.added.emit(spec.key, spec.label)


class ModelDialog(QDialog):
    model_added = Signal(str, str)  # key, label

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add model")
        self.setMinimumWidth(480)
        self.source = QLineEdit()
        self.source.setPlaceholderText("stabilityai/sd-turbo, a folder or a .safetensors file")
        folder_button = QPushButton("Folder…")
        folder_button.clicked.connect(self._choose_folder)
        file_button = QPushButton("File…")
        file_button.clicked.connect(self._choose_file)
        row = QHBoxLayout()
        row.addWidget(self.source, 1)
        row.addWidget(folder_button)
        row.addWidget(file_button)
        hint = QLabel(SUGGESTION)
        hint.setWordWrap(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.buttons = QDialogButtonBox()
        self.add_button = self.buttons.addButton("Add", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.add_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._thread: QThread | None = None
        self._worker: _AddWorker | None = None
        self._token: CancelToken | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None

    @Slot()
    def start(self) -> None:
        source = self.source.text().strip()
        if not source or self.busy:
            return
        self._token = CancelToken()
        self._thread = QThread(self)
        self._worker = _AddWorker(source, self._token)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._thread.finished.connect(self._worker.deleteLater)
        self._worker.progress.connect(self._on_progress)
        self._worker.added.connect(self._on_added)
        self._worker.failed.connect(self._on_failed)
        self._worker.cancelled.connect(self._on_cancelled)
        self.add_button.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.status.setText(f"Adding {source}…")
        self._thread.start()

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, filename: str) -> None:
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(1000 * done / total) if total else 0)
        self.status.setText(f"Downloading {filename.split('/')[-1]} — {done / 1e6:.0f} of {total / 1e6:.0f} MB")

    @Slot(str, str)
    def _on_added(self, key: str, label: str) -> None:
        self._finish()
        self.model_added.emit(key, label)
        self.accept()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._finish()
        self.status.setText(message)

    @Slot()
    def _on_cancelled(self) -> None:
        self._finish()
        self.status.setText("Download cancelled. Adding it again resumes where it stopped.")

    @Slot()
    def _cancel(self) -> None:
        if self.busy and self._token is not None:
            self._token.cancel()
            self.status.setText("Cancelling…")
        else:
            self.reject()

    def _finish(self) -> None:
        self.add_button.setEnabled(True)
        self.progress.setVisible(False)
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
            self._thread = None

    def done(self, result: int) -> None:  # closing the dialog stops a download first
        if self.busy and self._token is not None:
            self._token.cancel()
            self._thread.quit()
            # The transfer stops at its next chunk; a stalled connection must not freeze the window.
            self._thread.wait(5000)
        super().done(result)

    @Slot()
    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Diffusers model folder")
        if folder:
            self.source.setText(folder)

    @Slot()
    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Checkpoint", "", "Safetensors checkpoint (*.safetensors)")
        if path:
            self.source.setText(path)

