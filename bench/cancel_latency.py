"""How long Cancel and Stop & Keep take to end a style transfer, at each of its stages.

    python bench/cancel_latency.py                  # Balanced and Best at 512 and 1024 px
    python bench/cancel_latency.py --hog            # the same with one busy process per core beside it
    python bench/cancel_latency.py --quick          # Balanced at 512 px, one trial per stage: checks that it runs

Each trial starts a job on a worker thread, as the app does, waits until the job reports the
stage under test, waits a random moment more (so the request lands anywhere in a loss
evaluation, a tile's set-up or the next stage's set-up), then calls cancel() or stop_and_keep()
and times how long the job takes to return. Trials alternate Cancel and Stop & Keep; both answer
the same check, and Stop & Keep's time includes making the picture it keeps. Prints, per preset,
size and stage (the last stage the job had reported when the request came), the median and
maximum latency.

--iterations-scale (¼ by default) shortens the presets (fewer iterations per stage) so the later
stages are reached sooner; what is measured, one step of work between two checks, does not depend
on it. A request that comes after the job has finished is not counted (n says how many were).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict

import skimage.data

from genart_core import device as device_mod
from genart_core.api import Cancelled, CancelToken, Progress
from genart_core.engine import Engine, warm_up
from genart_core.requests.style import Preset, StyleSource, StyleTransferRequest
from genart_core.styles import builtin_styles_dir

STAGE = re.compile(r"\((\d+)/(\d+)\)")


def stage_of(phase: str) -> int:
    """The stage number in a phase such as "Stylising at 512×512 (3/3)" (0 before the first)."""
    found = STAGE.search(phase) if phase.startswith("Stylising") else None
    return int(found.group(1)) if found else 0


def trial(engine: Engine, request: StyleTransferRequest, stage: int, delay: float, keep: bool) -> tuple[float, int] | None:
    """(seconds from the request to the job returning, stage seen when it came), or None if the
    job finished before the request."""
    token = CancelToken()
    reached = threading.Event()
    seen = [0]
    finished: list[float] = []

    def on_progress(progress: Progress) -> None:
        seen[0] = max(seen[0], stage_of(progress.phase))
        if seen[0] >= stage:
            reached.set()

    def work() -> None:
        try:
            engine.run(request, on_progress, token)
        except Cancelled:
            pass
        finished.append(time.perf_counter())

    worker = threading.Thread(target=work, daemon=True)  # an interrupted bench does not wait for it
    worker.start()
    while not reached.wait(0.05) and worker.is_alive():
        pass
    time.sleep(delay)
    asked = time.perf_counter()
    stage_when_asked = seen[0]
    (token.stop_and_keep if keep else token.cancel)()
    worker.join()
    if not finished or finished[0] < asked:
        return None
    return finished[0] - asked, stage_when_asked


def start_hogs() -> list[subprocess.Popen]:
    """One busy process per core (``yes`` writing to /dev/null), as a loaded machine."""
    return [subprocess.Popen(["yes"], stdout=subprocess.DEVNULL) for _ in range(os.cpu_count() or 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--presets", nargs="+", default=["balanced", "best"])
    parser.add_argument("--trials", type=int, default=2, help="trials per preset, size and stage")
    parser.add_argument("--max-delay", type=float, default=2.0, help="seconds: the random wait after the stage starts")
    parser.add_argument("--iterations-scale", type=float, default=0.25)
    parser.add_argument("--hog", action="store_true", help="run a busy process per core beside the jobs")
    parser.add_argument("--quick", action="store_true", help="Balanced at 512 px, one trial per stage")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.presets, args.trials = [512], ["balanced"], 1
    device_mod.configure_threads()
    warm_up()
    rng = random.Random(args.seed)
    style = builtin_styles_dir() / "brush_strokes.jpg"
    content = skimage.data.astronaut()
    engine = Engine()  # keeps VGG-19 loaded between trials, as the app does
    hogs = start_hogs() if args.hog else []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so the busy processes end with the bench
    print(f"{len(hogs)} busy processes beside the jobs; {os.cpu_count()} cores; iterations × {args.iterations_scale}")
    print(f"{'preset':<9} {'size':>5} {'stage':>5} {'n':>3} {'median':>8} {'max':>8}   (seconds from the request to the job returning)")
    try:
        for preset in args.presets:
            for size in args.sizes:
                request = StyleTransferRequest(
                    content=content, styles=(StyleSource("brush strokes", str(style)),), preset=Preset(preset),
                    size=size, iterations_scale=args.iterations_scale,
                )
                latencies: dict[int, list[float]] = defaultdict(list)
                for stage in (1, 2, 3):
                    for index in range(args.trials):
                        keep = index % 2 == 1
                        outcome = trial(engine, request, stage, rng.uniform(0, args.max_delay), keep)
                        if outcome is not None:
                            latencies[outcome[1]].append(outcome[0])
                            kind = "stop & keep" if keep else "cancel"
                            print(f"    {preset} {size} px, {kind} during stage {outcome[1]}: {outcome[0]:.2f} s", flush=True)
                for stage, values in sorted(latencies.items()):
                    print(f"{preset:<9} {size:>5} {stage:>5} {len(values):>3} {statistics.median(values):>7.2f}s {max(values):>7.2f}s", flush=True)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


if __name__ == "__main__":
    main()
