"""The Queue dock: what runs, what waits its turn, and the last few jobs that failed.

The running job shows its phase and progress in a bar; each row has its own Cancel (✕); waiting jobs move up and down
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
STATE_WIDTH = 120  # pixels: room for a phase ("Denoising") and a bar, while the name keeps the rest
NAME, STATE, ACTION = range(3)  # the running job's STATE cell holds its phase and progress bar


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
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("QueueTable")
        self.table.setHorizontalHeaderLabels(["Job", "State", ""])
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)  # the dock is narrow: a long name takes two lines
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(STATE, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(STATE, STATE_WIDTH)
        header.setSectionResizeMode(ACTION, QHeaderView.ResizeMode.ResizeToContents)
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
        widget = self.table.cellWidget(row, STATE)
        return widget.bar if isinstance(widget, _RunningCell) else None

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
        self.table.resizeRowsToContents()
        cell = self.table.cellWidget(0, STATE)
        if isinstance(cell, _RunningCell):  # the row's own size hint leaves the bar over the phase
            self.table.setRowHeight(0, max(self.table.rowHeight(0), cell.sizeHint().height()))
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
        # The running job's cell widget shows its state; text under it would show through.
        state = QTableWidgetItem("" if job.state is JobState.RUNNING else state_text(job))
        state.setToolTip(job.error or state_text(job))
        self.table.setItem(row, NAME, name)
        self.table.setItem(row, STATE, state)
        self.table.removeCellWidget(row, STATE)
        if job.state is JobState.RUNNING:
            cell = _RunningCell()
            self.table.setCellWidget(row, STATE, cell)
            cell.show_progress(job)
        button = QToolButton()
        button.setAutoRaise(True)
        button.setText("✕")
        if job.active:
            button.setToolTip("Cancel this job only")
            button.clicked.connect(job.cancel)
        else:
            button.setToolTip("Dismiss: remove this failed job from the list")
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
            cell = self.table.cellWidget(0, STATE)
            if isinstance(cell, _RunningCell):
                cell.show_progress(job)

    @Slot(object, str)
    def _on_failed(self, job: Job, _message: str) -> None:
        self._failed.appendleft(job)  # queue_changed follows and shows it


class _RunningCell(QWidget):
    """The running job's phase (or Cancelling…) above its progress bar."""

    def __init__(self) -> None:
        super().__init__()
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setFormat("%v/%m")
        self.bar.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 1, 2, 1)
        layout.setSpacing(0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)

    def show_progress(self, job: Job) -> None:
        self.label.setText(state_text(job))
        self.setToolTip(state_text(job))
        progress = job.last_progress
        if progress is None:
            self.bar.setRange(0, 0)  # busy until the first report
            return
        self.bar.setRange(0, max(1, progress.total))
        self.bar.setValue(progress.step)
