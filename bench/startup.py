"""Time from process start to the main window being on screen, against a bare PySide6 window.

Each figure is the median of several fresh processes; the ratio goal is ≤ 1.5.
Run: python bench/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

# The child prints when the window has been shown and the event loop has run once (it is on screen).
_CHILD_PREFIX = (
    "import sys\n"
    "from PySide6.QtCore import QTimer\n"
    "from PySide6.QtWidgets import QApplication\n"
    "app = QApplication(sys.argv[:1])\n"
)
BARE = _CHILD_PREFIX + (
    "from PySide6.QtWidgets import QMainWindow\n"
    "window = QMainWindow(); window.resize(1280, 800); window.show()\n"
)
GENART = _CHILD_PREFIX + (
    "from desktop_app.main_window import MainWindow\n"
    "window = MainWindow(); window.show()\n"
)
_CHILD_SUFFIX = "QTimer.singleShot(0, lambda: (print('shown', flush=True), window.close(), app.quit()))\napp.exec()\n"


def time_to_window(script: str) -> float:
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", script + _CHILD_SUFFIX], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert child.stdout is not None
    line = child.stdout.readline()
    elapsed = time.perf_counter() - started
    child.wait(timeout=60)
    if line.strip() != "shown":
        raise RuntimeError("the window never showed")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    time_to_window(GENART)  # warm the file cache so both sides are measured alike
    bare = [time_to_window(BARE) for _ in range(args.runs)]
    genart = [time_to_window(GENART) for _ in range(args.runs)]
    bare_s, genart_s = statistics.median(bare), statistics.median(genart)
    print(f"platform: {os.environ['QT_QPA_PLATFORM']}, runs: {args.runs} (medians)")
    print(f"bare PySide6 window:      {bare_s * 1000:7.0f} ms")
    print(f"GenArt Studio main window: {genart_s * 1000:7.0f} ms")
    print(f"ratio: {genart_s / bare_s:.2f} (goal ≤ 1.5)")


if __name__ == "__main__":
    main()
