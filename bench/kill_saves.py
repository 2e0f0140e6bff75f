"""Kill a saving session again and again (SIGKILL, as a crash or a power cut would), then measure
the bytes its temporary files left behind, before and after the next start's clean-up.

Each killed process is a real session: it moves undo data to its scratch folder with the canvas's
own UndoMemory and saves a 16 MB document in a loop with genart_core.atomic, beside the "user's"
documents. The next start is a fresh process running what the app runs at start-up
(genart_core.leftovers.remove_dead_sessions). The goal is 0 bytes after it.

    python bench/kill_saves.py [--kills 50]

``run(kills)`` returns the figures as a dict (bench/robustness.py prints them with its own).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHUNK = 1 << 20
CHUNKS_PER_SAVE = 16

_SAVING_SESSION = """
import sys
import numpy as np
from desktop_app.canvas.commands import Payload, UndoMemory
from genart_core.atomic import atomic_write

memory = UndoMemory(limit=0)  # every payload but the newest goes to the scratch folder
kept = [memory.track(Payload([np.full((1024, 1024), index, np.uint8)])) for index in range(3)]
block = bytes(range(256)) * ({chunk} // 256)
announced = False
while True:
    with atomic_write(sys.argv[1]) as stream:
        for _ in range({chunks}):
            stream.write(block)
            if not announced:
                print("saving", flush=True)
                announced = True
""".format(chunk=CHUNK, chunks=CHUNKS_PER_SAVE)

_NEXT_START = "from genart_core.leftovers import remove_dead_sessions; print(remove_dead_sessions())"


def _leftovers(documents: Path, cache: Path) -> tuple[int, int]:
    """(files, bytes) of temporary save files beside the documents and of everything the sessions
    keep in the cache (scratch folders, journals, locks)."""
    found = [path for path in documents.glob(".*.part")]
    found += [path for path in (cache / "sessions").rglob("*") if path.is_file()] if (cache / "sessions").is_dir() else []
    return len(found), sum(path.stat().st_size for path in found)


def run(kills: int = 50, seed: int = 0) -> dict:
    chance = random.Random(seed)
    repository = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="kill-saves-") as root:
        documents, cache = Path(root) / "documents", Path(root) / "cache"
        documents.mkdir()
        environment = {**os.environ, "GENART_CACHE_DIR": str(cache), "PYTHONPATH": str(repository)}
        started = time.perf_counter()
        for index in range(kills):
            target = documents / f"painting-{index % 5}.ora"
            session = subprocess.Popen(
                [sys.executable, "-c", _SAVING_SESSION, str(target)], stdout=subprocess.PIPE, text=True, env=environment
            )
            if session.stdout.readline().strip() != "saving":
                raise RuntimeError("a saving session did not start")
            time.sleep(chance.uniform(0.0, 0.3))  # somewhere in the middle of a save, or between two
            session.send_signal(signal.SIGKILL)
            session.wait()
            session.stdout.close()
        files_before, bytes_before = _leftovers(documents, cache)
        next_start = subprocess.run([sys.executable, "-c", _NEXT_START], capture_output=True, text=True, env=environment, check=True)
        files_after, bytes_after = _leftovers(documents, cache)
        return {
            "kills": kills,
            "leftover_files_before": files_before,
            "leftover_bytes_before": bytes_before,
            "bytes_freed_by_next_start": int(next_start.stdout.strip() or 0),
            "leftover_files_after": files_after,
            "leftover_bytes_after": bytes_after,
            "seconds": time.perf_counter() - started,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=50)
    figures = run(parser.parse_args().kills)
    print(f"{figures['kills']} saving sessions killed with SIGKILL in {figures['seconds']:.0f} s")
    print(f"left behind:              {figures['leftover_files_before']} files, {figures['leftover_bytes_before'] / 2**20:.1f} MB")
    print(f"removed by the next start: {figures['bytes_freed_by_next_start'] / 2**20:.1f} MB")
    print(f"left after the next start: {figures['leftover_files_after']} files, {figures['leftover_bytes_after']} bytes (goal 0)")


if __name__ == "__main__":
    main()
