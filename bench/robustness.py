"""How the core loaders fare on the hostile corpus: accepted / refused / crashed / hung, and peak memory.

    python bench/robustness.py                 # this checkout, then the original code (commit 5d355c9)
    python bench/robustness.py --only-here     # this checkout only

Each corpus file (tests/corpus/images, plus a named pipe ``bad_fifo.png``) is opened in its own
process, as the app would: ``read_ora`` for .ora files, else ``load_image`` and then, for a
picture that opened, ``read_generation_info``. Outcomes: accepted (a picture), refused (a
GenArtError: a message for the user), crashed (any other exception, or the process died) and hung
(no answer within the time limit). "Peak" is the process's peak resident memory (VmHWM, Linux)
minus what it held after the imports. Each process may use at most --memory-limit of address space so a
decompression bomb in old code cannot take the machine down; hitting it counts as crashed.
Then two big but legitimate pictures are opened the same way (peak memory and time): an 8000×8000
JPEG and a 7900×7900 16-bit greyscale PNG. For the JPEG it also measures the longest pause of an
(offscreen) Qt event loop ticking every 10 ms while the picture loads: decoded on the GUI thread
(as before) and through desktop_app.image_loading. Last, if bench/kill_saves.py exists, its
run(kills=50) figures are printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORIGINAL_COMMIT = "5d355c9"
sys.path.insert(0, str(ROOT))
from scripts.make_corpus import CORPUS, grey16_png, make_fifo, write_corpus  # noqa: E402


def _memory_kb(field: str) -> int:
    """A line of /proc/self/status in kB (Linux): VmRSS now, VmHWM the peak since the last reset."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _open_one(code: str, path: str) -> dict:
    """Runs in the child process: load ``path`` with the genart_core found under ``code``."""
    sys.path.insert(0, code)
    from genart_core.api import GenArtError
    from genart_core.artwork import read_generation_info
    from genart_core.imaging import load_image
    from genart_core.ora import read_ora

    # getrusage's ru_maxrss survives exec on Linux (it would report the parent's peak), so the
    # peak is VmHWM, reset here after the imports.
    Path("/proc/self/clear_refs").write_text("5")
    baseline = _memory_kb("VmRSS")
    try:
        if path.endswith(".ora"):
            read_ora(path)
        else:
            load_image(path)
            read_generation_info(path)
        outcome, detail = "accepted", ""
    except GenArtError as exc:
        outcome, detail = "refused", str(exc)
    except BaseException as exc:  # noqa: BLE001 - counting every way the old code failed is the point
        outcome, detail = "crashed", f"{type(exc).__name__}: {str(exc)[:150]}"
    return {"outcome": outcome, "detail": detail, "peak_mb": (_memory_kb("VmHWM") - baseline) / 1024}


def run_file(code: Path, path: Path, timeout: float, memory_limit_mb: int) -> dict:
    script = (
        "import json, resource, sys; "
        f"resource.setrlimit(resource.RLIMIT_AS, ({memory_limit_mb << 20}, {memory_limit_mb << 20})); "
        f"sys.path.insert(0, {str(ROOT / 'bench')!r}); "
        "from robustness import _open_one; "
        "print(json.dumps(_open_one(sys.argv[1], sys.argv[2])))"
    )
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, str(code), str(path)], capture_output=True, text=True, timeout=timeout, cwd=code
        )
    except subprocess.TimeoutExpired:
        return {"outcome": "hung", "detail": f"no answer in {timeout:.0f} s", "peak_mb": float("nan"), "seconds": timeout}
    seconds = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"outcome": "crashed", "detail": f"exit {done.returncode}: {tail[:150]}", "peak_mb": float("nan"), "seconds": seconds}
    return {**json.loads(lines[-1]), "seconds": seconds}


def run_corpus(code: Path, files: list[Path], timeout: float, memory_limit_mb: int, verbose: bool) -> None:
    counts: Counter[str] = Counter()
    unexpected = []
    peak = 0.0
    for path in files:
        result = run_file(code, path, timeout, memory_limit_mb)
        counts[result["outcome"]] += 1
        if result["peak_mb"] == result["peak_mb"]:  # not NaN
            peak = max(peak, result["peak_mb"])
        expected = "accepted" if path.name.startswith("ok_") else "refused"
        if result["outcome"] != expected:
            unexpected.append((path.name, result))
        if verbose:
            print(f"  {path.name:40} {result['outcome']:9} {result['peak_mb']:7.0f} MB {result['seconds']:5.1f} s  {result['detail'][:90]}")
    print(
        f"{code}: {len(files)} files: accepted {counts['accepted']}, refused {counts['refused']}, "
        f"crashed {counts['crashed']}, hung {counts['hung']}; peak memory growth {peak:.0f} MB"
    )
    for name, result in unexpected:
        print(f"  not as named: {name}: {result['outcome']} ({result['detail'][:120]})")


