"""Instant style in the real app: launch -> first instant result, Live mode's latency and stalls, and
clicks while a style is being learned.

1. Launch: starts the app (``desktop_app.__main__.main``, the same start-up as ``genart-studio``)
   in a fresh process with a photo on the command line (opened as a drop opens it), clicks a
   style as soon as the photo is on the canvas, and measures the wall-clock seconds from before the
   process started to the stylised picture painted on the canvas. The first run starts with an
   empty cache folder (the float graphs are derived from the wheel's files once: a first launch
   ever); the next ones find them cached (every later launch). Goal: <= 2 s. Then, while the app
   loads torch in the background, --slider-moves moves of the strength slider, one after another's
   result, 0.3 s apart: seconds from each move to its picture on the canvas, and the runtime that
   made it (onnxruntime until torch has loaded; a move must not wait for torch's import).
2. Live: in this process, a 512x512 photo (--live-side: another size, the astronaut enlarged; the
   panel's Strokes as it starts, so above 512 px painted at 512 px and enlarged), a style, Live on;
   ten brush strokes through the canvas's own stroke calls. For each: seconds from the stroke's end
   (the release: Live restyles at once) to the restyled picture on the canvas (goal <= 0.15 s), and
   the longest stall of the GUI event loop meanwhile (5 ms QTimer heartbeat; goal < 50 ms). Run
   twice: before torch is loaded (onnxruntime), then after the app's warm-up has loaded it (the
   runtime the instant path then picks, torch in bf16 on this CPU). On torch an update restyles a
   crop around the stroke (genart_core/fast_style/live_update.py): the share of the picture it
   restyled is printed, and after the last stroke the seconds until the settling full pass is on
   the canvas. The strokes follow each other at once (--stroke-gap: seconds of pause between them,
   which lets the settling pass run; --whole-updates: every update restyles the whole picture, as
   before crops, for comparison in one sitting). --strokes 0 skips this part.
3. While learning: in this process, Learn this style on the 512x512 astronaut (the job worker: torch
   on every core for about a minute); once its steps run, --learning-clicks clicks on other styles,
   each timed from the click to its instant result on the canvas.

Run: python bench/instant_gui.py [--launches 3] [--slider-moves 12] [--style Mosaic] [--live-side 1024] [--stroke-gap 0.7] [--learning-clicks 5] [--busy 2]
Prints figures only; load on the machine (uptime) is printed beside them. ``--busy N`` runs N
processes that keep a core each busy beside the app for the whole run (another program at work on
the artist's machine), so the figures under load can be measured again.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's app, whatever is installed

from responsiveness import StallMeter  # noqa: E402 - bench/ scripts share the heartbeat


def _photo(folder: Path) -> Path:
    from skimage import data

    from genart_core.artwork import save_artwork

    return save_artwork(folder / "astronaut.png", data.astronaut())


# -- 1. launch to first result (the child process) -------------------------------------------------
def _child(photo: str, style: str, slider_moves: int) -> None:
    """Runs inside the launched app: click ``style`` once the window is up; note when its instant
    result has been painted on the canvas; move the strength slider ``slider_moves`` times, noting
    each move's seconds to the canvas; print the notes, then quit."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop_app import __main__ as app_main
    from desktop_app.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    marks: dict[str, float] = {}

    def click_style() -> None:
        window = next(w for w in app.topLevelWidgets() if isinstance(w, MainWindow))
        if not window.canvas.has_image:  # the photo is still being decoded (off the GUI thread)
            QTimer.singleShot(5, click_style)
            return
        marks["photo on canvas"] = time.time()
        window.instant_style.runner.result_ready.connect(lambda _id, _request, result: painted(window, result))
        window.instant_style.runner.failed.connect(lambda _id, message: failed(message))
        _click_style(window, style)

    moves: list[tuple[float, str]] = []  # (seconds from a slider move to its picture, runtime)
    moved_at = [0.0]

    def painted(window, result) -> None:
        window.canvas.repaint()  # the preview is drawn now, not at the next idle moment
        if "result on canvas" not in marks:
            marks["result on canvas"] = time.time()
            marks["worker seconds"] = window.instant_style.runner.last_seconds
        else:
            moves.append((time.time() - moved_at[0], result.extras["backend"]))
        if len(moves) < slider_moves:
            QTimer.singleShot(300, lambda: move_slider(window))
            return
        marks["slider moves"] = moves
        print(json.dumps(marks), flush=True)  # noqa: T201 - the figure goes to the parent
        window.canvas.set_preview(None)
        app.quit()

    def move_slider(window) -> None:
        slider = window.instant_style.panel.strength
        moved_at[0] = time.time()
        slider.setValue(slider.maximum() // 2 if slider.value() != slider.maximum() // 2 else slider.maximum())

    def failed(message: str) -> None:
        print(json.dumps({"failed": message}), flush=True)  # noqa: T201
        app.quit()

    QTimer.singleShot(0, click_style)
    app_main.main([photo])


def launch_figures(launches: int, style: str, slider_moves: int, folder: Path) -> None:
    photo = _photo(folder)
    env = dict(os.environ)
    for name in ("DATA", "CACHE", "MODELS"):
        env[f"GENART_{name}_DIR"] = str(folder / name.lower())
    env["XDG_CONFIG_HOME"] = str(folder / "config")  # a first-start window, no remembered layout
    for run in range(launches):
        started = time.time()
        output = subprocess.run([sys.executable, __file__, "--child", str(photo), "--style", style,
                                 "--slider-moves", str(slider_moves)],
                                env=env, capture_output=True, text=True, timeout=300)
        lines = [line for line in output.stdout.splitlines() if line.startswith("{")]
        if not lines:
            print(f"launch {run + 1}: no result ({output.stderr.strip()[-300:]})")
            continue
        marks = json.loads(lines[-1])
        if "failed" in marks:
            print(f"launch {run + 1}: the instant style failed: {marks['failed']}")
            continue
        kind = "cold cache (first launch ever)" if run == 0 else "cached float graphs"
        print(f"launch {run + 1} [{kind}]: photo on canvas {marks['photo on canvas'] - started:.2f} s, "
              f"first instant result on canvas {marks['result on canvas'] - started:.2f} s "
              f"(stylisation on the worker {marks['worker seconds']:.3f} s)")
        if marks["slider moves"]:
            print("  strength moved, each move to its picture on the canvas (s, runtime): "
                  + ", ".join(f"{seconds:.2f} {backend}" for seconds, backend in marks["slider moves"]))


# -- shared by 2. and 3. ---------------------------------------------------------------------------
def _window_with_astronaut(side: int):
    import numpy as np
    from PySide6.QtWidgets import QApplication
    from skimage import data

    from desktop_app.main_window import MainWindow
    from genart_core.imaging import resize

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow()
    window.resize(1200, 800)
    window.show()
    window.canvas.set_image(np.ascontiguousarray(resize(data.astronaut(), side, side)))
    return app, window


def _click_style(window, style: str) -> None:
    """Select ``style`` alone, in one selection change as a click makes (item by item, the list
    would pass through a mix of the old and the new style, and restyle twice)."""
    from PySide6.QtCore import QItemSelectionModel

    picker = window.style_picker.list
    item = next(picker.item(index) for index in range(picker.count()) if picker.item(index).text() == style)
    picker.setCurrentItem(item, QItemSelectionModel.SelectionFlag.ClearAndSelect)


def _wait_for_instant_result(window, backends: set[str], crops: list | None = None) -> float:
    """When the next instant result was painted on the canvas (perf_counter; nan after 30 s); its
    Live crop joins ``crops``."""
    from PySide6.QtCore import QEventLoop, QTimer

    runner = window.instant_style.runner
    loop = QEventLoop()
    done: list[float] = []

    def on_result(_id, _request, result) -> None:
        backends.add(result.extras.get("backend", "?"))
        if crops is not None:
            crops.append((result.extras.get("crop"), result.images[0].shape[:2]))
        window.canvas.repaint()
        done.append(time.perf_counter())
        loop.quit()

    runner.result_ready.connect(on_result)
    QTimer.singleShot(30_000, loop.quit)
    loop.exec()
    runner.result_ready.disconnect(on_result)
    return done[0] if done else float("nan")


# -- 2. live mode ----------------------------------------------------------------------------------
def live_figures(style: str, strokes: int, side: int, gap: float) -> None:
    """Live mode twice: before torch is loaded (onnxruntime, the app's first seconds) and after the
    app's own warm-up has loaded it (where torch runs the network faster, as with bf16 on this CPU,
    the instant path moves to it: what an artist painting a while after launch gets)."""

    app, window = _window_with_astronaut(side)
    _click_style(window, style)
    _wait_for_instant_result(window, set())
    window.instant_panel.live.setChecked(True)
    _wait_for_instant_result(window, set())
    _live_strokes(app, window, strokes, side, gap, "before torch is loaded")
    _load_torch_as_the_app_does(window)
    _live_strokes(app, window, strokes, side, gap, "after the app's warm-up loaded torch")
    window.instant_style.shutdown()
    window.controller.shutdown()


def _load_torch_as_the_app_does(window) -> None:
    """As the app does a few seconds after launch (desktop_app/start_order.py): torch loads on the
    job worker, then the instant worker loads the runtime it now picks and runs on it."""
    from PySide6.QtCore import QEventLoop, QTimer

    from desktop_app.start_order import StartOrder

    loop = QEventLoop()
    window.instant_style.runner.warmed.connect(loop.quit)
    StartOrder(window).load_torch()
    QTimer.singleShot(120_000, loop.quit)
    loop.exec()
    window.instant_style.runner.warmed.disconnect(loop.quit)


def _live_strokes(app, window, strokes: int, side: int, gap: float, when: str) -> None:
    from PySide6.QtCore import QPointF

    scale = side / 512  # the strokes cross the same part of the picture at any size
    runner = window.instant_style.runner
    backends: set[str] = set()  # the runtimes of the strokes' updates
    meter = StallMeter()
    latencies, stalls, worker, crops = [], [], [], []
    for stroke in range(strokes):
        if stroke and gap:
            _process_events_for(app, gap)
        meter.restart()
        y = 60 + stroke * 40
        window.canvas.begin_stroke(QPointF(40 * scale, y * scale))
        for x in range(50, 470, 10):
            window.canvas.continue_stroke(QPointF(x * scale, (y + (x % 30)) * scale))
            app.processEvents()
        ended = time.perf_counter()
        window.canvas.end_stroke()
        latencies.append(_wait_for_instant_result(window, backends, crops) - ended)
        worker.append(runner.last_seconds)
        meter.timer.stop()
        stalls.append(max(meter.gaps, default=0.0))
    shares = [(c[2] - c[0]) * (c[3] - c[1]) / (height * width) if c else 1.0 for c, (height, width) in crops]
    print(f"live at {side}x{side} {when}, {strokes} strokes: stroke end -> restyled canvas median {statistics.median(latencies):.3f} s, "
          f"max {max(latencies):.3f} s; stylisation on the worker median {statistics.median(worker):.3f} s ({', '.join(sorted(backends))}); "
          f"restyled share of the picture median {statistics.median(shares):.2f} ({sum(1 for c, _ in crops if c)} crops); "
          f"longest GUI stall {max(stalls):.0f} ms (median of per-stroke maxima {statistics.median(stalls):.0f} ms)")
    if crops[-1][0]:
        settled: list = []
        arrived = _wait_for_instant_result(window, backends, settled)
        print(f"  after the last stroke: the settling full pass was on the canvas {arrived - ended:.3f} s after its end "
              f"(crop {settled[0][0]!r}: None is the whole picture)")


def _process_events_for(app, seconds: float) -> None:
    """Let the app run (timers, results) for ``seconds``: the artist's pause between strokes."""
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        app.processEvents()
        time.sleep(0.002)


# -- 3. while a style is being learned ---------------------------------------------------------------
def learning_figures(clicks: int) -> None:
    """Learn this style runs on the job worker (torch on every core, for about a minute); meanwhile
    the artist clicks other styles. Seconds from each click to its instant result on the canvas."""
    from PySide6.QtCore import QEventLoop, QTimer

    app, window = _window_with_astronaut(512)
    _load_torch_as_the_app_does(window)  # an artist learning a style has had the app open a while
    backends: set[str] = set()
    _click_style(window, "Mosaic")
    _wait_for_instant_result(window, backends)
    learning = QEventLoop()

    def on_progress(_job, progress) -> None:
        if progress.phase == "Learning style":  # past loading VGG: torch's steps are running
            learning.quit()

    window.controller.progress.connect(on_progress)
    window.instant_panel.learn.click()
    QTimer.singleShot(120_000, learning.quit)
    learning.exec()
    window.controller.progress.disconnect(on_progress)
    styles = ("Ink wash", "Cubist", "Pointillist", "Brush strokes", "Stained glass")
    seconds, worker = [], []
    for click in range(clicks):
        clicked = time.perf_counter()
        _click_style(window, styles[click % len(styles)])
        seconds.append(_wait_for_instant_result(window, backends) - clicked)
        worker.append(window.instant_style.runner.last_seconds)
        app.processEvents()
    still_learning = window.controller.busy  # else the later clicks did not run beside it
    window.controller.cancel_current()
    print(f"while learning a style, {clicks} clicks on styles: click -> instant result median {statistics.median(seconds):.3f} s, "
          f"max {max(seconds):.3f} s; on the worker median {statistics.median(worker):.3f} s ({', '.join(sorted(backends))}); "
          f"learning still running after the last: {still_learning}")
    window.instant_style.shutdown()
    window.controller.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=3)
    parser.add_argument("--strokes", type=int, default=10)
    parser.add_argument("--style", default="Mosaic")
    parser.add_argument("--live-side", type=int, default=512, help="the photo's size in Live mode")
    parser.add_argument("--stroke-gap", type=float, default=0.0, help="seconds of pause between Live strokes")
    parser.add_argument("--whole-updates", action="store_true", help="Live updates restyle the whole picture (no crops)")
    parser.add_argument("--learning-clicks", type=int, default=5, help="style clicks while a style is being learned (0: skip)")
    parser.add_argument("--slider-moves", type=int, default=12, help="strength slider moves after the first result at launch")
    parser.add_argument("--busy", type=int, default=0, help="processes keeping a core each busy beside the app")
    parser.add_argument("--child", metavar="PHOTO", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.style, args.slider_moves)
        return
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        print(f"load: {os.getloadavg()[0]:.1f} (1 min) on {os.cpu_count()} CPUs, {args.busy} busy processes beside the app")
        with tempfile.TemporaryDirectory(prefix="genart-instant-bench-") as folder:
            launch_figures(args.launches, args.style, args.slider_moves, Path(folder))
            os.environ["GENART_CACHE_DIR"] = str(Path(folder) / "cache")  # the graphs derived above
            os.environ["GENART_DATA_DIR"] = str(Path(folder) / "data")
            os.environ["XDG_CONFIG_HOME"] = str(Path(folder) / "config")
            if args.strokes:
                if args.whole_updates:
                    from genart_core.fast_style import live_update

                    live_update.MAX_CROP_SHARE = 0.0  # every crop plan gives way to a full pass
                live_figures(args.style, args.strokes, args.live_side, args.stroke_gap)
            if args.learning_clicks:
                learning_figures(args.learning_clicks)
    finally:
        for process in busy:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
