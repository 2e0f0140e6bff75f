"""The Queue dock: what runs, what waits its turn, and the last few jobs that failed.

The running job shows its progress; each row has its own Cancel; waiting jobs move up and down
(what runs next is the top one); Cancel all empties the queue. Finished and cancelled jobs drop
out; the last FAILED_KEPT failures stay, with their message, until dismissed.
"""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.inference import InferenceController
from desktop_app.jobs import Job, JobState
from genart_core.api import Progress

FAILED_KEPT = 3
NAME, STATE, PROGRESS, ACTION = range(4)


def state_text(job: Job) -> str:
    if job.state is JobState.RUNNING and job.token.cancelled:
        return "Stopping…" if job.token.keep_partial else "Cancelling…"
    if job.state is JobState.RUNNING and job.last_progress is not None:
        return job.last_progress.phase or "Running"
    if job.state is JobState.FAILED:
        return f"Failed: {job.error.splitlines()[0] if job.error else ''}"
    return job.state.value


class QueuePanel(QWidget):
    def __init__(self, controller: InferenceController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._rows: list[Job] = []  # the job each table row shows, top to bottom
        self._failed: deque[Job] = deque(maxlen=FAILED_KEPT)  # newest first

        self.summary = QLabel()
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("QueueTable")
        self.table.setHorizontalHeaderLabels(["Job", "State", "Progress", ""])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        for column in (STATE, PROGRESS, ACTION):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.up_button = QPushButton("Move up")
        self.up_button.setToolTip("Run the selected waiting job sooner")
        self.up_button.clicked.connect(lambda: self._move_selected(-1))
        self.down_button = QPushButton("Move down")
        self.down_button.setToolTip("Run the selected waiting job later")
        self.down_button.clicked.connect(lambda: self._move_selected(1))
        self.cancel_all_button = QPushButton("Cancel all")
        self.cancel_all_button.setToolTip("Cancel the running job and every waiting one")
        self.cancel_all_button.clicked.connect(controller.cancel_all)
        buttons = QHBoxLayout()
        buttons.addWidget(self.up_button)
        buttons.addWidget(self.down_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_all_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        controller.queue_changed.connect(self.refresh)
        controller.progress.connect(self._on_progress)
        controller.failed.connect(self._on_failed)
        self.refresh()

    @property
    def rows(self) -> tuple[Job, ...]:
        return tuple(self._rows)

    def progress_bar(self, row: int) -> QProgressBar | None:
        widget = self.table.cellWidget(row, PROGRESS)
        return widget if isinstance(widget, QProgressBar) else None

    def row_button(self, row: int) -> QToolButton | None:
        widget = self.table.cellWidget(row, ACTION)
        return widget if isinstance(widget, QToolButton) else None

    @Slot()
    def refresh(self) -> None:
        """Rebuild the rows from the controller (a handful at most, so rebuilding is cheap)."""
        selected = self._selected()
        running = self._controller.current_job
        waiting = self._controller.waiting_jobs
        self._rows = ([running] if running is not None else []) + list(waiting) + list(self._failed)
        self.table.setRowCount(len(self._rows))
        for row, job in enumerate(self._rows):
            self._fill_row(row, job)
        if selected in self._rows:
            self.table.selectRow(self._rows.index(selected))
        else:
            self.table.clearSelection()
        words = [f"{'1 job' if running else 'Nothing'} running"] + ([f"{len(waiting)} waiting"] if waiting else [])
        self.summary.setText(", ".join(words))
        self.cancel_all_button.setEnabled(self._controller.busy)
        self._update_buttons()

    def _fill_row(self, row: int, job: Job) -> None:
        name = QTableWidgetItem(job.name)
        name.setToolTip(job.name)
        state = QTableWidgetItem(state_text(job))
        state.setToolTip(job.error or state.text())
        self.table.setItem(row, NAME, name)
        self.table.setItem(row, STATE, state)
        self.table.removeCellWidget(row, PROGRESS)
        if job.state is JobState.RUNNING:
            bar = QProgressBar()
            bar.setMaximumWidth(140)
            self.table.setCellWidget(row, PROGRESS, bar)
            _show_progress(bar, job.last_progress)
        button = QToolButton()
        button.setAutoRaise(True)
        if job.active:
            button.setText("Cancel")
            button.setToolTip("Cancel this job only")
            button.clicked.connect(job.cancel)
        else:
            button.setText("Dismiss")
            button.setToolTip("Remove this failed job from the list")
            button.clicked.connect(lambda: self._dismiss(job))
        self.table.setCellWidget(row, ACTION, button)

    def _selected(self) -> Job | None:
        rows = self.table.selectionModel().selectedRows()
        return self._rows[rows[0].row()] if rows and rows[0].row() < len(self._rows) else None

    @Slot()
    def _update_buttons(self) -> None:
        job = self._selected()
        waiting = self._controller.waiting_jobs
        self.up_button.setEnabled(job in waiting and waiting.index(job) > 0)
        self.down_button.setEnabled(job in waiting and waiting.index(job) < len(waiting) - 1)

    def _move_selected(self, offset: int) -> None:
        job = self._selected()
        if job is not None:
            self._controller.move(job, offset)

    def _dismiss(self, job: Job) -> None:
        if job in self._failed:
            self._failed.remove(job)
            self.refresh()

    @Slot(object, object)
    def _on_progress(self, job: Job, progress: Progress) -> None:
        if self._rows and self._rows[0] is job:
            bar = self.progress_bar(0)
            if bar is not None:
                _show_progress(bar, progress)
            self.table.item(0, STATE).setText(state_text(job))

    @Slot(object, str)
    def _on_failed(self, job: Job, _message: str) -> None:
        self._failed.appendleft(job)  # queue_changed follows and shows it


def _show_progress(bar: QProgressBar, progress: Progress | None) -> None:
    if progress is None:
        bar.setRange(0, 0)  # busy until the first report
        return
    bar.setRange(0, max(1, progress.total))
    bar.setValue(progress.step)
    bar.setFormat("%v/%m")
    bar.setAlignment(Qt.AlignmentFlag.AlignCenter)
