"""Frame times of painting and zooming on a 4096×4096 canvas (goal: under 16 ms per frame).

A "frame" is the work for one input event plus the synchronous repaint it causes:
  stroke  - one mouse move of a brush stroke (dabs, blend, recomposite of the dirty rect, repaint)
  zoom    - one wheel step (repaint of the whole view)
  pan     - one drag step of the view
Run: QT_QPA_PLATFORM=offscreen python bench/canvas.py [--size 4096] [--view 1600x1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QPointF  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop_app.canvas import Canvas  # noqa: E402


def _photo(size: int) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    return (np.dstack([x, y, 0.5 + 0.5 * np.sin(12 * x * y)]) * 255).astype(np.uint8)


def _report(name: str, times: list[float]) -> None:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    print(f"{name:<44} median {statistics.median(ms):6.2f} ms   p95 {p95:6.2f} ms   max {ms[-1]:6.2f} ms   (n={len(ms)})")


def _stroke(canvas: Canvas, points: list[QPointF]) -> list[float]:
    times = []
    start = time.perf_counter()
    canvas.begin_stroke(points[0])
    canvas.repaint()
    times.append(time.perf_counter() - start)
    for point in points[1:]:
        start = time.perf_counter()
        canvas.continue_stroke(point, 0.8)
        canvas.repaint()  # synchronous: the paint event runs now and is timed
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    canvas.end_stroke()
    times.append(time.perf_counter() - start)  # includes building the undo record
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--view", default="1600x1000")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    canvas = Canvas()
    width, height = (int(v) for v in args.view.split("x"))
    canvas.resize(width, height)
    canvas.show()
    started = time.perf_counter()
    canvas.set_image(_photo(args.size))
    print(f"{args.size}×{args.size} document, {width}×{height} view; opened in {(time.perf_counter() - started) * 1000:.0f} ms")
    canvas.add_result(_photo(args.size)[::-1].copy(), None, "Result layer")  # three layers, as after a stylisation
    canvas.document.set_active(canvas.document.layers[1])
    app.processEvents()

    # A mouse typically reports every 8-16 ms; at normal drawing speed that is 5-30 image px apart.
    path = [QPointF(500 + 12 * i, 800 + 300 * np.sin(i / 15)) for i in range(200)]
    for zoom_name, set_zoom in (("fit", canvas.zoom_to_fit), ("100 %", canvas.zoom_actual_size)):
        set_zoom()
        if zoom_name == "100 %":  # bring the stroke's start into view: image (400, 400) at the view's corner
            corner = canvas.image_rect().topLeft()
            canvas.pan_by(-400 - corner.x(), -400 - corner.y())
        for size in (12, 60, 200):
            canvas.brush.size = size
            _report(f"stroke, brush {size:>3} px, zoom {zoom_name}", _stroke(canvas, path)[1:-1])

    canvas.brush.size = 60
    ends = [_stroke(canvas, path)[-1] for _ in range(5)]
    _report("end of stroke (undo record of changed tiles)", ends)
    undo_times = []
    for _ in range(5):
        start = time.perf_counter()
        canvas.undo_stack.undo()
        canvas.repaint()
        undo_times.append(time.perf_counter() - start)
    _report("undo one stroke", undo_times)

    canvas.zoom_to_fit()
    zoom_times = []
    anchor = QPointF(width / 2, height / 2)
    for factor in [1.25] * 14 + [0.8] * 14:
        start = time.perf_counter()
        canvas.zoom_by(factor, anchor)
        canvas.repaint()
        zoom_times.append(time.perf_counter() - start)
    _report("zoom step (fit .. 4.4x and back), full repaint", zoom_times)
    print("   zoom steps, ms:", " ".join(f"{t * 1000:.0f}" for t in zoom_times))
    pan_times = []
    for step in range(40):
        start = time.perf_counter()
        canvas.pan_by(7, 3 if step % 2 else -3)
        canvas.repaint()
        pan_times.append(time.perf_counter() - start)
    _report("pan step at fit zoom, full repaint", pan_times)
    print(f"undo memory in RAM: {canvas.undo_memory.resident_bytes() / 2**20:.1f} MB")
    canvas.close()


if __name__ == "__main__":
    main()
