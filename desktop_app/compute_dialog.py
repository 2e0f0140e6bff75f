"""Settings ▸ Compute: run jobs on this computer or on a GenArt server (address + token), with a
Test button that asks the server about its devices and models without freezing the window."""

from __future__ import annotations

from concurrent.futures import Future

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.compute import SERVER, THIS_COMPUTER, ComputeChoice, describe_server, server_address
from desktop_app.server_info import ask_server_info, call_when_done
from genart_core.api import GenArtError

HELP_TEXT = (
    "With a server, style transfer, GAN/VAE sampling and training and diffusion run there, with the same "
    "progress, previews, Cancel and Stop & Keep. Start one on a GPU machine with <tt>genart serve --host 0.0.0.0</tt>; "
    "it prints the token. Instant style previews stay on this computer: they take under a tenth of a second, "
    "less than a trip to a server. The token is kept in this app's settings file."
)


class ComputeDialog(QDialog):
    def __init__(self, choice: ComputeChoice, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compute")
        self.this_computer = QRadioButton("This computer")
        self.server = QRadioButton("Server")
        self._where = QButtonGroup(self)
        self._where.addButton(self.this_computer)
        self._where.addButton(self.server)
        self.url = QLineEdit(choice.server_url)
        self.url.setPlaceholderText("http://gpu-box:8765")
        self.token = QLineEdit(choice.token)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("the token `genart serve` printed")
        self.test_button = QPushButton("Test")
        self.test_button.setToolTip("Ask the server for its devices and models")
        self.test_button.clicked.connect(self.test)
        self.answer = QLabel()
        self.answer.setWordWrap(True)
        self.answer.setTextFormat(Qt.TextFormat.PlainText)  # the server's answer is not ours to render
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setMinimumWidth(520)
        help_label = QLabel(HELP_TEXT)
        help_label.setWordWrap(True)
        help_label.setTextFormat(Qt.TextFormat.RichText)

        server_form = QFormLayout()
        server_form.addRow("Address", self.url)
        server_form.addRow("Token", self.token)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        server_form.addRow("", test_row)
        self._server_fields = QWidget()
        self._server_fields.setLayout(server_form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Run jobs on:"))
        layout.addWidget(self.this_computer)
        layout.addWidget(self.server)
        layout.addWidget(self._server_fields)
        layout.addWidget(self.answer)
        layout.addWidget(help_label)
        layout.addWidget(self.buttons)
        self.server.toggled.connect(self._server_fields.setEnabled)
        (self.server if choice.on_server else self.this_computer).setChecked(True)
        self._server_fields.setEnabled(choice.on_server)

    def choice(self) -> ComputeChoice:
        """What the dialog shows; GenArtError when Server is chosen without a usable address or token."""
        url_text, token = self.url.text().strip(), self.token.text().strip()
        if not self.server.isChecked():
            # A half-typed address is not kept: only one that was usable.
            try:
                url = server_address(url_text) if url_text else ""
            except GenArtError:
                url = ""
            return ComputeChoice(THIS_COMPUTER, url, token)
        url = server_address(url_text)
        if not token:
            raise GenArtError("Enter the server's token (`genart serve` prints it when it starts).")
        return ComputeChoice(SERVER, url, token)

    @Slot()
    def test(self) -> None:
        try:
            choice = ComputeChoice(SERVER, server_address(self.url.text()), self.token.text().strip())
        except GenArtError as exc:
            self._show_answer(str(exc), failed=True)
            return
        self.test_button.setEnabled(False)
        self._show_answer(f"Contacting {choice.server_url}…", failed=False)
        call_when_done(ask_server_info(choice), self, self._on_answer)

    def _on_answer(self, answer: Future) -> None:
        self.test_button.setEnabled(True)
        error = answer.exception()
        if error is None:
            self._show_answer(describe_server(answer.result()), failed=False)
        elif isinstance(error, GenArtError):
            self._show_answer(str(error), failed=True)
        else:
            self._show_answer(f"The test failed: {type(error).__name__}: {error}", failed=True)

    def _show_answer(self, text: str, failed: bool) -> None:
        self.answer.setStyleSheet("color: #b00020;" if failed else "")
        self.answer.setText(text)
        self.adjustSize()  # a longer answer must not push the help text out of the dialog

    def accept(self) -> None:
        try:
            self.choice()
        except GenArtError as exc:
            self._show_answer(str(exc), failed=True)
            return
        super().accept()