def write_big_pictures(folder: Path) -> list[Path]:
    import numpy as np
    from PIL import Image

    jpeg = folder / "ok_big_8000x8000.jpg"
    ramp = np.linspace(0, 255, 8000).astype(np.uint8)
    Image.fromarray(np.stack([np.tile(ramp, (8000, 1)), np.tile(ramp[:, None], (1, 8000)), np.full((8000, 8000), 90, np.uint8)], axis=2)).save(jpeg, quality=85)
    deep = folder / "ok_big_7900x7900_grey16.png"
    deep.write_bytes(grey16_png(np.tile(np.linspace(0, 65535, 7900).astype(np.uint16), (7900, 1)), None))
    return [jpeg, deep]


def run_big_pictures(codes: list[Path], folder: Path, timeout: float, memory_limit_mb: int) -> None:
    for path in write_big_pictures(folder):
        print(f"{path.name} ({path.stat().st_size / 1024:.0f} KB):")
        for code in codes:
            result = run_file(code, path, timeout, memory_limit_mb)
            print(f"  {code}: {result['outcome']}, peak memory growth {result['peak_mb']:.0f} MB, {result['seconds']:.1f} s {result['detail'][:80]}")
        if path.suffix == ".jpg":
            gui_pause_figures(path)


def _longest_event_loop_pause(path: str, off_gui_thread: bool) -> float:
    """Runs in a child process: seconds of the longest gap between 10 ms timer ticks during a load."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop_app.image_loading import decode_off_gui_thread
    from genart_core.imaging import load_image

    app = QApplication([])
    ticks = [time.perf_counter()]
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(10)
    if off_gui_thread:
        decode_off_gui_thread(None, load_image, path)
    else:
        load_image(path)
    ticks.append(time.perf_counter())
    timer.stop()
    del app
    return max(later - earlier for earlier, later in zip(ticks, ticks[1:]))


def gui_pause_figures(path: Path) -> None:
    pauses = []
    for off_gui_thread in (False, True):
        script = (
            f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); from robustness import _longest_event_loop_pause; "
            f"print(_longest_event_loop_pause(sys.argv[1], {off_gui_thread}))"
        )
        done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=120)
        pauses.append(float(done.stdout.strip().splitlines()[-1]))
    print(
        f"  longest event-loop pause while opening it: {pauses[0]:.2f} s decoding on the GUI thread, "
        f"{pauses[1]:.2f} s with decode_off_gui_thread"
    )


def original_checkout(folder: Path) -> Path:
    """The original genart_core (commit 5d355c9) unpacked under ``folder`` with ``git archive``."""
    target = folder / f"original-{ORIGINAL_COMMIT}"
    target.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ORIGINAL_COMMIT, "genart_core"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def kill_saves_figures() -> None:
    script = ROOT / "bench" / "kill_saves.py"
    if not script.exists():
        print("bench/kill_saves.py is not in this checkout: no save-kill figures.")
        return
    spec = importlib.util.spec_from_file_location("kill_saves", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    print("kill_saves.run(kills=50):", module.run(kills=50))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only-here", action="store_true", help="skip the run on the original code")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds before a file counts as hung")
    parser.add_argument("--memory-limit", type=int, default=3072, help="address-space limit per file, MB")
    parser.add_argument("--quiet", action="store_true", help="counts only, not one line per file")
    args = parser.parse_args()
    write_corpus()
    with tempfile.TemporaryDirectory() as spare:
        fifo = make_fifo(Path(spare))
        files = sorted(CORPUS.iterdir()) + ([fifo] if fifo else [])
        codes = [ROOT] if args.only_here else [original_checkout(Path(spare)), ROOT]
        for code in codes:
            run_corpus(code, files, args.timeout, args.memory_limit, not args.quiet)
        run_big_pictures(codes, Path(spare), args.timeout * 3, args.memory_limit)
    kill_saves_figures()


if __name__ == "__main__":
    main()
