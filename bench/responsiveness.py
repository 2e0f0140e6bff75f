"""Longest stall of the GUI event loop while the worker thread loads torch and runs a CPU-heavy job.

A 5 ms QTimer on the GUI thread records when it fires; a stall is the gap between two firings
minus the interval. Goal: the longest stall while a job runs < 50 ms.
Run: python bench/responsiveness.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer  # noqa: E402 - the platform must be chosen first
from PySide6.QtWidgets import QApplication  # noqa: E402

INTERVAL_MS = 5


class StallMeter:
    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(max(0.0, (now - self._last) * 1000 - INTERVAL_MS))
        self._last = now

    def restart(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def report(self, label: str) -> None:
        gaps = self.gaps or [0.0]
        print(
            f"{label:<34} longest stall {max(gaps):6.1f} ms, 99th percentile "
            f"{statistics.quantiles(gaps, n=100)[98] if len(gaps) > 100 else max(gaps):6.1f} ms, ticks {len(gaps)}"
        )


def main() -> None:
    from desktop_app.main_window import MainWindow
    from genart_core.requests.selftest import SelfTestRequest

    app = QApplication(sys.argv[:1])
    window = MainWindow()
    window.show()
    meter = StallMeter()

    def start_job() -> None:
        meter.report("while torch loads on the worker")
        meter.restart()
        window.submit(SelfTestRequest(width=768, height=768, steps=40, work_size=768, preview_every=2))

    def finish(*_args) -> None:
        meter.report("while a CPU-heavy job runs")
        window.close()
        app.quit()

    window.controller.engine_ready.connect(start_job)
    window.controller.finished.connect(finish)
    window.controller.failed.connect(finish)
    meter.restart()
    window.controller.warm_up()
    app.exec()
    print(f"threads: torch uses all {os.cpu_count()} cores on the worker; goal: longest stall < 50 ms while a job runs")


if __name__ == "__main__":
    main()
